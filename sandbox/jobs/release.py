"""The release step: the one owner of "a checked result reaches its owner".

Both paths to a release end here: the output checks release a DP result automatically when
the policy allows it (:mod:`sandbox.jobs.checking`), and the review releases a result once
enough reviewers approved (:mod:`sandbox.review.service`). Keeping the step in ``jobs``
lets the review be a pure client of the job lifecycle, never the other way round.

- :func:`frozen_by`: a suspension of one of the job's datasets, or of its grant, freezes its
  release (and the download of a released result);
- :func:`required_approvals`: how many distinct reviewers must approve (the strictest
  ``review.reviewers`` of the effective policies of its datasets);
- :func:`release`: moves the job to ``released`` and records the release in the audit trail
  with the job's datasets, so the leak trace finds it; a pending request to review its log
  (:mod:`sandbox.review.logs`) is settled by it: the log crosses with the result.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sandbox import audit, policy_store
from sandbox.access.model import GrantStatus
from sandbox.catalog.suspension import is_suspended
from sandbox.clock import utc_now
from sandbox.identity.model import Actor
from sandbox.jobs.lifecycle import move
from sandbox.jobs.model import JobState, LogReview
from sandbox.notifications.events import result_event
from sandbox.store.models import GrantRow, JobRow

__all__ = ["frozen_by", "release", "required_approvals"]


def frozen_by(session: Session, row: JobRow) -> str | None:
    """The refusal of a suspension in force on one of the job's datasets or on its grant."""
    for name in row.datasets:
        suspension = is_suspended(session, name)
        if suspension is not None:
            return suspension.refusal()
    grant = session.get(GrantRow, row.grant_id)
    if grant is not None and GrantStatus(grant.status) is GrantStatus.SUSPENDED:
        return f"grant {grant.ref} is suspended by its provider"
    return None


def required_approvals(session: Session, row: JobRow) -> int:
    """How many distinct reviewers must approve (the strictest policy of its datasets)."""
    policies = policy_store.effective_under_grant(session, row.grant_id, row.datasets)
    return max(policy.reviewers or 1 for policy in policies.values())


def release(
    session: Session, actor: Actor, row: JobRow, *, auto: bool, now: datetime | None = None
) -> None:
    """Release a job's checked result to its owner (from ``checking`` or
    ``pending_review``).
    """
    moment = now or utc_now()
    if row.log_review == LogReview.REQUESTED:  # the log crosses with the result
        row.log_review = LogReview.RELEASED
        row.log_released_at = moment
    row.auto_released = auto
    row.released_at = moment
    move(
        session,
        row,
        JobState.RELEASED,
        actor,
        reason="released automatically: a DP result whose checks all passed"
        if auto
        else "approved by the dataset provider's review",
        detail={"auto": auto, "result_sha256": row.result_sha256},
        now=moment,
    )
    audit.record(
        session,
        actor,
        "release.made",
        object_type="release",
        object_id=row.id,
        detail={"datasets": row.datasets, "auto": auto, "result_sha256": row.result_sha256},
    )
    result_event(session, row, "result.released")
