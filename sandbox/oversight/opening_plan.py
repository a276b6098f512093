"""The open responsibility list and the annual opening plan (Xi'an art. 20-21;
Lianyungang art. 11-12).

The authority breaks the opening catalog down into each provider organisation's list of
datasets to open (Xi'an art. 20: 开放责任清单) and reviews each list before it is
published on the platform (Lianyungang art. 12). Here a plan is one organisation's list
for one year:

1. a provider of the organisation, or the authority, drafts it: entries naming the dataset
   as it will be registered (it may not exist yet), its title, its planned open attribute
   and the date by which it is opened (within the plan's year);
2. the provider submits it; the authority publishes it (approval) or returns it to draft
   with its reason; the authority may also publish a draft it set itself (the authority
   is notified of a submission, the organisation's providers of the decision);
3. a published plan is public (the rules publish the list on the platform); only the
   authority amends it afterwards (the dynamic adjustment of Xi'an art. 21), each change
   audited.

An entry is *met* once a dataset of its name is registered by the plan's organisation
and the authority has passed a version of it into the public catalog (on the day of that
pass); it is *overdue* while unmet after its date (in the calendar's time zone). Drafts
are seen by the organisation's providers and oversight only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog.model import OpenAttribute, ReviewStatus
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.datasets.registry import DATASET_NAME
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import holders_of_role, notify, staff_of
from sandbox.oversight.common import clean_text, now_or, org_name, username
from sandbox.oversight.opening_plan_model import EntryState, OpeningPlan, PlanEntry, PlanStatus
from sandbox.oversight.participation_figures import PlanProgress
from sandbox.store.models import (
    DatasetRow,
    DatasetVersionRow,
    OpeningPlanEntryRow,
    OpeningPlanRow,
    OrganisationRow,
)
from sandbox.workdays import WorkCalendar

MAX_ENTRIES = 500
"""Most entries one organisation's plan for one year holds."""
FIRST_YEAR, LAST_YEAR = 2000, 2100


# ---- drafting ------------------------------------------------------------------------------


def _may_edit(actor: Actor, plan: OpeningPlanRow) -> None:
    if actor.role is Role.AUTHORITY:
        return
    if not owns(actor, plan.provider_org_id):
        raise PermissionDenied(
            "only the authority or a provider of the organisation edits its opening plan"
        )
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(f"the opening plan is {plan.status}: only the authority changes it now")


