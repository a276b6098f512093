"""The provider's suspensions and reports: the suspensions of its datasets (those in force
with the resolve form), and the usage and risk reports its grants' holders owe and filed.

The same domain calls and roles as ``GET /v1/datasets/{name}/suspensions``, ``POST
/v1/datasets/{name}/suspension/resolve``
(:func:`sandbox.oversight.suspensions.resolve_dataset`), ``GET /v1/usage-reports``,
``GET /v1/usage-reports/due``, ``GET /v1/usage-reports/{id}`` (a provider sees the
reports on its organisation's grants) and ``POST /v1/enforcement/rectification``
(:func:`sandbox.oversight.enforcement.request_rectification`, offered for a holder whose
report is missing). A refused form changes nothing and comes back beside itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.oversight_forms import form_id, read_form
from api.console.pages.provider_cases_common import (
    FORM_ERRORS,
    ProviderViewer,
    error_status,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor
from sandbox.oversight import enforcement, reports, suspensions
from sandbox.oversight.model import REPORT_FIELDS, ReportDue
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, GrantRow

router = console_router()

STEPS = ("restore", "reprocess", "end")


def _own_datasets(session: Session, actor: Actor) -> list[str]:
    """The names of the provider organisation's datasets."""
    return list(
        session.execute(
            select(DatasetRow.name)
            .where(DatasetRow.provider_org_id == actor.organisation_id)
            .order_by(DatasetRow.name)
        ).scalars()
    )


def _suspensions_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    with platform.sessions() as session:
        every = [
            s for name in _own_datasets(session, actor) for s in suspensions.history(session, name)
        ]
    every.sort(key=lambda s: s.suspended_at, reverse=True)
    return {
        "in_force": [s for s in every if s.in_force],
        "history": [s for s in every if not s.in_force],
        "steps": STEPS,
        "values": {"outcome": "restore", "note": "", "upload_id": "", "method": ""},
        "problem": None,
        "problem_for": None,
        "done": None,
        "tab": "suspensions",
    }


@router.get("/console/provider/suspensions")
def suspensions_page(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """The suspensions of the organisation's datasets: in force first (a resolve form on
    each that is not withdrawn for good), then the resolved ones, newest first.
    """
    context = _suspensions_context(platform, viewer.actor)
    done = request.query_params.get("done", "")
    context["done"] = done or None
    return render(request, "pages/provider_cases_suspensions.html", viewer, context)


@router.post("/console/provider/suspensions/{name}/resolve")
async def resolve(
    request: Request, name: str, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Restore the dataset, reprocess it (a staged upload and its method) or end it for
    good, as ``POST /v1/datasets/{name}/suspension/resolve``.
    """
    fields = await read_form(request)
    step = fields.get("outcome", "")
    upload = fields.get("upload_id", "").strip()
    try:
        if step not in STEPS:
            raise InvalidRequest("outcome must be one of restore, reprocess, end")
        suspensions.resolve_dataset(
            platform,
            viewer.actor,
            name,
            step=step,
            note=fields.get("note", ""),
            reprocessing=(
                suspensions.Reprocessing(upload_id=upload, method=fields.get("method", ""))
                if upload
                else None
            ),
        )
    except FORM_ERRORS as error:
        context = _suspensions_context(platform, viewer.actor)
        context["values"] = {
            n: fields.get(n, "") for n in ("outcome", "note", "upload_id", "method")
        }
        context.update(problem=error.message, problem_for=name)
        return render(
            request,
            "pages/provider_cases_suspensions.html",
            viewer,
            context,
            status_code=error_status(error),
        )
    return RedirectResponse(f"/console/provider/suspensions?done={name}", status_code=303)


def _rectifiable(session: Session, due: list[ReportDue]) -> list[dict[str, Any]]:
    """The holders with a missing report on an active grant: whom the provider may ask to
    rectify (Xi'an art. 35), each with the grants whose reports are missing.
    """
    holders: dict[int, dict[str, Any]] = {}
    for item in due:
        if not item.missing or item.grant_status != "active":
            continue
        grant = session.get(GrantRow, item.grant_id)
        if grant is None:
            continue
        entry = holders.setdefault(
            grant.holder_id, {"user_id": grant.holder_id, "holder": item.holder, "grants": []}
        )
        if item.grant_ref not in entry["grants"]:
            entry["grants"].append(item.grant_ref)
    return list(holders.values())


def _reports_context(platform: Platform, actor: Actor) -> dict[str, Any]:
    with platform.sessions() as session:
        due = reports.reports_due(session, actor, platform.calendar)
        filed = reports.list_reports(session, actor)
        rectifiable = _rectifiable(session, due)
    return {
        "due": due,
        "missing": sum(1 for d in due if d.missing),
        "filed": filed,
        "rectifiable": rectifiable,
        "problem": None,
        "problem_for": None,
        "reason": "",
        "done": None,
        "tab": "reports",
    }


@router.get("/console/provider/reports")
def reports_page(request: Request, platform: PlatformDep, viewer: ProviderViewer) -> HTMLResponse:
    """The reports the holders of the organisation's grants owe (missing ones first, most
    overdue first) and those they filed, newest first; a holder with a missing report on
    an active grant may be asked to rectify.
    """
    context = _reports_context(platform, viewer.actor)
    context["done"] = request.query_params.get("done") == "rectification"
    return render(request, "pages/provider_cases_reports.html", viewer, context)


@router.post("/console/provider/reports/rectification")
async def rectification(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Ask a holder to rectify: every active grant it holds on the organisation's data is
    suspended with the reason, as ``POST /v1/enforcement/rectification``.
    """
    fields = await read_form(request)
    reason = fields.get("reason", "")
    try:
        user_id = form_id(fields.get("user_id"), "user_id")
        with transaction(platform.sessions) as session:
            enforcement.request_rectification(session, viewer.actor, user_id=user_id, reason=reason)
    except FORM_ERRORS as error:
        context = _reports_context(platform, viewer.actor)
        context.update(problem=error.message, problem_for=fields.get("user_id"), reason=reason)
        return render(
            request,
            "pages/provider_cases_reports.html",
            viewer,
            context,
            status_code=error_status(error),
        )
    return RedirectResponse("/console/provider/reports?done=rectification", status_code=303)


@router.get("/console/provider/reports/{report_id}")
def report_page(
    request: Request, report_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """One filed report, every field of its kind."""
    with platform.sessions() as session:
        report = reports.get_report(session, viewer.actor, report_id)
    context = {"report": report, "fields": REPORT_FIELDS[report.kind], "tab": "reports"}
    return render(request, "pages/provider_cases_report.html", viewer, context)
