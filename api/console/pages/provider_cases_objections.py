"""Objections to the provider's datasets: the list with answer deadlines, and one
objection with the answer form.

The same domain calls and roles as ``GET /v1/objections`` and ``POST
/v1/objections/{id}/answer`` (:func:`sandbox.oversight.objections.answer`): ``rejected``
with the reason, or ``corrected`` naming the new version that holds the correction (an
objection to the open attribute: the attribute change filed since), as the domain
requires. A refused answer changes nothing and comes back beside the form.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.oversight_forms import read_form
from api.console.pages.provider_cases_common import (
    FORM_ERRORS,
    ProviderViewer,
    by_deadline,
    error_status,
    fields_named,
    open_stage,
    own_org_name,
    posted_number,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.access.model import StageKind
from sandbox.catalog.queries import get_entry
from sandbox.oversight import objections
from sandbox.oversight.model import CaseStatus, ObjectionOutcome
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

TEMPLATE = "pages/provider_cases_objection.html"
FIELDS = ("outcome", "answer", "version", "attribute_change")


@router.get("/console/provider/objections")
def objections_page(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """Objections to the organisation's datasets: open ones first, soonest deadline first."""
    with platform.sessions() as session:
        mine = own_org_name(session, viewer.actor)
        found = objections.list_objections(session, viewer.actor, platform.calendar)
    rows = [
        {"case": o, "stage": open_stage(o.stages, StageKind.ANSWER)}
        for o in by_deadline(o for o in found if o.provider_org == mine)
    ]
    return render(
        request,
        "pages/provider_cases_objections.html",
        viewer,
        {"rows": rows, "tab": "objections"},
    )


def _context(platform: Platform, viewer: ProviderViewer, objection_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        mine = own_org_name(session, viewer.actor)
        case = objections.get_objection(session, viewer.actor, platform.calendar, objection_id)
        latest = get_entry(session, case.dataset).latest
    return {
        "case": case,
        "stage": open_stage(case.stages, StageKind.ANSWER),
        "latest": latest.version if latest is not None else None,
        "can_answer": case.provider_org == mine and case.status is CaseStatus.OPEN,
        "outcomes": [str(o) for o in ObjectionOutcome],
        "values": {name: "" for name in FIELDS} | {"outcome": str(ObjectionOutcome.CORRECTED)},
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "objections",
    }


@router.get("/console/provider/objections/{objection_id}")
def objection_page(
    request: Request, objection_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """One objection: what is objected to, the version it was filed against, the
    dataset's newest version, its stage and, while it is open, the answer form.
    """
    context = _context(platform, viewer, objection_id)
    context["done"] = request.query_params.get("done") == "answer"
    return render(request, TEMPLATE, viewer, context)


@router.post("/console/provider/objections/{objection_id}/answer")
async def answer(
    request: Request, objection_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Answer ``corrected`` (naming the new version, or the attribute change) or
    ``rejected``, with the answer's text.
    """
    fields = await read_form(request)
    try:
        with transaction(platform.sessions) as session:
            objections.answer(
                session,
                viewer.actor,
                platform.calendar,
                objection_id,
                outcome=fields.get("outcome", ""),
                text=fields.get("answer", ""),
                corrected_version=posted_number(fields.get("version"), "version"),
                attribute_change=posted_number(fields.get("attribute_change"), "attribute_change"),
            )
    except FORM_ERRORS as error:
        context = _context(platform, viewer, objection_id)
        context["values"] = {name: fields.get(name, "") for name in FIELDS}
        context.update(problem=error.message, invalid=fields_named(error.message, FIELDS))
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/provider/objections/{objection_id}?done=answer", status_code=303
    )
