"""The catalog's record of a dataset's DP synthetic preview (a provider's choice).

A conditional dataset's preview and mock tables are, by default, uniform rows generated
from the data dictionary alone (:mod:`sandbox.catalog.preview`). Its provider may replace
them with a DP synthetic sample (:mod:`sandbox.engine.synth.preview`, charged to the
dataset's lifetime budget); this module records which sample is in force, what it cost,
and withdraws it. The newest sample not withdrawn is the one served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.store.models import DatasetRow, SyntheticPreviewRow

__all__ = ["SyntheticSample", "current_sample", "record_sample", "withdraw_sample"]

KIND = "dp_synthetic"
"""How a preview made by DP synthesis describes itself (beside the uniform mock)."""


@dataclass(frozen=True)
class SyntheticSample:
    """A stored DP synthetic sample of one dataset version, and what it cost."""

    id: int
    dataset: str
    version: int
    path: str
    sha256: str
    rows: int
    epsilon: str
    accounting: str
    charged: str
    charge_id: int
    report: dict[str, Any]
    created_at: datetime

    def describe(self) -> dict[str, Any]:
        """What a preview or mock reader is told about the sample (no data value)."""
        return {
            "kind": KIND,
            "mechanism": str(self.report.get("mechanism", "MST")),
            "epsilon": self.epsilon,
            "accounting": self.accounting,
            "charged": self.charged,
            "version": self.version,
            "rows": self.rows,
            "columns_synthesized": list(self.report.get("columns", [])),
            "created_at": self.created_at.isoformat(),
        }


def _sample(row: SyntheticPreviewRow, dataset: str) -> SyntheticSample:
    return SyntheticSample(
        id=row.id,
        dataset=dataset,
        version=row.version,
        path=row.storage_path,
        sha256=row.sha256,
        rows=row.rows,
        epsilon=row.epsilon,
        accounting=row.accounting,
        charged=row.charged,
        charge_id=row.charge_id,
        report=dict(row.report),
        created_at=row.created_at,
    )


def _current_row(session: Session, dataset: DatasetRow) -> SyntheticPreviewRow | None:
    stmt = (
        select(SyntheticPreviewRow)
        .where(SyntheticPreviewRow.dataset_id == dataset.id)
        .where(SyntheticPreviewRow.withdrawn_at.is_(None))
        .order_by(SyntheticPreviewRow.id.desc())
        .limit(1)
    )
    found: SyntheticPreviewRow | None = session.execute(stmt).scalar_one_or_none()
    return found


def current_sample(session: Session, dataset: DatasetRow) -> SyntheticSample | None:
    """The DP synthetic sample in force for ``dataset``, if its provider made one."""
    row = _current_row(session, dataset)
    return _sample(row, dataset.name) if row is not None else None


def withdraw_sample(session: Session, dataset: DatasetRow, at: datetime) -> SyntheticSample | None:
    """Withdraw the sample in force (the uniform mock is served again); the one withdrawn."""
    row = _current_row(session, dataset)
    if row is None:
        return None
    row.withdrawn_at = at
    session.flush()
    return _sample(row, dataset.name)


def record_sample(
    session: Session,
    dataset: DatasetRow,
    *,
    version: int,
    path: str,
    sha256: str,
    rows: int,
    epsilon: str,
    accounting: str,
    charged: str,
    charge_id: int,
    report: dict[str, Any],
    created_by: int,
    at: datetime,
) -> SyntheticSample:
    """Record a new sample as the one in force (the previous one is withdrawn)."""
    withdraw_sample(session, dataset, at)
    row = SyntheticPreviewRow(
        dataset_id=dataset.id,
        version=version,
        storage_path=path,
        sha256=sha256,
        rows=rows,
        epsilon=epsilon,
        accounting=accounting,
        charged=charged,
        charge_id=charge_id,
        report=report,
        created_by=created_by,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return _sample(row, dataset.name)
