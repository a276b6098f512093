"""Opening plans at work: a provider drafts its organisation's plan for a year (entries
with their dates), edits and submits it; the authority sees the submitted plans, publishes
one or returns it with a note, and amends a published one (an entry added, or taken out
with its reason). Each entry's progress (pending, met, met late, overdue) is the domain's.

The same domain calls and roles as ``POST /v1/opening-plans/entries``,
``.../{id}/entries/{entry}/remove``, ``.../{id}/submit`` and ``.../{id}/decision``
(:mod:`sandbox.oversight.opening_plan`). The public list of published plans is
``/console/opening-plans`` (participation.py); this is the drafting and review desk.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.oversight_forms import form_id, read_form
from api.console.pages.plans_tasks_reports_common import (
    StaffViewer,
    is_authority,
    posted_date,
)
from api.console.pages.provider_cases_common import FORM_ERRORS, error_status, fields_named
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.catalog.permissions import owns
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest
from sandbox.identity import service as identity
from sandbox.identity.model import OrganisationKind, Role
from sandbox.oversight import opening_plan
from sandbox.oversight.opening_plan_model import EntryState, OpeningPlan, PlanStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

LIST_TEMPLATE = "pages/ptr_plans.html"
PLAN_TEMPLATE = "pages/ptr_plan.html"
ENTRY_FIELDS = ("organisation_id", "year", "dataset", "title", "open_attribute", "due_on")
ATTRIBUTES = ("unconditional", "conditional")
"""The open attributes a plan lists (closed data has no place in it: the domain's rule)."""
STATES = tuple(EntryState)
_STATUS_ORDER = {PlanStatus.SUBMITTED: 0, PlanStatus.DRAFT: 1, PlanStatus.PUBLISHED: 2}


def _entry_values(platform: Platform, viewer: StaffViewer) -> dict[str, str]:
    year = platform.calendar.local_date(utc_now()).year
    org = viewer.actor.organisation_id
    return {
        "organisation_id": str(org) if org and not is_authority(viewer) else "",
        "year": str(year),
        "dataset": "",
        "title": "",
        "open_attribute": "unconditional",
        "due_on": "",
    }


def _list_context(
    platform: Platform, viewer: StaffViewer, status: str | None = None
) -> dict[str, Any]:
    actor = viewer.actor
    with platform.sessions() as session:
        found = opening_plan.list_plans(session, actor, platform.calendar, status=status)
        organisations = [
            o for o in identity.list_organisations(session) if o.kind is OrganisationKind.PROVIDER
        ]
    if not is_authority(viewer):
        found = [p for p in found if owns(actor, p.organisation_id)]
    found.sort(key=lambda p: (_STATUS_ORDER[p.status], -p.year, p.organisation))
    return {
        "plans": found,
        "states": STATES,
        "organisations": organisations if is_authority(viewer) else [],
        "attributes": ATTRIBUTES,
        "values": _entry_values(platform, viewer),
        "problem": None,
        "invalid": set(),
        "status": status,
        "statuses": tuple(PlanStatus),
        "tab": "plans",
    }


@router.get("/console/plans")
def plans_page(request: Request, platform: PlatformDep, viewer: StaffViewer) -> HTMLResponse:
    """The plans the viewer works on (a provider: its organisation's, every status; the
    authority: all, the submitted ones first; ``?status=`` keeps one status), each with
    its progress, and the form that adds an entry (the plan for the year is made on its
    first entry).
    """
    status = request.query_params.get("status") or None
    chosen = status if status in tuple(PlanStatus) else None
    return render(request, LIST_TEMPLATE, viewer, _list_context(platform, viewer, chosen))


def _add(platform: Platform, viewer: StaffViewer, fields: dict[str, str]) -> OpeningPlan:
    organisation = viewer.actor.organisation_id
    if is_authority(viewer) or organisation is None:
        organisation = form_id(fields.get("organisation_id"), "organisation_id")
    year_text = fields.get("year", "").strip()
    if not year_text.isdigit():
        raise InvalidRequest("year must be a whole number such as 2026")
    with transaction(platform.sessions) as session:
        return opening_plan.add_entry(
            session,
            viewer.actor,
            platform.calendar,
            organisation_id=organisation,
            year=int(year_text),
            dataset=fields.get("dataset", "").strip(),
            title=fields.get("title", ""),
            open_attribute=fields.get("open_attribute", ""),
            due_on=posted_date(fields.get("due_on"), "due_on"),
        )


def _refused_fields(message: str) -> set[str]:
    named = fields_named(message, ENTRY_FIELDS)
    if "organisation" in message and not named:
        named = {"organisation_id"}
    return named or {"dataset"}


@router.post("/console/plans/entries")
async def add_entry(request: Request, platform: PlatformDep, viewer: StaffViewer) -> Response:
    """Add an entry to an organisation's plan for a year; a refusal (a bad name, a date
    outside the year, a plan no longer a draft) comes back beside the form, nothing added.
    """
    fields = await read_form(request)
    back = fields.get("back", "")
    try:
        plan = _add(platform, viewer, fields)
    except FORM_ERRORS as error:
        values = {name: fields.get(name, "") for name in ENTRY_FIELDS}
        invalid = _refused_fields(error.message)
        if back.isdigit():
            context = _plan_context(platform, viewer, int(back))
            context.update(entry_values=values, problem=error.message, problem_for="entry")
            context["invalid"] = invalid
            return render(request, PLAN_TEMPLATE, viewer, context, status_code=error_status(error))
        context = _list_context(platform, viewer)
        context.update(values=values, problem=error.message, invalid=invalid)
        return render(request, LIST_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/plans/{plan.id}?done=entry", status_code=303)


def _plan_context(platform: Platform, viewer: StaffViewer, plan_id: int) -> dict[str, Any]:
    actor = viewer.actor
    with platform.sessions() as session:
        plan = opening_plan.get_plan(session, actor, platform.calendar, plan_id)
    authority = is_authority(viewer)
    ours = actor.role is Role.PROVIDER and owns(actor, plan.organisation_id)
    draft = plan.status is PlanStatus.DRAFT
    return {
        "plan": plan,
        "states": STATES,
        "attributes": ATTRIBUTES,
        "can_edit": authority or (ours and draft),
        "can_submit": ours and draft,
        "can_decide": authority and plan.status is not PlanStatus.PUBLISHED,
        "can_return": authority and plan.status is PlanStatus.SUBMITTED,
        "entry_values": {
            "organisation_id": str(plan.organisation_id),
            "year": str(plan.year),
            "dataset": "",
            "title": "",
            "open_attribute": "unconditional",
            "due_on": "",
        },
        "decision_values": {"outcome": "publish", "note": ""},
        "reason_values": {},
        "problem": None,
        "problem_for": None,
        "invalid": set(),
        "done": None,
        "tab": "plans",
    }


@router.get("/console/plans/{plan_id}")
def plan_page(
    request: Request, plan_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> HTMLResponse:
    """One plan: its status and review note, each entry with its date and progress, and
    the forms its viewer may use (edit, submit, publish or return).
    """
    context = _plan_context(platform, viewer, plan_id)
    done = request.query_params.get("done")
    context["done"] = done if done in ("entry", "remove", "submit", "publish", "return") else None
    return render(request, PLAN_TEMPLATE, viewer, context)


@router.post("/console/plans/{plan_id}/entries/{entry_id}/remove")
async def remove_entry(
    request: Request, plan_id: Id, entry_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> Response:
    """Take an entry out (a published plan: the authority, naming its reason)."""
    fields = await read_form(request)
    reason = fields.get("reason", "")
    try:
        with transaction(platform.sessions) as session:
            opening_plan.remove_entry(
                session, viewer.actor, platform.calendar, plan_id, entry_id, reason=reason
            )
    except FORM_ERRORS as error:
        context = _plan_context(platform, viewer, plan_id)
        context.update(problem=error.message, problem_for=f"remove-{entry_id}")
        context["reason_values"] = {entry_id: reason}
        return render(request, PLAN_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/plans/{plan_id}?done=remove", status_code=303)


@router.post("/console/plans/{plan_id}/submit")
async def submit(
    request: Request, plan_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> Response:
    """Submit the organisation's draft for the authority's review (a provider of it)."""
    await read_form(request)
    try:
        with transaction(platform.sessions) as session:
            opening_plan.submit_plan(session, viewer.actor, platform.calendar, plan_id)
    except FORM_ERRORS as error:
        context = _plan_context(platform, viewer, plan_id)
        context.update(problem=error.message, problem_for="submit")
        return render(request, PLAN_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/plans/{plan_id}?done=submit", status_code=303)


@router.post("/console/plans/{plan_id}/decision")
async def decide(
    request: Request, plan_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> Response:
    """Publish the plan, or return a submitted one to draft with its note (the authority:
    the domain refuses anyone else).
    """
    fields = await read_form(request)
    outcome = fields.get("outcome", "")
    note = fields.get("note", "")
    try:
        if outcome not in ("publish", "return"):
            raise InvalidRequest("outcome must be one of publish, return")
        with transaction(platform.sessions) as session:
            opening_plan.decide_plan(
                session,
                viewer.actor,
                platform.calendar,
                plan_id,
                approve=outcome == "publish",
                note=note,
            )
    except FORM_ERRORS as error:
        context = _plan_context(platform, viewer, plan_id)
        context.update(problem=error.message, problem_for="decision")
        context["decision_values"] = {"outcome": outcome, "note": note}
        context["invalid"] = fields_named(error.message, ("outcome", "note")) or {"note"}
        return render(request, PLAN_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/plans/{plan_id}?done={outcome}", status_code=303)
