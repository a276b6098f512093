"""Held logs: the logs and errors their authors asked to have reviewed, and the decision
to release them or keep them withheld.

A model's log can carry data as well as a result can, so it crosses the release boundary
the same way (:mod:`sandbox.review.logs`). The same domain calls and roles as ``GET
/v1/reviews/logs``, ``GET /v1/reviews/{job_id}`` (the read audited) and ``POST
/v1/reviews/{job_id}/log-decision``: the granting organisation's reviewers and providers
decide (never the job's author); oversight reads the queue and the job's facts, not the
log. The log is shown as escaped text; a refused decision changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.pages.provider_cases_common import FORM_ERRORS, error_status
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.identity.model import Role
from sandbox.platform import Platform
from sandbox.review import logs as log_reviews
from sandbox.review import service
from sandbox.store.db import transaction

router = console_router()

_READERS = (Role.REVIEWER, Role.PROVIDER, *sorted(OVERSIGHT_ROLES))
LogViewer = Annotated[Viewer, require_console_roles(*_READERS)]
nav.add(
    nav.NavItem(
        "nav.provider_logs", "/console/provider/logs", 41, frozenset({Role.REVIEWER, Role.PROVIDER})
    )
)

DECISIONS = tuple(str(d) for d in log_reviews.LogDecision)
TEMPLATE = "pages/provider_cases_log.html"


@router.get("/console/provider/logs")
def logs_page(request: Request, platform: PlatformDep, viewer: LogViewer) -> HTMLResponse:
    """Logs waiting for a decision, oldest first, with their age in working days."""
    today = utc_now().date()
    with platform.sessions() as session:
        waiting = log_reviews.queue(session, viewer.actor)
    rows = [
        {
            "job": job,
            "age": platform.calendar.working_days_between(job.updated_at.date(), today),
        }
        for job in waiting
    ]
    context = {"rows": rows, "tab": "logs"}
    return render(request, "pages/provider_cases_logs.html", viewer, context)


def _context(platform: Platform, viewer: Viewer, job_id: int) -> dict[str, Any]:
    with transaction(platform.sessions) as session:
        view = service.review_view(session, viewer.actor, job_id)
    return {"view": view, "problem": None, "reason": "", "outcome": "", "done": None, "tab": "logs"}


@router.get("/console/provider/logs/{job_id}")
def log_page(
    request: Request, job_id: Id, platform: PlatformDep, viewer: LogViewer
) -> HTMLResponse:
    """One job's held log and errors (escaped), its facts and the decision form."""
    context = _context(platform, viewer, job_id)
    done = request.query_params.get("done")
    context["done"] = done if done in DECISIONS else None
    return render(request, TEMPLATE, viewer, context)


@router.post("/console/provider/logs/{job_id}")
async def decide(
    request: Request, job_id: Id, platform: PlatformDep, viewer: LogViewer
) -> Response:
    """Release the log and errors to the job's author, or withhold them with a reason."""
    fields = await read_form(request)
    outcome = fields.get("outcome", "").strip()
    reason = fields.get("reason", "")
    try:
        with transaction(platform.sessions) as session:
            log_reviews.decide(session, viewer.actor, job_id, outcome, reason)
    except FORM_ERRORS as error:
        context = _context(platform, viewer, job_id)
        context.update(problem=error.message, reason=reason, outcome=outcome)
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/provider/logs/{job_id}?done={outcome}", status_code=303)
