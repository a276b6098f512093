"""Reviewing results: the queue, what a reviewer sees, decisions, release.

- A result that passed the output checks waits (``pending_review``) for reviewers of the
  organisation that granted the job: accounts with the ``reviewer`` or ``provider`` role in
  it. Oversight may read the queue; it does not decide.
- A reviewer sees the model's source and parameters, the result as it would be released,
  the check report, the budget the job spent, and the earlier released results of the same
  user on the same datasets, for comparison.
- Decisions: ``approve``, ``reject`` (with a reason) or ``return`` for changes (with a
  reason; the job ends ``rejected``, marked returned, and its owner may submit a corrected
  one). Nobody reviews their own job, nobody decides twice; the effective policies of the
  job's datasets say how many distinct approvals a release needs (the largest
  ``review.reviewers`` of them). A decision on a job whose dataset is suspended is refused:
  a suspension freezes pending reviews and releases.
- Every decision and every release is audited with the job's datasets and versions, so the
  leak trace finds them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.jobs.lifecycle import move
from sandbox.jobs.model import Job, JobState, LogReview
from sandbox.jobs.release import frozen_by, release, required_approvals
from sandbox.jobs.service import job_of
from sandbox.notifications.events import result_event
from sandbox.review.figures import figures_in
from sandbox.review.model import Decision, DecisionOutcome, ReviewView
from sandbox.store.models import GrantRow, JobRow, ReviewDecisionRow, UserRow

__all__ = ["can_review", "decide", "queue", "readable", "review_view", "view_of"]

_DECIDERS = frozenset({Role.REVIEWER, Role.PROVIDER})
MAX_REASON = 5000


def _granting_org(session: Session, row: JobRow) -> int:
    grant = session.get(GrantRow, row.grant_id)
    assert grant is not None
    return grant.provider_org_id


def can_review(session: Session, actor: Actor, row: JobRow) -> bool:
    """Whether ``actor`` decides on ``row``'s result (a reviewer or provider of the granting
    organisation who is not its owner).
    """
    return (
        actor.role in _DECIDERS
        and actor.organisation_id is not None
        and actor.organisation_id == _granting_org(session, row)
        and actor.user_id != row.owner_id
    )


def readable(session: Session, actor: Actor, job_id: int, *, lock: bool = False) -> JobRow:
    """The job under review, for oversight and the granting organisation's staff only."""
    row = session.get(JobRow, job_id, with_for_update=lock)
    if row is None or not (
        actor.role in OVERSIGHT_ROLES
        or (actor.role in _DECIDERS and actor.organisation_id == _granting_org(session, row))
    ):
        raise NotFound(f"no result of job {job_id} waits for you")
    return row


def _decisions(session: Session, row: JobRow) -> list[Decision]:
    found = session.execute(
        select(ReviewDecisionRow, UserRow.username)
        .join(UserRow, UserRow.id == ReviewDecisionRow.reviewer_id)
        .where(ReviewDecisionRow.job_id == row.id)
        .order_by(ReviewDecisionRow.id)
    ).all()
    return [
        Decision(reviewer=name, outcome=d.outcome, reason=d.reason, decided_at=d.decided_at)
        for d, name in found
    ]


def _earlier(session: Session, row: JobRow) -> list[dict[str, Any]]:
    stmt = (
        select(JobRow)
        .where(
            JobRow.owner_id == row.owner_id, JobRow.id != row.id, JobRow.state == JobState.RELEASED
        )
        .order_by(JobRow.id.desc())
        .limit(50)
    )
    return [
        {
            "job_id": r.id,
            "datasets": r.datasets,
            "released_at": r.released_at,
            "model": r.model_name,
            "source_sha256": r.source_sha256,
            "params": r.params,
            "result": r.release,
        }
        for r in session.execute(stmt).scalars()
        if set(r.datasets) & set(row.datasets)
    ]


def queue(session: Session, actor: Actor) -> list[Job]:
    """Results waiting for review that ``actor`` may see (their organisation's; all for
    oversight), oldest first.
    """
    if actor.role not in OVERSIGHT_ROLES | _DECIDERS:
        raise PermissionDenied("the review queue is for the provider's reviewers")
    stmt = select(JobRow).where(JobRow.state == JobState.PENDING_REVIEW).order_by(JobRow.id)
    if actor.role not in OVERSIGHT_ROLES:
        granted = select(GrantRow.id).where(GrantRow.provider_org_id == actor.organisation_id)
        stmt = stmt.where(JobRow.grant_id.in_(granted))
    return [job_of(session, actor, r) for r in session.execute(stmt).scalars()]


