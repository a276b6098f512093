"""The authority's pages: the policy floor editor, form reviews of applications and of
requests for unopened data, attribute-change decisions and the overdue list.

Each page calls the domain services the API routers call (``policy_store.set_floor``,
``applications.form_review``, ``demands.form_review``, ``changes.decide_change``,
``list_overdue``) with the same roles, so a page can do nothing the API would refuse. A
refused or malformed form changes nothing: the domain's transaction is rolled back and
the page comes back with the message beside the field it names (422).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import form_id, read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox import policy_store
from sandbox.access import applications, attachments, demands
from sandbox.access.model import ApplicationStatus, DemandStatus
from sandbox.access.overdue import list_overdue
from sandbox.catalog import changes
from sandbox.catalog.model import ChangeStatus
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest
from sandbox.identity import service
from sandbox.identity.model import OrganisationKind, Role
from sandbox.platform import Platform
from sandbox.policies import to_dict
from sandbox.store.db import transaction

router = console_router()

AuthorityViewer = Annotated[Viewer, require_console_roles(Role.AUTHORITY)]
OverdueViewer = Annotated[Viewer, require_console_roles(Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)]
"""The overdue list's readers, as ``GET /v1/deadlines/overdue`` allows."""

_AUTHORITY = frozenset({Role.AUTHORITY})
nav.add(nav.NavItem("nav.authority_floor", "/console/authority/floor", 40, _AUTHORITY))
nav.add(nav.NavItem("nav.authority_reviews", "/console/authority/reviews", 41, _AUTHORITY))
nav.add(
    nav.NavItem("nav.authority_changes", "/console/authority/attribute-changes", 42, _AUTHORITY)
)
nav.add(
    nav.NavItem(
        "nav.authority_overdue",
        "/console/authority/overdue",
        43,
        frozenset({Role.AUTHORITY, Role.AUDITOR, Role.ADMIN}),
    )
)

UNPROCESSABLE = 422


# -- the policy floor ------------------------------------------------------------------


def _floor_text(platform: Platform) -> tuple[str, Any]:
    with platform.sessions() as session:
        stored = policy_store.current_floor(session)
    return json.dumps(to_dict(stored.policy), indent=2, ensure_ascii=False), stored


@router.get("/console/authority/floor")
def floor_page(request: Request, platform: PlatformDep, viewer: AuthorityViewer) -> HTMLResponse:
    """The floor in force as the authority set it, in the editor (``PUT /v1/policies/floor``)."""
    text, stored = _floor_text(platform)
    context = {"document": text, "stored": stored, "problem": None, "saved": None}
    return render(request, "pages/authority_floor.html", viewer, context)


