"""Complaints about the provider's datasets: the list with answer deadlines, one complaint
with its evidence, the answer form and the suspension the provider may make at once.

The same domain calls and roles as ``GET /v1/complaints``, ``POST
/v1/complaints/{id}/answer`` (:func:`sandbox.oversight.complaints.answer_complaint`) and
``POST /v1/datasets/{name}/suspend`` (:func:`sandbox.oversight.suspensions.suspend`).
Evidence files are downloaded from the API route, which takes the session cookie and
audits the read. A refused answer changes nothing and comes back beside the form.
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
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.access.model import StageKind
from sandbox.errors import InvalidRequest
from sandbox.oversight import complaints, suspensions
from sandbox.oversight.model import CaseStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

STEPS = ("restore", "reprocess", "end")
"""The answer's verbs, as the API's ``outcome``."""
TEMPLATE = "pages/provider_cases_complaint.html"


@router.get("/console/provider/complaints")
def complaints_page(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """Complaints about the organisation's datasets: open ones first, soonest deadline
    first, each with its working days left (overdue marked).
    """
    with platform.sessions() as session:
        mine = own_org_name(session, viewer.actor)
        found = complaints.list_complaints(session, viewer.actor, platform.calendar)
    rows = [
        {"case": c, "stage": open_stage(c.stages, StageKind.ANSWER)}
        for c in by_deadline(c for c in found if c.provider_org == mine)
    ]
    context = {"rows": rows, "tab": "complaints"}
    return render(request, "pages/provider_cases_complaints.html", viewer, context)


def _context(platform: Platform, viewer: ProviderViewer, complaint_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        mine = own_org_name(session, viewer.actor)
        case = complaints.get_complaint(session, viewer.actor, platform.calendar, complaint_id)
    ours = case.provider_org == mine
    return {
        "case": case,
        "stage": open_stage(case.stages, StageKind.ANSWER),
        "can_answer": ours and case.status is CaseStatus.OPEN,
        "can_suspend": ours and case.status is CaseStatus.OPEN and not case.dataset_suspended,
        "steps": STEPS,
        "values": {"outcome": "restore", "answer": "", "upload_id": "", "method": ""},
        "suspend_reason": "",
        "problem": None,
        "problem_for": None,
        "invalid": set(),
        "done": None,
        "tab": "complaints",
    }


@router.get("/console/provider/complaints/{complaint_id}")
def complaint_page(
    request: Request, complaint_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """One complaint: what it says, its evidence (each file a download), its stage and,
    while it is open, the answer form.
    """
    context = _context(platform, viewer, complaint_id)
    done = request.query_params.get("done")
    context["done"] = done if done in ("answer", "suspend") else None
    return render(request, TEMPLATE, viewer, context)


def _reprocessing(fields: dict[str, str]) -> suspensions.Reprocessing | None:
    """The desensitised data a reprocessing stores, when an upload is named (as the API's
    ``upload_id``; the domain refuses a reprocessing without one).
    """
    upload = fields.get("upload_id", "").strip()
    if not upload:
        return None
    if fields.get("outcome") != "reprocess":
        raise InvalidRequest("only a reprocessing stores new data (upload_id)")
    return suspensions.Reprocessing(upload_id=upload, method=fields.get("method", ""))


@router.post("/console/provider/complaints/{complaint_id}/answer")
async def answer(
    request: Request, complaint_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Answer with ``restore``, ``reprocess`` or ``end`` and the answer's text; the
    dataset's suspension, if any, is resolved the same way (the domain's rule).
    """
    fields = await read_form(request)
    step = fields.get("outcome", "")
    try:
        if step not in STEPS:
            raise InvalidRequest("outcome must be one of restore, reprocess, end")
        complaints.answer_complaint(
            platform,
            viewer.actor,
            complaint_id,
            step=step,
            text=fields.get("answer", ""),
            reprocessing=_reprocessing(fields),
        )
    except FORM_ERRORS as error:
        context = _context(platform, viewer, complaint_id)
        context["values"] = {
            name: fields.get(name, "") for name in ("outcome", "answer", "upload_id", "method")
        }
        named = fields_named(error.message, ("answer", "upload_id", "method"))
        context.update(problem=error.message, problem_for="answer", invalid=named or {"answer"})
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/provider/complaints/{complaint_id}?done=answer", status_code=303
    )


@router.post("/console/provider/complaints/{complaint_id}/suspend")
async def suspend(
    request: Request, complaint_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Suspend the complaint's dataset at once, naming the complaint (its jobs stop)."""
    fields = await read_form(request)
    reason = fields.get("reason", "")
    try:
        with transaction(platform.sessions) as session:
            case = complaints.get_complaint(session, viewer.actor, platform.calendar, complaint_id)
            suspensions.suspend(
                session, viewer.actor, case.dataset, reason=reason, complaint_id=complaint_id
            )
    except FORM_ERRORS as error:
        context = _context(platform, viewer, complaint_id)
        context.update(problem=error.message, problem_for="suspend", suspend_reason=reason)
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/provider/complaints/{complaint_id}?done=suspend", status_code=303
    )
