"""Applications for conditional data: submission, form review, provider decision.

The path (Wuxi art. 15; Qingdao art. 16-17; Lianyungang art. 19):

1. a user who is real-name verified and in good credit standing submits a complete
   application for conditional datasets of one provider organisation;
2. the authority reviews its form within 5 working days: it passes, or returns it with
   the reason;
3. a provider of the datasets' organisation decides within 10 working days: approval
   with a scope creates a grant (see :mod:`sandbox.access.grants`); a refusal states its
   reason and its legal basis.

Every step is audited in its own transaction, and every stage is recorded with its
deadline (:mod:`sandbox.access.stages`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access import grants as grant_service
from sandbox.access.eligibility import check_eligibility
from sandbox.access.model import (
    Application,
    ApplicationDraft,
    ApplicationKind,
    ApplicationStatus,
    StageKind,
    Subject,
)
from sandbox.access.rules import MAX_TEXT_CHARS, check_draft, require_application_step
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner, restrict_to_visible
from sandbox.catalog.publication import is_published
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications.events import application_event
from sandbox.store.models import ApplicationRow, DatasetRow, GrantRow, OrganisationRow, UserRow
from sandbox.workdays import WorkCalendar


def _now(now: datetime | None) -> datetime:
    return now or utc_now()


# ---- submission ----------------------------------------------------------------------------


def conditional_datasets_of(session: Session, names: tuple[str, ...]) -> list[DatasetRow]:
    """The catalog rows of ``names``: conditional datasets of one provider organisation."""
    rows = []
    for name in names:
        row = session.execute(
            select(DatasetRow).where(DatasetRow.name == name)
        ).scalar_one_or_none()
        if row is None or not is_published(session, row):
            # a dataset under the authority's publication review is not in the catalog yet
            # (Qingdao art. 10, 12)
            raise InvalidRequest(f"dataset {name!r} is not in the catalog")
        attribute = OpenAttribute(row.open_attribute)
        if attribute is OpenAttribute.UNCONDITIONAL:
            raise InvalidRequest(
                f"dataset {name!r} is unconditional: it is open to everyone "
                "and needs no application"
            )
        if attribute is OpenAttribute.CLOSED:
            raise InvalidRequest(
                f"dataset {name!r} is not open; ask for it with a request "
                "for data not yet open instead"
            )
        rows.append(row)
    if len({row.provider_org_id for row in rows}) > 1:
        raise InvalidRequest(
            "the datasets belong to more than one provider organisation; "
            "apply to each provider separately"
        )
    return rows


def submit_application(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    draft: ApplicationDraft,
    *,
    now: datetime | None = None,
) -> Application:
    """Check eligibility and completeness, then file the application for form review."""
    now = _now(now)
    check_eligibility(session, actor)
    kind = check_draft(draft, calendar.local_date(now))
    datasets = conditional_datasets_of(session, draft.datasets)
    assert draft.period_start and draft.period_end and actor.user_id is not None
    row = ApplicationRow(
        applicant_id=actor.user_id,
        applicant_org_id=actor.organisation_id,
        provider_org_id=datasets[0].provider_org_id,
        title=(draft.title or "").strip()[:300],
        reason=draft.reason or "",
        kind=str(kind),
        datasets=list(draft.datasets),
        period_start=draft.period_start,
        period_end=draft.period_end,
        results_form=draft.results_form or "",
        scenario=draft.scenario or "",
        security_measures=draft.security_measures or "",
        commitment_signed_at=now,
        status=str(ApplicationStatus.SUBMITTED),
        submitted_at=now,
        updated_at=now,
        return_reason="",
        refusal_reason="",
        legal_basis="",
    )
    session.add(row)
    session.flush()
    stage = open_stage(
        session,
        calendar,
        subject=Subject.APPLICATION,
        subject_id=row.id,
        kind=StageKind.FORM_REVIEW,
        assignee_role="authority",
        now=now,
    )
    audit.record(
        session,
        actor,
        "application.submit",
        object_type="application",
        object_id=row.id,
        detail={
            "datasets": list(draft.datasets),
            "type": str(kind),
            "period": [row.period_start.isoformat(), row.period_end.isoformat()],
            "form_review_due": stage.due_on.isoformat(),
        },
    )
    return application_of(session, calendar, row, now)


# ---- reviews -------------------------------------------------------------------------------


def _locked(session: Session, application_id: int) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=True)
    if row is None:
        raise NotFound(f"application {application_id} does not exist")
    return row


def _text(value: str, label: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"{label} is longer than {MAX_TEXT_CHARS} characters")
    return value.strip()


def form_review(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    *,
    passed: bool,
    reason: str = "",
    now: datetime | None = None,
) -> Application:
    """The authority's form review: pass to the provider, or return with the reason."""
    now = _now(now)
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority reviews the form of applications")
    row = _locked(session, application_id)
    require_application_step("form review", ApplicationStatus(row.status), row.id)
    reason = _text(reason, "reason")
    if not passed and not reason:
        raise InvalidRequest(
            "a returned application needs the reason it is returned (Qingdao art. 17)"
        )
    close_stage(
        session,
        subject=Subject.APPLICATION,
        subject_id=row.id,
        kind=StageKind.FORM_REVIEW,
        closed_by=actor.user_id,
        outcome="passed" if passed else "returned",
        note=reason,
        now=now,
    )
    detail: dict[str, object] = {"outcome": "passed" if passed else "returned"}
    if passed:
        row.status = str(ApplicationStatus.PROVIDER_REVIEW)
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
    else:
        row.status = str(ApplicationStatus.RETURNED)
        row.return_reason = reason
        detail["reason"] = reason
        application_event(session, row, "application.returned")
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "application.form_review",
        object_type="application",
        object_id=row.id,
        detail=detail,
    )
    return application_of(session, calendar, row, now)