def review_view(session: Session, actor: Actor, job_id: int) -> ReviewView:
    """Everything a reviewer weighs (see the module docstring); the read is audited."""
    row = readable(session, actor, job_id)
    audit.record(
        session,
        actor,
        "result.review_read",
        object_type="result",
        object_id=row.id,
        detail={"datasets": row.datasets},
    )
    return view_of(session, actor, row)


def _reads_content(session: Session, actor: Actor, row: JobRow) -> bool:
    """Only the granting organisation's reviewers read an unreleased result; oversight reads
    the review's metadata (decisions, checks, approvals needed), not what would be released.
    """
    return row.state == JobState.RELEASED or (
        actor.role in _DECIDERS and actor.organisation_id == _granting_org(session, row)
    )


def view_of(session: Session, actor: Actor, row: JobRow) -> ReviewView:
    """What ``actor`` sees of the review of ``row`` (its result and its held log)."""
    content = _reads_content(session, actor, row)
    earlier = _earlier(session, row)
    return ReviewView(
        job=job_of(session, actor, row),
        source=row.source,
        result=row.result if content else None,
        release=row.release if content else None,
        check_report=row.check_report or {},
        decisions=_decisions(session, row),
        required_approvals=required_approvals(session, row),
        frozen=frozen_by(session, row),
        earlier_releases=earlier if content else [{**e, "result": None} for e in earlier],
        can_decide=can_review(session, actor, row) and row.state == JobState.PENDING_REVIEW,
        can_decide_log=can_review(session, actor, row) and row.log_review == LogReview.REQUESTED,
        content_withheld=not content,
        figures=[f.summary(row.id) for f in figures_in(row.release)] if content else [],
    )


def decide(
    session: Session,
    actor: Actor,
    job_id: int,
    outcome: str,
    reason: str = "",
    now: datetime | None = None,
) -> ReviewView:
    """Record ``actor``'s decision; release once enough reviewers approved."""
    moment = now or utc_now()
    row = readable(session, actor, job_id, lock=True)
    decision = parse_enum(DecisionOutcome, outcome, "outcome")
    if not can_review(session, actor, row):
        raise PermissionDenied(
            "only a reviewer of the granting organisation, other than "
            "the job's owner, decides on its result"
        )
    if row.state != JobState.PENDING_REVIEW:
        raise Conflict(f"job {job_id} is {row.state}: there is nothing to decide")
    frozen = frozen_by(session, row)
    if frozen is not None:
        raise Conflict(f"the review is frozen: {frozen}")
    reason = reason.strip()
    if decision is not DecisionOutcome.APPROVE and not reason:
        raise InvalidRequest(f"a decision to {decision} states its reason")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"the reason may hold at most {MAX_REASON} characters")
    already = session.execute(
        select(ReviewDecisionRow).where(
            ReviewDecisionRow.job_id == row.id, ReviewDecisionRow.reviewer_id == actor.user_id
        )
    ).scalar_one_or_none()
    if already is not None:
        raise Conflict(f"you already decided on job {job_id} ({already.outcome})")
    session.add(
        ReviewDecisionRow(
            job_id=row.id,
            reviewer_id=actor.user_id,
            outcome=str(decision),
            reason=reason,
            decided_at=moment,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        f"review.{decision}",
        object_type="result",
        object_id=row.id,
        detail={"datasets": row.datasets, "reason": reason},
    )
    if decision is DecisionOutcome.APPROVE:
        approvals = sum(1 for d in _decisions(session, row) if d.outcome == "approve")
        needed = required_approvals(session, row)
        if approvals >= needed:
            release(session, actor, row, auto=False, now=moment)
        else:
            row.state_reason = f"approved by {approvals} of {needed} reviewers"
            row.updated_at = moment
    else:
        word = "rejected" if decision is DecisionOutcome.REJECT else "returned for changes"
        move(
            session,
            row,
            JobState.REJECTED,
            actor,
            reason=f"{word}: {reason}",
            detail={"decision": str(decision)},
            now=moment,
        )
        result_event(session, row, f"result.{'rejected' if word == 'rejected' else 'returned'}")
    return view_of(session, actor, row)
