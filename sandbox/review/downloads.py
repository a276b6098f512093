"""Downloading a result: JSON, CSV or Parquet, by its owner once released, audited.

Reviewers of the granting organisation may download a result they review (pending,
released or rejected); nobody else ever gets one, and a job's owner only gets it once it is
released. While a dataset of the job is suspended, downloads are refused (its releases are
frozen). What is downloaded is the *released* form of the result: after the platform's
rounding and redaction.

CSV and Parquet need a table: the result itself or its ``part`` (a top-level key) must be a
list of flat row objects (a DP table release), or a verified table of a raw-access job
(``columns`` and ``rows``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.jobs.model import JobState
from sandbox.jobs.release import frozen_by
from sandbox.store.models import GrantRow, JobRow

__all__ = ["FORMATS", "download_result", "may_download"]

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
"""Download formats and their media types."""


def may_download(session: Session, actor: Actor, row: JobRow) -> bool:
    """Whether ``actor`` may download ``row``'s result: its owner once released, the granting
    organisation's reviewers and providers while it is reviewed and after.
    """
    if actor.user_id == row.owner_id:
        return row.state == JobState.RELEASED
    grant = session.get(GrantRow, row.grant_id)
    assert grant is not None
    return (
        actor.role in ("reviewer", "provider")
        and actor.organisation_id is not None
        and actor.organisation_id == grant.provider_org_id
        and row.state in (JobState.PENDING_REVIEW, JobState.RELEASED, JobState.REJECTED)
    )


def _rows(value: Any) -> tuple[list[str], list[list[Any]]] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("columns"), list)
        and isinstance(value.get("rows"), list)
    ):
        return [str(c) for c in value["columns"]], [list(r) for r in value["rows"]]
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        columns: list[str] = []
        for row in value:
            columns.extend(str(k) for k in row if str(k) not in columns)
        if any(isinstance(v, dict | list) for row in value for v in row.values()):
            return None
        return columns, [[row.get(c) for c in columns] for row in value]
    return None


def _part(value: Any, part: str | None) -> Any:
    """The whole result, or its top-level ``part``."""
    if part is None:
        return value
    if not isinstance(value, dict) or part not in value:
        raise InvalidRequest(f"the result has no part {part!r}")
    return value[part]


def _table(value: Any, part: str | None) -> tuple[list[str], list[list[Any]]]:
    value = _part(value, part)
    found = _rows(value)
    if found is None:
        where = f"part {part!r}" if part else "the result"
        parts = (
            sorted(k for k, v in value.items() if _rows(v) is not None)
            if isinstance(value, dict)
            else []
        )
        hint = f"; its tabular parts: {', '.join(parts)}" if parts else ""
        raise InvalidRequest(
            f"{where} is not a table: download it as JSON, or name a tabular part{hint}"
        )
    return found


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _parquet(columns: list[str], rows: list[list[Any]]) -> bytes:
    data = {c: [r[i] if i < len(r) else None for r in rows] for i, c in enumerate(columns)}
    try:
        table = pa.table(data)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        table = pa.table(
            {
                c: [None if v is None else json.dumps(v) for v in values]
                for c, values in data.items()
            }
        )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def download_result(
    session: Session, actor: Actor, job_id: int, fmt: str = "json", part: str | None = None
) -> tuple[bytes, str]:
    """The released result of a job as ``fmt`` bytes, and the media type (audited)."""
    if fmt not in FORMATS:
        raise InvalidRequest(f"format must be one of {', '.join(FORMATS)}")
    row = session.get(JobRow, job_id)
    if row is None or not may_download(session, actor, row):
        raise NotFound(f"job {job_id} has no released result for you")
    frozen = frozen_by(session, row)
    if frozen is not None:
        raise Conflict(f"releases of this job are frozen: {frozen}")
    value = row.release
    if fmt == "json":
        content = json.dumps(_part(value, part), ensure_ascii=False, indent=2).encode("utf-8")
    else:
        columns, rows = _table(value, part)
        content = _csv(columns, rows) if fmt == "csv" else _parquet(columns, rows)
    audit.record(
        session,
        actor,
        "result.download",
        object_type="result",
        object_id=row.id,
        detail={
            "datasets": row.datasets,
            "format": fmt,
            "part": part,
            "bytes": len(content),
            "state": row.state,
        },
    )
    return content, FORMATS[fmt]
