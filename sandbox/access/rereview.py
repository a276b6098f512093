"""Re-review (复核) of a refusal the applicant disputes (Chengdu art. 34).

A user whose application for conditional data, or whose request for data not yet open, was
refused may ask the authority once to re-review the refusal, stating why. The authority
(which may take the advice of the city's expert committee: its opinion is the answer's
text) answers within 15 working days:

* **upheld**: the refusal stands, now final;
* **overturned**: the case goes back to the provider. An application waits for the
  provider's decision again (10 working days), with the authority's opinion on record; a
  request for data not yet open counts as agreed, and the provider opens it within 20
  working days (Chengdu art. 34: "同意的及时开放").

Every step is audited and its stage recorded with its deadline (:mod:`sandbox.access.stages`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.applications import application_of
from sandbox.access.demands import demand_of
from sandbox.access.model import (
    Application,
    ApplicationStatus,
    Demand,
    DemandStatus,
    StageKind,
    Subject,
)
from sandbox.access.rules import MAX_TEXT_CHARS, require_application_step, require_demand_step
from sandbox.access.stages import close_stage, open_stage
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications.events import rereview_answered
from sandbox.store.models import ApplicationRow, DemandRow, WorkflowStageRow
from sandbox.workdays import WorkCalendar

__all__ = [
    "ReReviewAnswer",
    "answer_application_rereview",
    "answer_demand_rereview",
    "request_application_rereview",
    "request_demand_rereview",
]


@dataclass(frozen=True)
class ReReviewAnswer:
    """The authority's answer: ``upheld`` (the refusal stands) or not, and its opinion."""

    upheld: bool
    opinion: str


def _text(value: str, label: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidRequest(f"{label} must be stated")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"{label} is longer than {MAX_TEXT_CHARS} characters")
    return value


def _asked_before(session: Session, subject: Subject, subject_id: int) -> bool:
    found = session.execute(
        select(WorkflowStageRow.id).where(
            WorkflowStageRow.subject_type == str(subject),
            WorkflowStageRow.subject_id == subject_id,
            WorkflowStageRow.stage == str(StageKind.RE_REVIEW),
        )
    ).first()
    return found is not None


def _open_rereview(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    subject: Subject,
    subject_id: int,
    reason: str,
    now: datetime,
) -> None:
    """The shared part of a request: once per case, the stage opened, the request audited."""
    if _asked_before(session, subject, subject_id):
        raise Conflict(f"{subject} {subject_id} has been re-reviewed already: the answer is final")
    stage = open_stage(
        session,
        calendar,
        subject=subject,
        subject_id=subject_id,
        kind=StageKind.RE_REVIEW,
        assignee_role="authority",
        now=now,
    )
    audit.record(
        session,
        actor,
        f"{subject}.rereview_request",
        object_type=str(subject),
        object_id=subject_id,
        detail={"reason": reason, "re_review_due": stage.due_on.isoformat()},
    )


def _close_rereview(
    session: Session,
    actor: Actor,
    subject: Subject,
    subject_id: int,
    answer: ReReviewAnswer,
    now: datetime,
    detail: dict[str, object],
) -> None:
    outcome = "upheld" if answer.upheld else "overturned"
    close_stage(
        session,
        subject=subject,
        subject_id=subject_id,
        kind=StageKind.RE_REVIEW,
        closed_by=actor.user_id,
        outcome=outcome,
        note=answer.opinion,
        now=now,
    )
    audit.record(
        session,
        actor,
        f"{subject}.rereview",
        object_type=str(subject),
        object_id=subject_id,
        detail={"outcome": outcome, "opinion": answer.opinion, **detail},
    )


def _require_authority(actor: Actor) -> None:
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority re-reviews refusals (Chengdu art. 34)")


# ---- applications --------------------------------------------------------------------------


def _application(session: Session, actor: Actor, application_id: int) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=True)
    if row is None or (row.applicant_id != actor.user_id and actor.role is not Role.AUTHORITY):
        raise NotFound(f"application {application_id} does not exist")
    return row


