"""The authority's publication review of the catalog: the queue of submitted datasets and
versions with their 2-working-day deadlines (overdue marked), and one version's review
page (the entry, its data dictionary, the version's quality report, the grade proposed)
with the pass (approving the grade) or the return with its reason.

The pages call what ``GET /v1/publication-reviews``, ``GET`` and ``POST
/v1/datasets/{name}/versions/{version}/review`` call
(:mod:`sandbox.datasets.publication_review`), with the same roles: oversight reads, only
the authority decides (the domain refuses anyone else). A refused decision changes
nothing and comes back beside the form (422, or 409 for a version already decided).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Version
from sandbox.catalog.grades import Grade, parse_grade
from sandbox.catalog.model import ReviewStatus
from sandbox.catalog.publication import require_visible
from sandbox.catalog.queries import get_entry
from sandbox.datasets import publication_review, reads
from sandbox.errors import Conflict, InvalidRequest, SandboxError
from sandbox.identity.model import Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

OversightViewer = Annotated[Viewer, require_console_roles(Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)]
"""The governance pages' readers: the roles the domain shows every dataset's review to."""
AuthorityViewer = Annotated[Viewer, require_console_roles(Role.AUTHORITY)]
"""The one role that decides (the API's ``require_roles(Role.AUTHORITY)``)."""

nav.add(
    nav.NavItem(
        "nav.authority_governance",
        "/console/authority/publication-reviews",
        44,
        frozenset({Role.AUTHORITY, Role.AUDITOR, Role.ADMIN}),
    )
)

UNPROCESSABLE = 422
CONFLICT = 409
FORM_ERRORS = (InvalidRequest, Conflict)
"""The refusals a governance form shows beside itself; any other error is the error page."""

QUEUE_FILTERS = ("submitted", "returned", "passed", "all")
REVIEW_TEMPLATE = "pages/authority_governance_review.html"


def error_status(error: InvalidRequest | Conflict) -> int:
    """The API's status for a refused form: 409 for a step out of turn, else 422."""
    return CONFLICT if isinstance(error, Conflict) else UNPROCESSABLE


def is_authority(viewer: Viewer) -> bool:
    """Whether the viewer may decide (the others read the same page without its forms)."""
    return viewer.actor.role is Role.AUTHORITY


@router.get("/console/authority/publication-reviews")
def queue_page(
    request: Request, platform: PlatformDep, viewer: OversightViewer, status: str = "submitted"
) -> HTMLResponse:
    """Submissions in ``status`` (default: waiting), the nearest deadline first, each
    with its working days left and overdue marked.
    """
    if status not in QUEUE_FILTERS:
        raise InvalidRequest(f"status must be one of {', '.join(QUEUE_FILTERS)}, not {status!r}")
    wanted = None if status == "all" else ReviewStatus(status)
    with platform.sessions() as session:
        found = publication_review.review_queue(
            session, platform.calendar, viewer.actor, status=wanted
        )
    context = {"reviews": found, "status": status, "filters": QUEUE_FILTERS, "tab": "reviews"}
    return render(request, "pages/authority_governance_queue.html", viewer, context)


def _review_context(platform: Platform, viewer: Viewer, name: str, version: int) -> dict[str, Any]:
    with platform.sessions() as session:
        review = publication_review.version_review(
            session, platform.calendar, viewer.actor, name, version
        )
        entry = require_visible(viewer.actor, get_entry(session, name))
    info = next(v for v in entry.versions if v.version == version)
    try:  # read as GET /v1/datasets/{name}/quality?version= reads it (audited)
        _number, report = reads.quality_report(platform, viewer.actor, name, version)
        problem = None
    except SandboxError as error:
        report, problem = None, error.message
    return {
        "review": review,
        "entry": entry,
        "meta": entry.metadata,
        "info": info,
        "report": report,
        "report_problem": problem,
        "grades": [str(g) for g in Grade],
        "can_decide": is_authority(viewer) and review.status is ReviewStatus.SUBMITTED,
        "values": {"outcome": "pass", "grade": "", "reason": ""},
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "reviews",
    }


@router.get("/console/authority/publication-reviews/{name}/{version}")
def review_page(
    request: Request, name: str, version: Version, platform: PlatformDep, viewer: OversightViewer
) -> HTMLResponse:
    """One submitted version as the authority reviews it, with the decision form while it
    waits.
    """
    context = _review_context(platform, viewer, name, version)
    context["done"] = request.query_params.get("done") == "review"
    return render(request, REVIEW_TEMPLATE, viewer, context)


def _decision(fields: dict[str, str]) -> tuple[bool, Grade | None, str]:
    outcome = fields.get("outcome", "")
    if outcome not in ("pass", "return"):
        raise InvalidRequest("outcome must be 'pass' or 'return'")
    chosen = fields.get("grade", "").strip()
    grade = parse_grade(chosen) if chosen else None
    return outcome == "pass", grade, fields.get("reason", "")


@router.post("/console/authority/publication-reviews/{name}/{version}")
async def decide(
    request: Request, name: str, version: Version, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Pass (publishing the version, approving the chosen grade or the proposal) or
    return with the reason, as ``POST /v1/datasets/{name}/versions/{version}/review``.
    """
    fields = await read_form(request)
    try:
        passed, grade, reason = _decision(fields)
        with transaction(platform.sessions) as session:
            publication_review.review_version(
                session,
                platform.calendar,
                viewer.actor,
                name,
                version,
                passed=passed,
                reason=reason,
                grade=grade,
            )
    except FORM_ERRORS as error:
        context = _review_context(platform, viewer, name, version)
        context["values"] = {k: fields.get(k, "") for k in ("outcome", "grade", "reason")}
        named = {k for k in ("outcome", "grade", "reason") if k in error.message}
        context.update(problem=error.message, invalid=named)
        return render(request, REVIEW_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/authority/publication-reviews/{name}/{version}?done=review", status_code=303
    )
