"""The provider's application decisions: the applications waiting for its organisation,
each with its working-day deadline, and one application with the decision form.

The same domain calls and roles as ``GET /v1/applications`` and
``POST /v1/applications/{id}/decision`` (:func:`sandbox.access.applications.decide`): a
provider of the datasets' organisation approves with a scope (creating the grant) or
refuses with the reason and its legal basis. A refused or invalid decision changes
nothing and comes back beside the form (422; 409 when the application no longer waits).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.oversight_forms import read_form
from api.console.pages.application_attachments import attachments_context
from api.console.pages.provider_cases_common import (
    FORM_ERRORS,
    ProviderViewer,
    error_status,
    fields_named,
    open_stage,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.access import applications
from sandbox.access.grants import DEFAULT_REPORT_INTERVAL_DAYS, Scope
from sandbox.access.model import Application, ApplicationStatus, JobKind, StageKind
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

_PROVIDERS = frozenset({Role.PROVIDER})
nav.add(nav.NavItem("nav.provider_applications", "/console/provider/applications", 34, _PROVIDERS))
nav.add(nav.NavItem("nav.provider_cases", "/console/provider/complaints", 35, _PROVIDERS))

OUTCOMES = ("approve", "refuse")
DECIDED = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REFUSED})
RECENT_DECISIONS = 20
FORM_FIELDS = (
    "grant_budget",
    "delta",
    "datasets",
    "job_kinds",
    "period_start",
    "period_end",
    "report_interval_days",
    "policy",
    "reason",
    "legal_basis",
)
"""The decision form's fields, named as the API body's (the domain's refusals name them)."""


@router.get("/console/provider/applications")
def applications_page(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """Applications to the organisation's datasets waiting for its decision, the soonest
    deadline first (overdue marked), and its recent decisions.
    """
    with platform.sessions() as session:
        seen = applications.list_applications(session, viewer.actor, platform.calendar)
    pending = [
        (a, open_stage(a.stages, StageKind.PROVIDER_REVIEW))
        for a in seen
        if a.status is ApplicationStatus.PROVIDER_REVIEW
    ]
    pending.sort(key=lambda item: item[1].due_on if item[1] is not None else date.max)
    waiting = [{"application": a, "stage": stage} for a, stage in pending]
    decided = [a for a in seen if a.status in DECIDED][:RECENT_DECISIONS]
    provisional = any(
        s is not None and s.time_left and s.time_left.provisional for _a, s in pending
    )
    context = {
        "waiting": waiting,
        "decided": decided,
        "provisional": provisional,
        "tab": "applications",
    }
    return render(request, "pages/provider_cases_applications.html", viewer, context)


def _may_decide(actor: Actor, application: Application) -> bool:
    return (
        application.status is ApplicationStatus.PROVIDER_REVIEW
        and actor.organisation_id == application.provider_org_id
    )


def _defaults(application: Application) -> dict[str, Any]:
    """The form as it first shows: the request's datasets, period and DP jobs."""
    return {
        "outcome": "approve",
        "grant_budget": "",
        "delta": "",
        "datasets": list(application.datasets),
        "job_kinds": [str(JobKind.DP)],
        "period_start": application.period_start.isoformat(),
        "period_end": application.period_end.isoformat(),
        "report_interval_days": str(DEFAULT_REPORT_INTERVAL_DAYS),
        "policy": "",
        "note": "",
        "reason": "",
        "legal_basis": "",
    }


def _context(
    platform: Platform, viewer: ProviderViewer, application_id: int, values: dict[str, Any] | None
) -> dict[str, Any]:
    with platform.sessions() as session:
        application = applications.get_application(
            session, viewer.actor, platform.calendar, application_id
        )
        attached = attachments_context(session, viewer.actor, application)
    return {
        **attached,
        "application": application,
        "stage": open_stage(application.stages, StageKind.PROVIDER_REVIEW),
        "can_decide": _may_decide(viewer.actor, application),
        "values": values or _defaults(application),
        "job_kinds": [str(kind) for kind in JobKind],
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "applications",
    }


@router.get("/console/provider/applications/{application_id}")
def application_page(
    request: Request, application_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """One application with its stages and deadlines, and the decision form while it
    waits for the organisation (another organisation's application does not exist here,
    as in ``GET /v1/applications/{id}``).
    """
    context = _context(platform, viewer, application_id, None)
    done = request.query_params.get("done")
    context["done"] = done if done in OUTCOMES else None
    return render(request, "pages/provider_cases_application.html", viewer, context)


def _day(value: str, label: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{label} must be a date (YYYY-MM-DD), not {text!r}") from None


def _interval(value: str) -> int:
    text = value.strip()
    if not text:
        return DEFAULT_REPORT_INTERVAL_DAYS
    if not text.isdigit() or not 1 <= int(text) <= 366:
        raise InvalidRequest("report_interval_days must be a whole number from 1 to 366")
    return int(text)


def _budget(values: dict[str, Any]) -> object:
    loss, delta = values["grant_budget"].strip(), values["delta"].strip()
    if not loss:
        return None  # the domain names the missing grant_budget
    return {"loss": loss, "delta": delta} if delta else loss


def scope_of(values: dict[str, Any]) -> Scope:
    """The approval's scope from the posted form; a field that does not parse is a typed
    refusal naming it (the rest the domain checks, as for the API body). No dataset
    checked is refused here: the API reads an empty list as all of them.
    """
    if not values["datasets"]:
        raise InvalidRequest("datasets: an approval covers at least one requested dataset")
    return Scope(
        grant_budget=_budget(values),
        datasets=tuple(values["datasets"]),
        job_kinds=tuple(values["job_kinds"]),
        policy=values["policy"].strip() or None,
        period_start=_day(values["period_start"], "period_start"),
        period_end=_day(values["period_end"], "period_end"),
        report_interval_days=_interval(values["report_interval_days"]),
    )


async def _posted(request: Request) -> dict[str, Any]:
    """The decision form's values: text fields, and the checked datasets and job kinds
    (several values each; the body was read and its CSRF token checked by ``read_form``).
    """
    fields = await read_form(request)
    multi = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    values: dict[str, Any] = {
        name: fields.get(name, "")
        for name in (
            "outcome",
            "grant_budget",
            "delta",
            "period_start",
            "period_end",
            "report_interval_days",
            "policy",
            "note",
            "reason",
            "legal_basis",
        )
    }
    values["datasets"] = multi.get("datasets", [])
    values["job_kinds"] = multi.get("job_kinds", [])
    return values


@router.post("/console/provider/applications/{application_id}")
async def decide(
    request: Request, application_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Approve with the scope, or refuse with the reason and legal basis
    (:func:`sandbox.access.applications.decide`); another organisation's application is
    refused (403), as by the API.
    """
    values = await _posted(request)
    outcome = values["outcome"]
    try:
        if outcome not in OUTCOMES:
            raise InvalidRequest("outcome must be 'approve' or 'refuse'")
        approve = outcome == "approve"
        with transaction(platform.sessions) as session:
            applications.decide(
                session,
                viewer.actor,
                platform.calendar,
                application_id,
                approve=approve,
                scope=scope_of(values) if approve else None,
                reason=values["note"] if approve else values["reason"],
                legal_basis="" if approve else values["legal_basis"],
            )
    except FORM_ERRORS as error:
        context = _context(platform, viewer, application_id, values)
        context.update(problem=error.message, invalid=fields_named(error.message, FORM_FIELDS))
        return render(
            request,
            "pages/provider_cases_application.html",
            viewer,
            context,
            status_code=error_status(error),
        )
    return RedirectResponse(
        f"/console/provider/applications/{application_id}?done={outcome}", status_code=303
    )