@router.post("/console/authority/floor")
async def floor_save(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> HTMLResponse:
    """Set the floor from the editor's text (JSON or YAML, as the API takes it). The
    parser's message comes back beside the editor, the floor unchanged.
    """
    fields = await read_form(request)
    document = fields.get("document", "")
    try:
        with transaction(platform.sessions) as session:
            _stored, overridden = policy_store.set_floor(session, viewer.actor, document)
    except InvalidRequest as error:
        _text, stored = _floor_text(platform)
        context = {"document": document, "stored": stored, "problem": error.message, "saved": None}
        return render(
            request, "pages/authority_floor.html", viewer, context, status_code=UNPROCESSABLE
        )
    text, stored = _floor_text(platform)
    context = {"document": text, "stored": stored, "problem": None, "saved": overridden}
    return render(request, "pages/authority_floor.html", viewer, context)


# -- form reviews ----------------------------------------------------------------------


def _review_context(platform: Platform, viewer: Viewer) -> dict[str, Any]:
    with platform.sessions() as session:
        waiting_applications = applications.list_applications(
            session, viewer.actor, platform.calendar, status=ApplicationStatus.SUBMITTED
        )
        waiting_demands = demands.list_demands(
            session, viewer.actor, platform.calendar, status=DemandStatus.SUBMITTED
        )
        providers = [
            o for o in service.list_organisations(session) if o.kind is OrganisationKind.PROVIDER
        ]
        attached = {
            a.id: attachments.list_attachments(session, viewer.actor, a.id)
            for a in waiting_applications
        }
    return {
        "applications": waiting_applications,
        "attached": attached,
        "demands": waiting_demands,
        "providers": providers,
        "problem": None,
        "problem_for": None,
        "done": None,
    }


@router.get("/console/authority/reviews")
def reviews_page(request: Request, platform: PlatformDep, viewer: AuthorityViewer) -> HTMLResponse:
    """Applications and requests waiting for their form review, with their deadlines."""
    context = _review_context(platform, viewer)
    context["done"] = request.query_params.get("done")
    return render(request, "pages/authority_reviews.html", viewer, context)


async def _review(request: Request, platform: Platform, viewer: Viewer, subject: str) -> Response:
    fields = await read_form(request)
    outcome = fields.get("outcome", "")
    reason = fields.get("reason", "")
    target = f"{subject}-{fields.get('id', '')}"
    try:
        if outcome not in ("pass", "return"):
            raise InvalidRequest("outcome must be 'pass' or 'return'")
        item = form_id(fields.get("id"), "id")
        with transaction(platform.sessions) as session:
            if subject == "application":
                applications.form_review(
                    session,
                    viewer.actor,
                    platform.calendar,
                    item,
                    passed=outcome == "pass",
                    reason=reason,
                )
            else:
                org = fields.get("provider_org_id") or None
                demands.form_review(
                    session,
                    viewer.actor,
                    platform.calendar,
                    item,
                    passed=outcome == "pass",
                    reason=reason,
                    provider_org_id=form_id(org, "provider organisation") if org else None,
                )
    except InvalidRequest as error:
        context = _review_context(platform, viewer)
        context.update(problem=error.message, problem_for=target)
        return render(
            request, "pages/authority_reviews.html", viewer, context, status_code=UNPROCESSABLE
        )
    return RedirectResponse(f"/console/authority/reviews?done={target}", status_code=303)


@router.post("/console/authority/reviews/application")
async def review_application(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Pass an application to its provider, or return it with the reason."""
    return await _review(request, platform, viewer, "application")


@router.post("/console/authority/reviews/demand")
async def review_demand(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Pass a request for unopened data to a provider, or return it with the reason."""
    return await _review(request, platform, viewer, "demand")


# -- attribute changes -----------------------------------------------------------------


def _changes_context(platform: Platform) -> dict[str, Any]:
    with platform.sessions() as session:
        pending = changes.list_changes(session, status=ChangeStatus.PENDING)
        decided = [c for c in changes.list_changes(session) if c.status != ChangeStatus.PENDING]
    return {"pending": pending, "decided": decided[:50], "problem": None, "problem_for": None}


@router.get("/console/authority/attribute-changes")
def changes_page(request: Request, platform: PlatformDep, viewer: AuthorityViewer) -> HTMLResponse:
    """Requests to change a dataset's open attribute, to approve or reject."""
    return render(request, "pages/authority_changes.html", viewer, _changes_context(platform))


@router.post("/console/authority/attribute-changes")
async def changes_decide(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Approve (applied at once) or reject a change request, with a note."""
    fields = await read_form(request)
    decision = fields.get("decision", "")
    try:
        if decision not in ("approve", "reject"):
            raise InvalidRequest("decision must be 'approve' or 'reject'")
        change = form_id(fields.get("id"), "id")
        with transaction(platform.sessions) as session:
            changes.decide_change(
                session,
                viewer.actor,
                change,
                approve=decision == "approve",
                note=fields.get("note", ""),
            )
    except InvalidRequest as error:
        context = _changes_context(platform)
        context.update(problem=error.message, problem_for=fields.get("id", ""))
        return render(
            request, "pages/authority_changes.html", viewer, context, status_code=UNPROCESSABLE
        )
    return RedirectResponse("/console/authority/attribute-changes", status_code=303)


# -- overdue ---------------------------------------------------------------------------


@router.get("/console/authority/overdue")
def overdue_page(request: Request, platform: PlatformDep, viewer: OverdueViewer) -> HTMLResponse:
    """Open stages past their deadline today, most overdue first, in working days (a
    provisional deadline marked: the year's holiday arrangement is not confirmed).
    """
    day = platform.calendar.local_date(utc_now())
    with platform.sessions() as session:
        items = list_overdue(session, viewer.actor, platform.calendar, on=day)
    return render(request, "pages/authority_overdue.html", viewer, {"items": items, "on": day})
