"""The reviewer's airlock: the queue of held results and one result under review.

The same domain calls and roles as ``GET /v1/reviews``, ``GET /v1/reviews/{job_id}`` and
``POST /v1/reviews/{job_id}/decision`` (:mod:`sandbox.review.service`): the granting
organisation's reviewers and providers decide; oversight reads the queue and the review's
metadata. The review read is audited as the API's is; a refused or invalid decision
changes nothing and comes back beside the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Role
from sandbox.ledger.sql_accounts import balance
from sandbox.platform import Platform
from sandbox.review import service
from sandbox.store.db import transaction
from sandbox.store.models import GrantRow, JobRow

router = console_router()

_READERS = (Role.REVIEWER, Role.PROVIDER, *sorted(OVERSIGHT_ROLES))
ReviewViewer = Annotated[Viewer, require_console_roles(*_READERS)]
nav.add(nav.NavItem("nav.review_queue", "/console/reviews", 40, frozenset(_READERS)))

OUTCOMES = ("approve", "reject", "return")
UNPROCESSABLE = 422


@router.get("/console/reviews")
def queue_page(request: Request, platform: PlatformDep, viewer: ReviewViewer) -> HTMLResponse:
    """Results waiting for review, oldest first, with their age in working days."""
    today = utc_now().date()
    with platform.sessions() as session:
        waiting = service.queue(session, viewer.actor)
    rows = [
        {
            "job": job,
            "age": platform.calendar.working_days_between(job.updated_at.date(), today),
        }
        for job in waiting
    ]
    context = {"rows": rows, "done": request.query_params.get("done")}
    return render(request, "pages/review_queue.html", viewer, context)


def _grant_accounts(session: Session, viewer: Viewer, row: JobRow) -> list[dict[str, str]] | None:
    """The grant's own account on each of its datasets (spent, remaining, limit), for the
    granting organisation's staff who weigh a release against it; ``None`` for anyone else
    (oversight reads it on the grant's own pages). Only the accounts' totals, no charge's
    detail: the review read that shows them is audited.
    """
    if not service.can_review(session, viewer.actor, row):
        return None
    grant = session.get(GrantRow, row.grant_id)
    if grant is None:
        return None
    accounts: list[dict[str, str]] = []
    for name in grant.datasets:
        try:
            own = balance(session, grant=grant.ref, dataset=name).grant
        except NotFound:
            continue  # accounts open when the holder accepts the agreement
        accounts.append(
            {
                "dataset": name,
                "spent": own.spent.describe(own.accounting),
                "remaining": own.remaining.describe(own.accounting),
                "limit": own.limit.describe(own.accounting),
            }
        )
    return accounts


def _review_context(platform: Platform, viewer: Viewer, job_id: int) -> dict[str, Any]:
    """The review as the API shows it, plus the grant's budget where the viewer reads it."""
    with transaction(platform.sessions) as session:
        view = service.review_view(session, viewer.actor, job_id)
        row = session.get(JobRow, job_id)
        budget = _grant_accounts(session, viewer, row) if row is not None else None
    mine = [d for d in view.decisions if d.reviewer == viewer.actor.username]
    return {
        "view": view,
        "budget": budget,
        "mine": mine[0] if mine else None,
        "problem": None,
        "reason": "",
        "outcome": "",
    }


@router.get("/console/reviews/{job_id}")
def review_page(
    request: Request, job_id: Id, platform: PlatformDep, viewer: ReviewViewer
) -> HTMLResponse:
    """One held result with everything a reviewer weighs, and the decision form."""
    context = _review_context(platform, viewer, job_id)
    context["done"] = request.query_params.get("done")
    return render(request, "pages/review.html", viewer, context)


@router.post("/console/reviews/{job_id}")
async def decide(
    request: Request, job_id: Id, platform: PlatformDep, viewer: ReviewViewer
) -> Response:
    """Approve, reject or return the result (the domain's ``decide``); a refusal or an
    invalid form changes nothing and is shown beside the form.
    """
    fields = await read_form(request)
    outcome = fields.get("outcome", "").strip()
    reason = fields.get("reason", "")
    try:
        if outcome not in OUTCOMES:
            raise InvalidRequest("outcome must be one of approve, reject, return")
        with transaction(platform.sessions) as session:
            service.decide(session, viewer.actor, job_id, outcome, reason)
    except (InvalidRequest, Conflict) as error:
        context = _review_context(platform, viewer, job_id)
        context.update(problem=error.message, reason=reason, outcome=outcome, done=None)
        status = UNPROCESSABLE if isinstance(error, InvalidRequest) else 409
        return render(request, "pages/review.html", viewer, context, status_code=status)
    return RedirectResponse(f"/console/reviews/{job_id}?done={outcome}", status_code=303)