def decide(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    *,
    approve: bool,
    scope: grant_service.Scope | None = None,
    reason: str = "",
    legal_basis: str = "",
    now: datetime | None = None,
) -> Application:
    """The provider's decision: approve with a scope (creating a grant), or refuse with
    its reason and legal basis (Wuxi art. 15; Lianyungang art. 19).
    """
    now = _now(now)
    row = _locked(session, application_id)
    require_owner(actor, row.provider_org_id, "decide on applications for its datasets")
    require_application_step("provider decision", ApplicationStatus(row.status), row.id)
    reason, legal_basis = _text(reason, "reason"), _text(legal_basis, "legal_basis")
    detail: dict[str, object]
    if approve:
        if scope is None:
            raise InvalidRequest("an approval states its scope: at least the grant_budget")
        grant = grant_service.create_grant(session, actor, calendar, row, scope, now=now)
        row.status = str(ApplicationStatus.APPROVED)
        detail = {
            "outcome": "approved",
            "grant": grant.ref,
            "datasets": grant.datasets,
            "job_kinds": grant.job_kinds,
            "policy": grant.policy,
            "period": [grant.period_start.isoformat(), grant.period_end.isoformat()],
        }
        note = reason
    else:
        missing = [
            name for name, value in (("reason", reason), ("legal_basis", legal_basis)) if not value
        ]
        if missing:
            raise InvalidRequest(
                "a refusal states its reason and its legal basis (Wuxi art. "
                "15; Lianyungang art. 19); missing: " + ", ".join(missing)
            )
        row.status = str(ApplicationStatus.REFUSED)
        row.refusal_reason, row.legal_basis = reason, legal_basis
        detail = {"outcome": "refused", "reason": reason, "legal_basis": legal_basis}
        note = f"{reason} (legal basis: {legal_basis})"
    close_stage(
        session,
        subject=Subject.APPLICATION,
        subject_id=row.id,
        kind=StageKind.PROVIDER_REVIEW,
        closed_by=actor.user_id,
        outcome=str(row.status),
        note=note,
        now=now,
    )
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "application.decide",
        object_type="application",
        object_id=row.id,
        detail=detail,
    )
    application_event(session, row, "application.approved" if approve else "application.refused")
    return application_of(session, calendar, row, now)


# ---- reading -------------------------------------------------------------------------------


def can_see(actor: Actor, row: ApplicationRow) -> bool:
    """The applicant, providers of the datasets' organisation, and oversight see it."""
    return (
        row.applicant_id == actor.user_id
        or owns(actor, row.provider_org_id)
        or actor.role in OVERSIGHT_ROLES
    )


def get_application(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    *,
    now: datetime | None = None,
) -> Application:
    """One application the actor may see (else :class:`NotFound`)."""
    row = session.get(ApplicationRow, application_id)
    if row is None or not can_see(actor, row):
        raise NotFound(f"application {application_id} does not exist")
    return application_of(session, calendar, row, _now(now))


def list_applications(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: ApplicationStatus | None = None,
    now: datetime | None = None,
) -> list[Application]:
    """The applications the actor may see, newest first."""
    stmt = select(ApplicationRow).order_by(ApplicationRow.id.desc())
    if status is not None:
        stmt = stmt.where(ApplicationRow.status == str(status))
    stmt = restrict_to_visible(
        stmt,
        actor,
        org_column=ApplicationRow.provider_org_id,
        filer_column=ApplicationRow.applicant_id,
        provider_sees_own_filings=False,
    )
    moment = _now(now)
    return [
        application_of(session, calendar, row, moment) for row in session.execute(stmt).scalars()
    ]


def application_of(
    session: Session, calendar: WorkCalendar, row: ApplicationRow, now: datetime
) -> Application:
    """An application row as the domain sees it."""
    applicant = session.get(UserRow, row.applicant_id)
    applicant_org = (
        session.get(OrganisationRow, row.applicant_org_id) if row.applicant_org_id else None
    )
    provider_org = session.get(OrganisationRow, row.provider_org_id)
    grant_id = session.execute(
        select(GrantRow.id).where(GrantRow.application_id == row.id)
    ).scalar_one_or_none()
    return Application(
        id=row.id,
        applicant=applicant.username if applicant else "?",
        applicant_org=applicant_org.name if applicant_org else None,
        provider_org_id=row.provider_org_id,
        provider_org=provider_org.name if provider_org else "?",
        title=row.title,
        reason=row.reason,
        kind=ApplicationKind(row.kind),
        datasets=tuple(row.datasets),
        period_start=row.period_start,
        period_end=row.period_end,
        results_form=row.results_form,
        scenario=row.scenario,
        security_measures=row.security_measures,
        commitment_signed_at=row.commitment_signed_at,
        status=ApplicationStatus(row.status),
        submitted_at=row.submitted_at,
        return_reason=row.return_reason,
        refusal_reason=row.refusal_reason,
        legal_basis=row.legal_basis,
        grant_id=grant_id,
        stages=stages_of(session, calendar, Subject.APPLICATION, row.id, now),
    )
