"""Retention of what finished jobs hold: their logs, errors and raw results.

A finished job keeps its log, its errors and the result as the model returned it (before
the platform's rounding and redaction) for its review and the oversight after. Past
``job_log_retention_days`` (default 5 years, as the Chengdu rules keep exchange logs:
Chengdu art. 23, REQUIREMENTS.md) :func:`prune_job_outputs` empties them. What proves what
happened stays: the job's record, state and times, the source's and the result's SHA-256,
the released result its owner received, the DP release reports (the ledger's charges are
separate and untouched), and the verified outputs that later jobs' differencing checks read.
Every pruning is audited with the jobs it emptied.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.identity.model import Actor
from sandbox.jobs.model import FINAL_STATES
from sandbox.store.models import JobRow

__all__ = ["PRUNED_NOTE", "prune_job_outputs"]

PRUNED_NOTE = "outputs_pruned_at"
"""The ``progress`` key that records when a job's log, errors and raw result were emptied."""


def prune_job_outputs(
    session: Session, actor: Actor, *, retention_days: int, now: datetime | None = None
) -> list[int]:
    """Empty the log, errors and raw result of every job finished before the retention
    period; the ids of the jobs emptied (none: nothing changed, nothing audited).
    """
    moment = now or utc_now()
    cutoff = moment - timedelta(days=retention_days)
    rows = session.execute(
        select(JobRow)
        .where(
            JobRow.state.in_([str(state) for state in FINAL_STATES]),
            JobRow.finished_at.is_not(None),
            JobRow.finished_at < cutoff,
        )
        .order_by(JobRow.id)
        .with_for_update()
    ).scalars()
    pruned: list[int] = []
    for row in rows:
        if PRUNED_NOTE in (row.progress or {}):
            continue
        row.log = []
        row.errors = []
        row.result = None
        row.progress = {**(row.progress or {}), PRUNED_NOTE: moment.isoformat()}
        pruned.append(row.id)
    if pruned:
        audit.record(
            session,
            actor,
            "job.outputs.pruned",
            object_type="jobs",
            object_id=f"{pruned[0]}-{pruned[-1]}",
            detail={"jobs": pruned, "finished_before": cutoff.isoformat()},
        )
    return pruned
