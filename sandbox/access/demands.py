"""Requests for data not yet open (Qingdao art. 18; Wuxi art. 9; Xi'an art. 19).

A user describes the data it needs (and may name a dataset); the authority reviews the
form within 5 working days and names the provider organisation that must answer; the
provider answers within 10 working days, agreeing or refusing with its reason; if it
agreed, it opens the data within 20 working days and links the catalog dataset. Every
stage is recorded with its deadline and every step is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import Demand, DemandStatus, StageKind, Subject
from sandbox.access.rules import MAX_TEXT_CHARS, require_demand_step
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner, restrict_to_visible
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.store.models import DatasetRow, DemandRow, OrganisationRow, UserRow
from sandbox.workdays import WorkCalendar


def _now(now: datetime | None) -> datetime:
    return now or utc_now()


def _text(value: str, label: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"{label} is longer than {MAX_TEXT_CHARS} characters")
    return value.strip()


def _dataset(session: Session, name: str) -> DatasetRow | None:
    return session.execute(select(DatasetRow).where(DatasetRow.name == name)).scalar_one_or_none()


def _provider_org(session: Session, organisation_id: int) -> OrganisationRow:
    org = session.get(OrganisationRow, organisation_id)
    if org is None:
        raise InvalidRequest(f"organisation {organisation_id} does not exist")
    if org.kind != OrganisationKind.PROVIDER.value:
        raise InvalidRequest(f"organisation {org.name!r} is not a provider organisation")
    return org


def submit_demand(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    description: str,
    dataset_name: str = "",
    provider_org_id: int | None = None,
    now: datetime | None = None,
) -> Demand:
    """File a request for data not yet open, for the authority's form review."""
    now = _now(now)
    if actor.role is not Role.USER or actor.user_id is None:
        raise PermissionDenied("only a user account may ask for data not yet open")
    description = _text(description, "description")
    dataset_name = _text(dataset_name, "dataset")[:200]
    if not description:
        raise InvalidRequest("describe the data you ask for (description)")
    existing = _dataset(session, dataset_name) if dataset_name else None
    if existing is not None:
        attribute = OpenAttribute(existing.open_attribute)
        if attribute is not OpenAttribute.CLOSED:
            raise InvalidRequest(
                f"dataset {dataset_name!r} is already open ({attribute}); "
                "use it, or apply for it if it is conditional"
            )
        if provider_org_id is None:
            provider_org_id = existing.provider_org_id
    if provider_org_id is not None:
        _provider_org(session, provider_org_id)
    row = DemandRow(
        requester_id=actor.user_id,
        description=description,
        dataset_name=dataset_name,
        provider_org_id=provider_org_id,
        status=str(DemandStatus.SUBMITTED),
        submitted_at=now,
        updated_at=now,
        return_reason="",
        answer="",
        legal_basis="",
    )
    session.add(row)
    session.flush()
    stage = open_stage(
        session,
        calendar,
        subject=Subject.DEMAND,
        subject_id=row.id,
        kind=StageKind.FORM_REVIEW,
        assignee_role="authority",
        now=now,
    )
    audit.record(
        session,
        actor,
        "demand.submit",
        object_type="demand",
        object_id=row.id,
        detail={
            "dataset": dataset_name,
            "provider_org_id": provider_org_id,
            "form_review_due": stage.due_on.isoformat(),
        },
    )
    return demand_of(session, calendar, row, now)


def _locked(session: Session, demand_id: int) -> DemandRow:
    row = session.get(DemandRow, demand_id, with_for_update=True)
    if row is None:
        raise NotFound(f"request {demand_id} does not exist")
    return row


def form_review(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    *,
    passed: bool,
    reason: str = "",
    provider_org_id: int | None = None,
    now: datetime | None = None,
) -> Demand:
    """The authority's form review: pass it to a provider organisation, or return it with
    the reason.
    """
    now = _now(now)
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority reviews the form of requests")
    row = _locked(session, demand_id)
    require_demand_step("form review", DemandStatus(row.status), row.id)
    reason = _text(reason, "reason")
    detail: dict[str, object] = {"outcome": "passed" if passed else "returned"}
    if passed:
        org_id = provider_org_id if provider_org_id is not None else row.provider_org_id
        if org_id is None:
            raise InvalidRequest(
                "name the provider organisation that must answer (provider_org_id)"
            )
        _provider_org(session, org_id)
        row.provider_org_id = org_id
        row.status = str(DemandStatus.PROVIDER_REVIEW)
    elif not reason:
        raise InvalidRequest("a returned request needs the reason it is returned")
    else:
        row.status = str(DemandStatus.RETURNED)
        row.return_reason = reason
        detail["reason"] = reason
    close_stage(
        session,
        subject=Subject.DEMAND,
        subject_id=row.id,
        kind=StageKind.FORM_REVIEW,
        closed_by=actor.user_id,
        outcome=str(detail["outcome"]),
        note=reason,
        now=now,
    )
    if passed:
        stage = open_stage(
            session,
            calendar,
            subject=Subject.DEMAND,
            subject_id=row.id,
            kind=StageKind.PROVIDER_REVIEW,
            assignee_role="provider",
            assignee_org_id=row.provider_org_id,
            now=now,
        )
        detail["provider_org_id"] = row.provider_org_id
        detail["answer_due"] = stage.due_on.isoformat()
    row.updated_at = now
    session.flush()
    audit.record(
        session, actor, "demand.form_review", object_type="demand", object_id=row.id, detail=detail
    )
    return demand_of(session, calendar, row, now)