def _plan_for(
    session: Session, actor: Actor, organisation_id: int, year: int, now: datetime
) -> OpeningPlanRow:
    if type(year) is not int or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidRequest(f"year must be between {FIRST_YEAR} and {LAST_YEAR}")
    if session.get(OrganisationRow, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    if actor.role is not Role.AUTHORITY and not owns(actor, organisation_id):
        raise PermissionDenied(
            "only the authority or a provider of the organisation edits its opening plan"
        )
    row = session.execute(
        select(OpeningPlanRow)
        .where(OpeningPlanRow.provider_org_id == organisation_id, OpeningPlanRow.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        assert actor.user_id is not None
        row = OpeningPlanRow(
            provider_org_id=organisation_id,
            year=year,
            status=str(PlanStatus.DRAFT),
            note="",
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(row)
        session.flush()
    return row


def add_entry(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    organisation_id: int,
    year: int,
    dataset: str,
    title: str,
    open_attribute: str,
    due_on: date,
    now: datetime | None = None,
) -> OpeningPlan:
    """Add a dataset to an organisation's plan for ``year`` (the plan is created on its
    first entry); ``due_on`` must lie within ``year``.
    """
    now = now_or(now)
    if actor.user_id is None:
        raise PermissionDenied("opening plans are edited by a named account")
    if not DATASET_NAME.match(dataset):
        raise InvalidRequest(
            f"dataset {dataset!r} is not a valid dataset name "
            "(lower-case letters, digits and _, starting with a letter)"
        )
    title = clean_text(title, "title", required=True, limit=300)
    attribute = parse_enum(OpenAttribute, open_attribute, "open_attribute")
    if attribute is OpenAttribute.CLOSED:
        raise InvalidRequest("an opening plan lists data to open: closed has no place in it")
    plan = _plan_for(session, actor, organisation_id, year, now)
    _may_edit(actor, plan)
    if due_on.year != plan.year:
        raise InvalidRequest(f"due_on {due_on.isoformat()} is not in the plan's year {plan.year}")
    entries = session.execute(
        select(func.count())
        .select_from(OpeningPlanEntryRow)
        .where(OpeningPlanEntryRow.plan_id == plan.id)
    ).scalar_one()
    if entries >= MAX_ENTRIES:
        raise Conflict(f"an opening plan holds at most {MAX_ENTRIES} entries")
    taken = session.execute(
        select(OpeningPlanEntryRow.id).where(
            OpeningPlanEntryRow.plan_id == plan.id, OpeningPlanEntryRow.dataset_name == dataset
        )
    ).first()
    if taken:
        raise Conflict(f"the {plan.year} plan already lists dataset {dataset!r}")
    existing = session.execute(
        select(DatasetRow.provider_org_id).where(DatasetRow.name == dataset)
    ).scalar_one_or_none()
    if existing is not None and existing != organisation_id:
        raise InvalidRequest(f"dataset {dataset!r} is another organisation's")
    entry = OpeningPlanEntryRow(
        plan_id=plan.id,
        dataset_name=dataset,
        title=title,
        open_attribute=str(attribute),
        due_on=due_on,
        added_by=actor.user_id,
        added_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor,
        "opening_plan.entry.add",
        object_type="opening_plan",
        object_id=plan.id,
        detail={
            "entry_id": entry.id,
            "dataset": dataset,
            "due_on": due_on.isoformat(),
            "open_attribute": str(attribute),
            "plan_status": plan.status,
        },
    )
    return plan_of(session, calendar, plan, now)


def remove_entry(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    plan_id: int,
    entry_id: int,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> OpeningPlan:
    """Take an entry out of a plan (a published plan: the authority, with its reason)."""
    now = now_or(now)
    plan = _visible(session, actor, plan_id, lock=True)
    _may_edit(actor, plan)
    reason = clean_text(reason, "reason", required=plan.status == PlanStatus.PUBLISHED)
    entry = session.get(OpeningPlanEntryRow, entry_id)
    if entry is None or entry.plan_id != plan.id:
        raise NotFound(f"opening plan {plan_id} has no entry {entry_id}")
    session.delete(entry)
    session.flush()
    audit.record(
        session,
        actor,
        "opening_plan.entry.remove",
        object_type="opening_plan",
        object_id=plan.id,
        detail={"entry_id": entry_id, "dataset": entry.dataset_name, "reason": reason},
    )
    return plan_of(session, calendar, plan, now)


# ---- review --------------------------------------------------------------------------------


def submit_plan(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    plan_id: int,
    *,
    now: datetime | None = None,
) -> OpeningPlan:
    """A provider submits its organisation's draft for the authority's review."""
    now = now_or(now)
    plan = _visible(session, actor, plan_id, lock=True)
    if not owns(actor, plan.provider_org_id):
        raise PermissionDenied("only a provider of the organisation submits its opening plan")
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(f"opening plan {plan_id} is {plan.status}, not a draft")
    if not _entry_rows(session, plan.id):
        raise InvalidRequest("an opening plan needs at least one entry before it is submitted")
    plan.status = str(PlanStatus.SUBMITTED)
    plan.submitted_at = now
    session.flush()
    audit.record(
        session, actor, "opening_plan.submit", object_type="opening_plan", object_id=plan.id
    )
    notify(
        session,
        holders_of_role(session, str(Role.AUTHORITY)),
        "plan.submitted",
        subject=("opening_plan", plan.id),
        params={"id": plan.id},
    )
    return plan_of(session, calendar, plan, now)


def decide_plan(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    plan_id: int,
    *,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> OpeningPlan:
    """The authority publishes a plan (a submitted one, or a draft of its own making), or
    returns a submitted one to draft with its reason (Lianyungang art. 12).
    """
    now = now_or(now)
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority reviews opening plans")
    plan = _visible(session, actor, plan_id, lock=True)
    note = clean_text(note, "note", required=not approve)
    if plan.status == PlanStatus.PUBLISHED:
        raise Conflict(f"opening plan {plan_id} is already published")
    if not approve and plan.status != PlanStatus.SUBMITTED:
        raise Conflict(f"opening plan {plan_id} is a draft: nothing was submitted to return")
    if approve and not _entry_rows(session, plan.id):
        raise InvalidRequest("an opening plan without entries is not published")
    plan.note = note
    if approve:
        plan.status = str(PlanStatus.PUBLISHED)
        plan.published_by = actor.user_id
        plan.published_at = now
    else:
        plan.status = str(PlanStatus.DRAFT)
    session.flush()
    audit.record(
        session,
        actor,
        "opening_plan.decide",
        object_type="opening_plan",
        object_id=plan.id,
        detail={"decision": "publish" if approve else "return", "note": note},
    )
    notify(
        session,
        staff_of(session, plan.provider_org_id, ["provider"]),
        "plan.published" if approve else "plan.returned",
        subject=("opening_plan", plan.id),
        params={"id": plan.id},
    )
    return plan_of(session, calendar, plan, now)


# ---- reading -------------------------------------------------------------------------------


def _sees_draft(actor: Actor | None, plan: OpeningPlanRow) -> bool:
    return actor is not None and (
        actor.role in OVERSIGHT_ROLES or owns(actor, plan.provider_org_id)
    )


def _visible(
    session: Session, actor: Actor | None, plan_id: int, *, lock: bool = False
) -> OpeningPlanRow:
    plan = session.get(OpeningPlanRow, plan_id, with_for_update=lock)
    if plan is None or (plan.status != PlanStatus.PUBLISHED and not _sees_draft(actor, plan)):
        raise NotFound(f"opening plan {plan_id} does not exist")
    return plan


def get_plan(
    session: Session,
    actor: Actor | None,
    calendar: WorkCalendar,
    plan_id: int,
    *,
    now: datetime | None = None,
) -> OpeningPlan:
    """One plan: a published one for anyone (``actor`` ``None``: a visitor), a draft or a
    submitted one for its organisation's providers and oversight.
    """
    return plan_of(session, calendar, _visible(session, actor, plan_id), now_or(now))


def list_plans(
    session: Session,
    actor: Actor | None,
    calendar: WorkCalendar,
    *,
    year: int | None = None,
    organisation_id: int | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> list[OpeningPlan]:
    """The plans ``actor`` sees (a visitor: the published ones), newest year first."""
    moment = now_or(now)
    stmt = select(OpeningPlanRow).order_by(
        OpeningPlanRow.year.desc(), OpeningPlanRow.provider_org_id
    )
    if year is not None:
        stmt = stmt.where(OpeningPlanRow.year == year)
    if organisation_id is not None:
        stmt = stmt.where(OpeningPlanRow.provider_org_id == organisation_id)
    if status is not None:
        stmt = stmt.where(OpeningPlanRow.status == str(parse_enum(PlanStatus, status, "status")))
    return [
        plan_of(session, calendar, row, moment)
        for row in session.execute(stmt).scalars()
        if row.status == PlanStatus.PUBLISHED or _sees_draft(actor, row)
    ]


def progress(session: Session, calendar: WorkCalendar, now: datetime) -> tuple[PlanProgress, ...]:
    """Every published plan's progress (met, pending, overdue), for the statistics."""
    rows = session.execute(
        select(OpeningPlanRow)
        .where(OpeningPlanRow.status == str(PlanStatus.PUBLISHED))
        .order_by(OpeningPlanRow.year.desc(), OpeningPlanRow.provider_org_id)
    ).scalars()
    found = []
    for row in rows:
        plan = plan_of(session, calendar, row, now)
        found.append(
            PlanProgress(
                organisation=plan.organisation,
                year=plan.year,
                entries=len(plan.entries),
                met=plan.count(EntryState.MET),
                met_late=plan.count(EntryState.MET_LATE),
                pending=plan.count(EntryState.PENDING),
                overdue=plan.count(EntryState.OVERDUE),
            )
        )
    return tuple(found)


def _entry_rows(session: Session, plan_id: int) -> list[OpeningPlanEntryRow]:
    return list(
        session.execute(
            select(OpeningPlanEntryRow)
            .where(OpeningPlanEntryRow.plan_id == plan_id)
            .order_by(OpeningPlanEntryRow.due_on, OpeningPlanEntryRow.id)
        ).scalars()
    )


def _first_in_catalog(
    session: Session, calendar: WorkCalendar, organisation_id: int, names: list[str]
) -> dict[str, date]:
    """The day each named dataset of the organisation was first in the public catalog: the
    day the authority passed its first version (Qingdao art. 10, 12).
    """
    if not names:
        return {}
    passed_at = func.coalesce(DatasetVersionRow.reviewed_at, DatasetVersionRow.created_at)
    rows = session.execute(
        select(DatasetRow.name, func.min(passed_at))
        .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
        .where(
            DatasetRow.name.in_(names),
            DatasetRow.provider_org_id == organisation_id,
            DatasetVersionRow.review_status == str(ReviewStatus.PASSED),
        )
        .group_by(DatasetRow.name)
    ).all()
    return {str(name): calendar.local_date(first) for name, first in rows if first is not None}


def plan_of(
    session: Session, calendar: WorkCalendar, row: OpeningPlanRow, now: datetime
) -> OpeningPlan:
    """A plan row, with each entry's state at ``now``."""
    today = calendar.local_date(now)
    entries = _entry_rows(session, row.id)
    met = _first_in_catalog(
        session, calendar, row.provider_org_id, [e.dataset_name for e in entries]
    )

    def state(entry: OpeningPlanEntryRow) -> EntryState:
        day = met.get(entry.dataset_name)
        if day is not None:
            return EntryState.MET if day <= entry.due_on else EntryState.MET_LATE
        return EntryState.OVERDUE if today > entry.due_on else EntryState.PENDING

    return OpeningPlan(
        id=row.id,
        organisation=org_name(session, row.provider_org_id),
        organisation_id=row.provider_org_id,
        year=row.year,
        status=PlanStatus(row.status),
        note=row.note,
        created_by=username(session, row.created_by) or "?",
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        published_by=username(session, row.published_by),
        published_at=row.published_at,
        entries=tuple(
            PlanEntry(
                id=e.id,
                dataset=e.dataset_name,
                title=e.title,
                open_attribute=OpenAttribute(e.open_attribute),
                due_on=e.due_on,
                state=state(e),
                met_on=met.get(e.dataset_name),
            )
            for e in entries
        ),
    )
