"""Annual quality assessments and update reminders: the authority opens a dataset's
assessment, follows the open ones with their 10-working-day deadlines, reads the
provider's answer (the version and its quality report) and concludes it satisfactory or
orders a rectification; the update reminders sent to providers are listed.

The same calls and roles as ``POST /v1/datasets/{name}/quality-assessments``, ``GET
/v1/quality-assessments`` (+ ``/{id}``), ``POST /v1/quality-assessments/{id}/conclusion``
and ``GET /v1/update-reminders`` (:mod:`sandbox.oversight.quality_duties`,
:mod:`sandbox.oversight.update_reminders`): oversight reads, the authority acts; a
refused form changes nothing and comes back beside itself (422/409).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from api.console.auth import Viewer
from api.console.oversight_forms import read_form
from api.console.pages.authority_governance import (
    FORM_ERRORS,
    AuthorityViewer,
    OversightViewer,
    error_status,
    is_authority,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox._parse import parse_enum
from sandbox.access.model import Stage
from sandbox.catalog.model import ReviewStatus
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity import service
from sandbox.oversight import quality_duties, update_reminders
from sandbox.oversight.quality_duties import AssessmentStatus, Conclusion, QualityAssessment
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow

router = console_router()

LIST_TEMPLATE = "pages/authority_governance_quality.html"
ONE_TEMPLATE = "pages/authority_governance_assessment.html"
OPEN_FIELDS = ("dataset", "year", "request")
NOT_FOUND = 404


def open_stage(assessment: QualityAssessment) -> Stage | None:
    """The stage waiting for the provider (its answer or its rectification), if any."""
    return next((s for s in assessment.stages if s.is_open), None)


def _published_names(platform: Platform) -> list[str]:
    """The datasets an assessment may be opened for: those with a passed version."""
    with platform.sessions() as session:
        stmt = (
            select(DatasetRow.name)
            .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
            .where(DatasetVersionRow.review_status == str(ReviewStatus.PASSED))
            .distinct()
            .order_by(DatasetRow.name)
        )
        return list(session.execute(stmt).scalars())


def _year(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidRequest(f"year must be a year such as 2026, not {text!r}")
    return int(text)


def _list_context(platform: Platform, viewer: Viewer, status: str | None) -> dict[str, Any]:
    wanted = parse_enum(AssessmentStatus, status, "status") if status else None
    with platform.sessions() as session:
        found = quality_duties.list_assessments(
            session, platform.calendar, viewer.actor, status=wanted
        )
    rows = [{"a": a, "stage": open_stage(a)} for a in found]
    return {
        "rows": rows,
        "status": status or "",
        "statuses": [str(s) for s in AssessmentStatus],
        "datasets": _published_names(platform) if is_authority(viewer) else [],
        "this_year": platform.calendar.local_date(utc_now()).year,
        "can_open": is_authority(viewer),
        "values": {name: "" for name in OPEN_FIELDS},
        "problem": None,
        "invalid": set(),
        "opened": None,
        "tab": "quality",
    }


@router.get("/console/authority/quality-assessments")
def assessments_page(
    request: Request, platform: PlatformDep, viewer: OversightViewer, status: str = ""
) -> HTMLResponse:
    """Assessments, newest first (``status`` filters), each with its open deadline; the
    authority's form to open one.
    """
    context = _list_context(platform, viewer, status or None)
    context["opened"] = request.query_params.get("opened")
    return render(request, LIST_TEMPLATE, viewer, context)


@router.post("/console/authority/quality-assessments")
async def open_assessment(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Open the chosen dataset's assessment of the year, with what to assess."""
    fields = await read_form(request)
    try:
        name = fields.get("dataset", "").strip()
        if not name:
            raise InvalidRequest("dataset: choose the dataset to assess")
        year = _year(fields.get("year", ""))
        with transaction(platform.sessions) as session:
            opened = quality_duties.open_assessment(
                session,
                platform.calendar,
                viewer.actor,
                name,
                year=year,
                request=fields.get("request", ""),
            )
    except (*FORM_ERRORS, NotFound) as error:
        context = _list_context(platform, viewer, None)
        context["values"] = {k: fields.get(k, "") for k in OPEN_FIELDS}
        invalid = {k for k in OPEN_FIELDS if k in error.message}
        if "dataset" in error.message.lower() and "year" not in invalid:
            invalid.add("dataset")
        context.update(problem=error.message, invalid=invalid)
        status = NOT_FOUND if isinstance(error, NotFound) else error_status(error)
        return render(request, LIST_TEMPLATE, viewer, context, status_code=status)
    return RedirectResponse(
        f"/console/authority/quality-assessments/{opened.id}?done=opened", status_code=303
    )


def _one_context(platform: Platform, viewer: Viewer, assessment_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        found = quality_duties.get_assessment(
            session, platform.calendar, viewer.actor, assessment_id
        )
    return {
        "a": found,
        "stage": open_stage(found),
        "can_conclude": is_authority(viewer) and found.status is AssessmentStatus.ANSWERED,
        "conclusions": [str(c) for c in Conclusion],
        "values": {"conclusion": str(Conclusion.SATISFACTORY), "note": ""},
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "quality",
    }


@router.get("/console/authority/quality-assessments/{assessment_id}")
def assessment_page(
    request: Request, assessment_id: Id, platform: PlatformDep, viewer: OversightViewer
) -> HTMLResponse:
    """One assessment: the request, its stages and deadlines, the provider's answer with
    the answering version's quality report, the conclusion (form while answered).
    """
    context = _one_context(platform, viewer, assessment_id)
    context["done"] = request.query_params.get("done")
    return render(request, ONE_TEMPLATE, viewer, context)


@router.post("/console/authority/quality-assessments/{assessment_id}/conclusion")
async def conclude(
    request: Request, assessment_id: Id, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Conclude the answered assessment satisfactory, or order a rectification (its note
    required) due in 10 working days.
    """
    fields = await read_form(request)
    try:
        conclusion = parse_enum(Conclusion, fields.get("conclusion", ""), "conclusion")
        with transaction(platform.sessions) as session:
            quality_duties.conclude_assessment(
                session,
                platform.calendar,
                viewer.actor,
                assessment_id,
                conclusion=conclusion,
                note=fields.get("note", ""),
            )
    except FORM_ERRORS as error:
        context = _one_context(platform, viewer, assessment_id)
        context["values"] = {k: fields.get(k, "") for k in ("conclusion", "note")}
        invalid = {k for k in ("conclusion", "note") if k in error.message}
        context.update(problem=error.message, invalid=invalid)
        return render(request, ONE_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/authority/quality-assessments/{assessment_id}?done=concluded", status_code=303
    )


@router.get("/console/authority/update-reminders")
def reminders_page(
    request: Request, platform: PlatformDep, viewer: OversightViewer
) -> HTMLResponse:
    """The update reminders sent, newest first, with the providers' names."""
    with platform.sessions() as session:
        sent = update_reminders.list_reminders(session, viewer.actor)
        names = {o.id: o.name for o in service.list_organisations(session)}
    context = {"reminders": sent, "org_names": names, "tab": "reminders"}
    return render(request, "pages/authority_governance_reminders.html", viewer, context)