def answer(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    *,
    agree: bool,
    reason: str = "",
    legal_basis: str = "",
    now: datetime | None = None,
) -> Demand:
    """The provider's answer: agree (then open within 20 working days) or refuse with the
    reason.
    """
    now = _now(now)
    row = _locked(session, demand_id)
    if row.provider_org_id is None:
        raise PermissionDenied("this request has not been passed to a provider")
    require_owner(actor, row.provider_org_id, "answer requests passed to its organisation")
    require_demand_step("provider answer", DemandStatus(row.status), row.id)
    reason, legal_basis = _text(reason, "reason"), _text(legal_basis, "legal_basis")
    if not agree and not reason:
        raise InvalidRequest("a refusal states its reason")
    row.status = str(DemandStatus.AGREED if agree else DemandStatus.REFUSED)
    row.answer, row.legal_basis = reason, legal_basis
    close_stage(
        session,
        subject=Subject.DEMAND,
        subject_id=row.id,
        kind=StageKind.PROVIDER_REVIEW,
        closed_by=actor.user_id,
        outcome=row.status,
        note=reason,
        now=now,
    )
    detail: dict[str, object] = {
        "outcome": row.status,
        "reason": reason,
        "legal_basis": legal_basis,
    }
    if agree:
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
    session.flush()
    audit.record(
        session, actor, "demand.answer", object_type="demand", object_id=row.id, detail=detail
    )
    return demand_of(session, calendar, row, now)


def mark_opened(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    *,
    dataset: str,
    now: datetime | None = None,
) -> Demand:
    """The provider opened the data: link the catalog dataset (of its organisation, open
    or conditional) and close the opening stage.
    """
    now = _now(now)
    row = _locked(session, demand_id)
    if row.provider_org_id is None:
        raise PermissionDenied("this request has not been passed to a provider")
    require_owner(actor, row.provider_org_id, "open data for requests to its organisation")
    require_demand_step("opening", DemandStatus(row.status), row.id)
    found = _dataset(session, dataset.strip())
    if found is None:
        raise InvalidRequest(f"dataset {dataset!r} is not in the catalog")
    if found.provider_org_id != row.provider_org_id:
        raise InvalidRequest(f"dataset {dataset!r} is not one of your organisation's")
    if OpenAttribute(found.open_attribute) is OpenAttribute.CLOSED:
        raise InvalidRequest(
            f"dataset {dataset!r} is still not open; change its open attribute first"
        )
    row.status = str(DemandStatus.OPENED)
    row.opened_dataset_id = found.id
    row.updated_at = now
    close_stage(
        session,
        subject=Subject.DEMAND,
        subject_id=row.id,
        kind=StageKind.OPENING,
        closed_by=actor.user_id,
        outcome="opened",
        note=found.name,
        now=now,
    )
    session.flush()
    audit.record(
        session,
        actor,
        "demand.opened",
        object_type="demand",
        object_id=row.id,
        detail={"dataset": found.name, "open_attribute": found.open_attribute},
    )
    return demand_of(session, calendar, row, now)


# ---- reading -------------------------------------------------------------------------------


def can_see(actor: Actor, row: DemandRow) -> bool:
    """The requester, providers of the organisation it was passed to, and oversight."""
    return (
        row.requester_id == actor.user_id
        or (row.provider_org_id is not None and owns(actor, row.provider_org_id))
        or actor.role in OVERSIGHT_ROLES
    )


def get_demand(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    demand_id: int,
    *,
    now: datetime | None = None,
) -> Demand:
    """One request the actor may see (else :class:`NotFound`)."""
    row = session.get(DemandRow, demand_id)
    if row is None or not can_see(actor, row):
        raise NotFound(f"request {demand_id} does not exist")
    return demand_of(session, calendar, row, _now(now))


def list_demands(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: DemandStatus | None = None,
    now: datetime | None = None,
) -> list[Demand]:
    """The requests the actor may see, newest first."""
    stmt = select(DemandRow).order_by(DemandRow.id.desc())
    if status is not None:
        stmt = stmt.where(DemandRow.status == str(status))
    stmt = restrict_to_visible(
        stmt,
        actor,
        org_column=DemandRow.provider_org_id,
        filer_column=DemandRow.requester_id,
        provider_sees_own_filings=False,
    )
    moment = _now(now)
    return [demand_of(session, calendar, row, moment) for row in session.execute(stmt).scalars()]


def demand_of(session: Session, calendar: WorkCalendar, row: DemandRow, now: datetime) -> Demand:
    """A request row as the domain sees it."""
    requester = session.get(UserRow, row.requester_id)
    org = session.get(OrganisationRow, row.provider_org_id) if row.provider_org_id else None
    opened = session.get(DatasetRow, row.opened_dataset_id) if row.opened_dataset_id else None
    return Demand(
        id=row.id,
        requester=requester.username if requester else "?",
        requester_id=row.requester_id,
        description=row.description,
        dataset_name=row.dataset_name,
        provider_org_id=row.provider_org_id,
        provider_org=org.name if org else None,
        status=DemandStatus(row.status),
        submitted_at=row.submitted_at,
        return_reason=row.return_reason,
        answer=row.answer,
        legal_basis=row.legal_basis,
        opened_dataset=opened.name if opened else None,
        stages=stages_of(session, calendar, Subject.DEMAND, row.id, now),
    )