def request_application_rereview(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> Application:
    """The applicant disputes a refusal: the authority re-reviews it in 15 working days."""
    now = now or utc_now()
    row = _application(session, actor, application_id)
    if row.applicant_id != actor.user_id:
        raise PermissionDenied("only the applicant asks for a re-review of its application")
    require_application_step("re-review request", ApplicationStatus(row.status), row.id)
    reason = _text(reason, "reason")
    _open_rereview(session, actor, calendar, Subject.APPLICATION, row.id, reason, now)
    row.status, row.updated_at = str(ApplicationStatus.RE_REVIEW), now
    session.flush()
    return application_of(session, calendar, row, now)


def answer_application_rereview(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    answer: ReReviewAnswer,
    *,
    now: datetime | None = None,
) -> Application:
    """Uphold the refusal (final) or overturn it: the provider decides again."""
    now = now or utc_now()
    _require_authority(actor)
    row = _application(session, actor, application_id)
    require_application_step("re-review", ApplicationStatus(row.status), row.id)
    answer = ReReviewAnswer(answer.upheld, _text(answer.opinion, "opinion"))
    detail: dict[str, object] = {}
    if answer.upheld:
        row.status = str(ApplicationStatus.REFUSED)
    else:
        row.status = str(ApplicationStatus.PROVIDER_REVIEW)
        row.refusal_reason, row.legal_basis = "", ""
        stage = open_stage(
            session,
            calendar,
            subject=Subject.APPLICATION,
            subject_id=row.id,
            kind=StageKind.PROVIDER_REVIEW,
            assignee_role="provider",
            assignee_org_id=row.provider_org_id,
            now=now,
        )
        detail["provider_review_due"] = stage.due_on.isoformat()
    row.updated_at = now
    _close_rereview(session, actor, Subject.APPLICATION, row.id, answer, now, detail)
    rereview_answered(session, "application", row.id, row.applicant_id)
    session.flush()
    return application_of(session, calendar, row, now)


# ---- requests for data not yet open --------------------------------------------------------


def _demand(session: Session, actor: Actor, demand_id: int) -> DemandRow:
    row = session.get(DemandRow, demand_id, with_for_update=True)
    if row is None or (row.requester_id != actor.user_id and actor.role is not Role.AUTHORITY):
        raise NotFound(f"request {demand_id} does not exist")
    return row


def request_demand_rereview(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    *,
    reason: str,
    now: datetime | None = None,
) -> Demand:
    """The requester disputes the provider's refusal (Chengdu art. 34)."""
    now = now or utc_now()
    row = _demand(session, actor, demand_id)
    if row.requester_id != actor.user_id:
        raise PermissionDenied("only the requester asks for a re-review of its request")
    require_demand_step("re-review request", DemandStatus(row.status), row.id)
    reason = _text(reason, "reason")
    _open_rereview(session, actor, calendar, Subject.DEMAND, row.id, reason, now)
    row.status, row.updated_at = str(DemandStatus.RE_REVIEW), now
    session.flush()
    return demand_of(session, calendar, row, now)


def answer_demand_rereview(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    answer: ReReviewAnswer,
    *,
    now: datetime | None = None,
) -> Demand:
    """Uphold the refusal (final) or overturn it: the provider opens the data in 20 working
    days, as if it had agreed.
    """
    now = now or utc_now()
    _require_authority(actor)
    row = _demand(session, actor, demand_id)
    require_demand_step("re-review", DemandStatus(row.status), row.id)
    answer = ReReviewAnswer(answer.upheld, _text(answer.opinion, "opinion"))
    detail: dict[str, object] = {}
    if answer.upheld:
        row.status = str(DemandStatus.REFUSED)
    else:
        row.status = str(DemandStatus.AGREED)
        stage = open_stage(
            session,
            calendar,
            subject=Subject.DEMAND,
            subject_id=row.id,
            kind=StageKind.OPENING,
            assignee_role="provider",
            assignee_org_id=row.provider_org_id,
            now=now,
        )
        detail["opening_due"] = stage.due_on.isoformat()
    row.updated_at = now
    _close_rereview(session, actor, Subject.DEMAND, row.id, answer, now, detail)
    rereview_answered(session, "demand", row.id, row.requester_id)
    session.flush()
    return demand_of(session, calendar, row, now)
