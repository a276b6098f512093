"""Whether a dataset is suspended (中止开放): the one question every use of data asks.

A provider suspends a dataset at once on a complaint or a suspected leak (Xi'an art. 17;
Wuxi art. 23; Lianyungang art. 26). While a suspension is in force nothing may use the
dataset: :func:`sandbox.access.grants.active_grant_for` refuses every grant on it, the
catalog refuses its downloads, row queries and previews, and the job runtime and the DP
engine are to call :func:`is_suspended` before they start or release anything.

A suspension stays in force until the provider resolves it as ``restored`` or
``reprocessed``; one resolved as ``ended`` stays in force for good: the dataset is
withdrawn. This module only reads; :mod:`sandbox.oversight.suspensions` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.errors import AccessRefused
from sandbox.store.models import DatasetRow, DatasetSuspensionRow, UserRow


@dataclass(frozen=True)
class Suspension:
    """A suspension of a dataset, in force or resolved."""

    id: int
    dataset: str
    complaint_id: int | None
    reason: str
    suspended_by: str
    suspended_at: datetime
    in_force: bool
    """Whether it blocks every use now (unresolved, or resolved as ``ended``)."""
    resolution: str
    """``""`` while unresolved; ``restored``, ``reprocessed`` or ``ended``."""
    resolved_by: str | None
    resolved_at: datetime | None
    note: str
    new_version: int | None
    """The desensitised version a reprocessing added."""

    @property
    def withdrawn(self) -> bool:
        """Whether the dataset was withdrawn for good (resolved as ``ended``)."""
        return self.resolution == "ended"

    def refusal(self) -> str:
        """Why a use of the dataset is refused, for error messages."""
        if self.withdrawn:
            return (
                f"dataset {self.dataset!r} was withdrawn by its provider on "
                f"{(self.resolved_at or self.suspended_at).date().isoformat()}: "
                f"{self.reason}"
            )
        return (
            f"dataset {self.dataset!r} is suspended by its provider since "
            f"{self.suspended_at.date().isoformat()}: {self.reason}; no use of it is "
            "allowed until the provider restores it"
        )


def is_suspended(session: Session, dataset: str) -> Suspension | None:
    """The suspension in force on dataset ``dataset`` (a name), or ``None`` if it may be
    used. Unknown datasets are not suspended (the caller's own lookup refuses them).
    """
    row = session.execute(
        select(DatasetSuspensionRow)
        .join(DatasetRow, DatasetRow.id == DatasetSuspensionRow.dataset_id)
        .where(DatasetRow.name == dataset, DatasetSuspensionRow.in_force.is_(True))
        .order_by(DatasetSuspensionRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return suspension_of(session, row, dataset) if row is not None else None


def refuse_if_suspended(session: Session, dataset: str) -> None:
    """Raise :class:`AccessRefused` if ``dataset`` is suspended or withdrawn."""
    found = is_suspended(session, dataset)
    if found is not None:
        raise AccessRefused(found.refusal())


def suspension_of(session: Session, row: DatasetSuspensionRow, dataset: str) -> Suspension:
    """A suspension row as the domain sees it."""
    by = session.get(UserRow, row.suspended_by)
    resolver = session.get(UserRow, row.resolved_by) if row.resolved_by else None
    return Suspension(
        id=row.id,
        dataset=dataset,
        complaint_id=row.complaint_id,
        reason=row.reason,
        suspended_by=by.username if by else "?",
        suspended_at=row.suspended_at,
        in_force=row.in_force,
        resolution=row.resolution,
        resolved_by=resolver.username if resolver else None,
        resolved_at=row.resolved_at,
        note=row.note,
        new_version=row.new_version,
    )
