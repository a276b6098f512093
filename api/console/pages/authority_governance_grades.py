"""Grade proposals waiting for the authority: datasets whose provider proposed a grade and
datasets not graded yet, each with the approve (as proposed, or another grade with a note
saying why) / reject form.

The same calls and roles as ``GET /v1/grade-proposals`` and ``POST
/v1/datasets/{name}/grade/decision`` (:func:`sandbox.catalog.grades.pending_grades`,
:func:`~sandbox.catalog.grades.decide_grade`): oversight reads, the authority decides; a
refused decision changes nothing and comes back beside the list (422/409).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

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
from sandbox.catalog import grades
from sandbox.catalog.grades import Grade, parse_grade
from sandbox.catalog.publication import is_published
from sandbox.catalog.queries import dataset_row
from sandbox.errors import InvalidRequest
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

TEMPLATE = "pages/authority_governance_grades.html"


def _context(platform: Platform, viewer: Viewer) -> dict[str, Any]:
    with platform.sessions() as session:
        pending = grades.pending_grades(session, viewer.actor)
        published = {
            g.dataset: is_published(session, dataset_row(session, g.dataset)) for g in pending
        }
    return {
        "pending": pending,
        "published": published,
        "grades": [str(g) for g in Grade],
        "can_decide": is_authority(viewer),
        "problem": None,
        "problem_for": None,
        "values": {},
        "done": None,
        "tab": "grades",
    }


@router.get("/console/authority/grade-proposals")
def proposals_page(
    request: Request, platform: PlatformDep, viewer: OversightViewer
) -> HTMLResponse:
    """Datasets whose grade waits for the authority, by name."""
    context = _context(platform, viewer)
    context["done"] = request.query_params.get("done")
    return render(request, TEMPLATE, viewer, context)


@router.post("/console/authority/grade-proposals/{name}")
async def decide(
    request: Request, name: str, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Approve the proposal (or the grade chosen instead, with its note) or reject it."""
    fields = await read_form(request)
    try:
        decision = fields.get("decision", "")
        if decision not in ("approve", "reject"):
            raise InvalidRequest("decision must be 'approve' or 'reject'")
        chosen = fields.get("grade", "").strip()
        with transaction(platform.sessions) as session:
            grades.decide_grade(
                session,
                viewer.actor,
                name,
                approve=decision == "approve",
                grade=parse_grade(chosen) if chosen else None,
                note=fields.get("note", ""),
            )
    except FORM_ERRORS as error:
        context = _context(platform, viewer)
        context.update(problem=error.message, problem_for=name, values=fields)
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/authority/grade-proposals?done={name}", status_code=303)
