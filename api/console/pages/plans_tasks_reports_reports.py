"""Public reports at work (Lianyungang art. 38; Wuxi art. 17): the provider sees the
reports routed to its organisation and the authority sees all, each with its answer
deadline (10 working days); either answers one (``unfounded`` or ``resolved``), and from
one the authority opens a complaint about the dataset, the provider asks the user it
names to rectify, as the domain allows each.

The same domain calls and roles as ``GET /v1/public-reports``, ``GET
/v1/public-reports/{id}`` and ``POST /v1/public-reports/{id}/answer``
(:mod:`sandbox.oversight.public_reports`). Filing a report is the public form at
``/console/report`` (participation.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.console.oversight_forms import read_form
from api.console.pages.plans_tasks_reports_common import StaffViewer, is_authority
from api.console.pages.provider_cases_common import (
    FORM_ERRORS,
    error_status,
    fields_named,
    own_org_name,
    posted_number,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.access import grants
from sandbox.access.model import GrantStatus
from sandbox.errors import NotFound
from sandbox.oversight import public_reports
from sandbox.oversight.model import ComplaintKind
from sandbox.oversight.public_reports import PublicReport, ReportOutcome, ReportStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

LIST_TEMPLATE = "pages/ptr_reports.html"
REPORT_TEMPLATE = "pages/ptr_report.html"
ANSWER_FIELDS = ("outcome", "answer", "complaint_kind", "user_id")
COMPLAINT_KINDS = tuple(ComplaintKind)
NOT_FOUND = 404


def by_deadline(reports: list[PublicReport]) -> list[PublicReport]:
    """Open reports first, the soonest deadline first; then the answered, newest first."""
    waiting = [r for r in reports if r.current_stage is not None]
    waiting.sort(key=lambda r: (r.current_stage.due_on if r.current_stage else r.id, r.id))
    return waiting + [r for r in reports if r.current_stage is None]


@router.get("/console/public-reports")
def reports_page(request: Request, platform: PlatformDep, viewer: StaffViewer) -> HTMLResponse:
    """The reports routed to the viewer (a provider: its organisation's; the authority:
    all), open ones first by deadline.
    """
    status = request.query_params.get("status") or None
    with platform.sessions() as session:
        found = public_reports.list_reports(
            session,
            viewer.actor,
            platform.calendar,
            status=status if status in tuple(ReportStatus) else None,
        )
        mine = own_org_name(session, viewer.actor)
    if not is_authority(viewer):
        found = [r for r in found if r.provider_org is not None and r.provider_org == mine]
    context = {"reports": by_deadline(found), "status": status, "tab": "reports"}
    return render(request, LIST_TEMPLATE, viewer, context)


def _outcomes(
    viewer: StaffViewer, report: PublicReport, holders: list[tuple[int, str]]
) -> tuple[str, ...]:
    """The outcomes the viewer may choose: the authority opens a complaint (about a
    dataset the report names), a provider asks a holder of its grants to rectify.
    """
    chosen = [str(ReportOutcome.UNFOUNDED), str(ReportOutcome.RESOLVED)]
    if is_authority(viewer) and report.dataset is not None:
        chosen.append(str(ReportOutcome.COMPLAINT))
    if not is_authority(viewer) and holders:
        chosen.append(str(ReportOutcome.RECTIFICATION))
    return tuple(chosen)


def _holders(session: Session, viewer: StaffViewer, report: PublicReport) -> list[tuple[int, str]]:
    """The users a provider may ask to rectify: holders of its organisation's active
    grants (on the report's dataset, when it names one), as ``(id, username)``.
    """
    if is_authority(viewer):
        return []
    found = grants.list_grants(session, viewer.actor, status=GrantStatus.ACTIVE)
    named = {
        (g.holder_id, g.holder)
        for g in found
        if report.dataset is None or report.dataset in g.datasets
    }
    return sorted(named, key=lambda h: h[1])


def _context(platform: Platform, viewer: StaffViewer, report_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        report = public_reports.get_report(session, viewer.actor, platform.calendar, report_id)
        mine = own_org_name(session, viewer.actor)
        holders = _holders(session, viewer, report)
    routed = report.provider_org is not None and report.provider_org == mine
    return {
        "report": report,
        "stage": report.current_stage,
        "can_answer": (is_authority(viewer) or routed) and report.status is ReportStatus.OPEN,
        "outcomes": _outcomes(viewer, report, holders),
        "holders": holders,
        "complaint_kinds": COMPLAINT_KINDS,
        "is_authority": is_authority(viewer),
        "values": {"outcome": "resolved", "answer": "", "complaint_kind": "", "user_id": ""},
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "reports",
    }


@router.get("/console/public-reports/{report_id}")
def report_page(
    request: Request, report_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> HTMLResponse:
    """One report: what it says, the reporter's contact, its deadline and stages, and while
    it is open the answer form.
    """
    context = _context(platform, viewer, report_id)
    context["done"] = "answer" if request.query_params.get("done") == "answer" else None
    return render(request, REPORT_TEMPLATE, viewer, context)


@router.post("/console/public-reports/{report_id}/answer")
async def answer(
    request: Request, report_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> Response:
    """Answer a report; a complaint or a rectification opens in the same transaction, and a
    refusal (a missing answer, a kind or user left out, an outcome not the viewer's)
    changes nothing and comes back beside the form.
    """
    fields = await read_form(request)
    values = {name: fields.get(name, "") for name in ANSWER_FIELDS}
    outcome = values["outcome"]
    try:
        with transaction(platform.sessions) as session:
            public_reports.answer(
                session,
                viewer.actor,
                platform.calendar,
                report_id,
                outcome=outcome,
                text=values["answer"],
                complaint_kind=(values["complaint_kind"] or None)
                if outcome == ReportOutcome.COMPLAINT
                else None,
                user_id=posted_number(values["user_id"], "user_id")
                if outcome == ReportOutcome.RECTIFICATION
                else None,
            )
    except (*FORM_ERRORS, NotFound) as error:
        # a user the rectification names without a grant here is a NotFound of the form's
        # field; the report itself unseen is NotFound again in _context (the error page)
        context = _context(platform, viewer, report_id)
        named = fields_named(error.message, ANSWER_FIELDS)
        if "user" in error.message and not named:
            named = {"user_id"}
        context.update(values=values, problem=error.message, invalid=named or {"answer"})
        status = NOT_FOUND if isinstance(error, NotFound) else error_status(error)
        return render(request, REPORT_TEMPLATE, viewer, context, status_code=status)
    return RedirectResponse(f"/console/public-reports/{report_id}?done=answer", status_code=303)
