"""The one way a job changes state: checked against the lifecycle, written, then audited.

Every transition is made inside the caller's transaction, so the new state is persisted
(committed) before whoever asked for it acts on it: the dispatcher only starts a Ray task for
a job whose ``queued`` state is committed, a runner only starts a sandbox once ``running`` is.
The audit entry carries the job's datasets and versions, so that the leak trace of a dataset
version finds every job that touched it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import Conflict
from sandbox.identity.model import Actor
from sandbox.jobs.model import JobState, can_move
from sandbox.observability import metrics
from sandbox.store.models import JobRow

__all__ = ["move", "platform_actor"]


def platform_actor() -> Actor:
    """The actor of transitions the platform makes by itself (dispatch, run, recovery)."""
    return Actor.system()


def move(
    session: Session,
    row: JobRow,
    target: JobState,
    actor: Actor,
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
    audit_at_commit: bool = False,
) -> None:
    """Move ``row`` to ``target``, recording and auditing the step (its entry appended with
    the commit when ``audit_at_commit``: :func:`sandbox.audit.record_at_commit`).

    Raises:
        Conflict: The lifecycle does not allow the step from the job's current state.
    """
    source = JobState(row.state)
    if not can_move(source, target):
        raise Conflict(f"job {row.id} is {source}; it cannot become {target}")
    moment = now or utc_now()
    row.state = str(target)
    row.state_reason = reason
    row.updated_at = moment
    if target is JobState.RUNNING:
        row.started_at = moment
    if target.is_final:
        row.finished_at = moment
        turnaround = (moment - row.submitted_at).total_seconds()
        kind = row.kind
        metrics.on_commit(session, lambda: metrics.job_finished(kind, str(target), turnaround))
    session.flush()
    (audit.record_at_commit if audit_at_commit else audit.record)(
        session,
        actor,
        f"job.{target}",
        object_type="job",
        object_id=row.id,
        detail={
            "from": str(source),
            "datasets": row.datasets,
            "kind": row.kind,
            "reason": reason,
            **(detail or {}),
        },
    )
