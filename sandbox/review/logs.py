"""Reviewing a held log: the author asks, a reviewer releases or refuses, like a result.

What a model wrote (its log lines and error text) is held from its author until the result
is released (:mod:`sandbox.jobs.visibility`). A failed, rejected or cancelled job never gets
there, so without this its author could never learn why it failed beyond the platform's
facts (the built-in exception type and the line). The log can carry data as well as any
result, so it crosses the release boundary the same way: a person of the granting
organisation reads it and decides.

- :func:`request_review`: the job's owner asks, once, for a job that is final (failed,
  rejected, cancelled) or waits in review, while its log and errors are held from them;
- :func:`queue`: the requests waiting for the actor's organisation (all for oversight);
- :func:`decide`: a reviewer of the granting organisation, not the owner, releases them or
  refuses (with a reason); frozen while one of the job's datasets or its grant is
  suspended (:func:`sandbox.jobs.release.frozen_by`). Once released, the owner (and
  oversight) see the log and errors; the result stays governed by its own release.

Every step is audited with the job's datasets, so the leak trace finds it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.jobs.model import Job, JobState, LogReview
from sandbox.jobs.release import frozen_by
from sandbox.jobs.service import get_job, job_of
from sandbox.jobs.visibility import content_held
from sandbox.review.model import ReviewView
from sandbox.review.service import MAX_REASON, can_review, readable, view_of
from sandbox.store.models import GrantRow, JobRow

__all__ = ["LogDecision", "decide", "queue", "request_review"]

_REQUESTABLE = frozenset(
    {JobState.FAILED, JobState.REJECTED, JobState.CANCELLED, JobState.PENDING_REVIEW}
)
"""States whose log may be asked for: nothing more will run, or a reviewer already looks."""


class LogDecision(enum.StrEnum):
    """A reviewer's decision on a held log."""

    RELEASE = "release"
    REFUSE = "refuse"


def request_review(session: Session, actor: Actor, job_id: int, now: datetime | None = None) -> Job:
    """The owner asks for their job's held log and errors to be reviewed (audited)."""
    get_job(session, actor, job_id)  # those who may not see the job learn nothing of it
    row = session.get(JobRow, job_id, with_for_update=True)
    assert row is not None
    if row.owner_id != actor.user_id:
        raise PermissionDenied("only a job's owner asks for its log to be reviewed")
    if row.state not in _REQUESTABLE:
        raise Conflict(
            f"job {job_id} is {row.state}: its log is asked for once it failed, "
            "was rejected or cancelled, or while it waits in review"
        )
    if row.log_review is not None:
        raise Conflict(f"the log of job {job_id} was already asked for ({row.log_review})")
    if not content_held(session, actor, row):
        raise Conflict(f"the log of job {job_id} is not held from you")
    moment = now or utc_now()
    row.log_review = LogReview.REQUESTED
    row.updated_at = moment
    audit.record(
        session,
        actor,
        "job.log_review_requested",
        object_type="job",
        object_id=row.id,
        detail={"datasets": row.datasets},
    )
    return job_of(session, actor, row)


def queue(session: Session, actor: Actor) -> list[Job]:
    """Logs waiting for review that ``actor`` may see (their organisation's; all for
    oversight), oldest first.
    """
    deciders = frozenset({Role.REVIEWER, Role.PROVIDER})
    if actor.role not in OVERSIGHT_ROLES | deciders:
        raise PermissionDenied("the review queue is for the provider's reviewers")
    stmt = select(JobRow).where(JobRow.log_review == LogReview.REQUESTED).order_by(JobRow.id)
    if actor.role not in OVERSIGHT_ROLES:
        granted = select(GrantRow.id).where(GrantRow.provider_org_id == actor.organisation_id)
        stmt = stmt.where(JobRow.grant_id.in_(granted))
    return [job_of(session, actor, r) for r in session.execute(stmt).scalars()]


def decide(
    session: Session,
    actor: Actor,
    job_id: int,
    outcome: str,
    reason: str = "",
    now: datetime | None = None,
) -> ReviewView:
    """Release the held log and errors to the job's owner, or refuse (with a reason)."""
    row = readable(session, actor, job_id, lock=True)
    decision = parse_enum(LogDecision, outcome, "outcome")
    if not can_review(session, actor, row):
        raise PermissionDenied(
            "only a reviewer of the granting organisation, other than "
            "the job's owner, decides on its log"
        )
    if row.log_review != LogReview.REQUESTED:
        raise Conflict(
            f"nobody asked for the log of job {job_id} to be reviewed"
            if row.log_review is None
            else f"the log of job {job_id} was already {row.log_review}"
        )
    frozen = frozen_by(session, row)
    if frozen is not None:
        raise Conflict(f"the review is frozen: {frozen}")
    reason = reason.strip()
    if decision is LogDecision.REFUSE and not reason:
        raise InvalidRequest("a refusal states its reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason may hold at most {MAX_REASON} characters")
    moment = now or utc_now()
    released = decision is LogDecision.RELEASE
    row.log_review = LogReview.RELEASED if released else LogReview.REFUSED
    row.log_review_reason = reason
    row.log_released_at = moment if released else None
    row.updated_at = moment
    audit.record(
        session,
        actor,
        "job.log_released" if released else "job.log_refused",
        object_type="job",
        object_id=row.id,
        detail={"datasets": row.datasets, "reason": reason},
    )
    return view_of(session, actor, row)
