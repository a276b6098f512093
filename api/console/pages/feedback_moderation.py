"""The provider's moderation of comments on its organisation's datasets (Lianyungang art.
18; Chengdu art. 35; Wuxi art. 26): the queue of comments waiting (or those already
published or hidden), each with approve, or hide with a reason its author sees.

The same domain calls and role as ``GET /v1/comments/moderation`` and ``POST
/v1/comments/{id}/moderation`` (:func:`sandbox.oversight.feedback.moderation_queue` and
:func:`~sandbox.oversight.feedback.moderate`, which audits each decision). Each form
carries the state the page showed, so a comment another provider moderated meanwhile is
refused (409) rather than decided twice. A refused decision (no reason to hide, a comment
moderated meanwhile, another organisation's comment) changes nothing and comes back on the
queue page with the problem named beside the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import Viewer
from api.console.oversight_forms import read_form
from api.console.pages.provider_cases_common import ProviderViewer
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Role
from sandbox.oversight import feedback
from sandbox.oversight.feedback import CommentStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

TEMPLATE = "pages/feedback_queue.html"
QUEUE_PATH = "/console/provider/comments"
OUTCOMES = ("approve", "hide")
REFUSALS = (InvalidRequest, Conflict, NotFound)
"""The refusals shown on the queue page; every other error is the error page."""


def _status_code(error: InvalidRequest | Conflict | NotFound) -> int:
    """The API's status for a refused decision."""
    if isinstance(error, NotFound):
        return 404
    return 409 if isinstance(error, Conflict) else 422


def waiting_badge(request: Request, viewer: Viewer) -> int:
    """The comments waiting for the provider's review, for the header's link."""
    if viewer.role is not Role.PROVIDER or viewer.actor.organisation_id is None:
        return 0
    platform: Platform = request.app.state.platform
    with platform.sessions() as session:
        return len(feedback.moderation_queue(session, viewer.actor))


nav.add(
    nav.NavItem(
        "nav.provider_comments",
        QUEUE_PATH,
        36,
        frozenset({Role.PROVIDER}),
        count=waiting_badge,
        count_key="nav.waiting",
    )
)


@dataclass(frozen=True)
class Refusal:
    """A refused decision, shown beside the comment it was about."""

    comment_id: int
    problem: str
    reason: str


def _page(
    request: Request,
    platform: Platform,
    viewer: Viewer,
    status: str,
    *,
    done: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with platform.sessions() as session:
        comments = feedback.moderation_queue(session, viewer.actor, status=status)
    context = {
        "comments": comments,
        "status": status,
        "statuses": [str(s) for s in CommentStatus],
        "done": done,
        "refusal": refusal,
    }
    return render(request, TEMPLATE, viewer, context, status_code=status_code)


def _status(value: str | None) -> str:
    """The queue's state filter (pending by default); the domain names a bad one."""
    return value or str(CommentStatus.PENDING)


@router.get(QUEUE_PATH)
def queue_page(request: Request, platform: PlatformDep, viewer: ProviderViewer) -> HTMLResponse:
    """The comments on the organisation's datasets in one state (``?status=``, pending by
    default), oldest first; after a decision, its note.
    """
    status = _status(request.query_params.get("status"))
    outcome, comment = request.query_params.get("done"), request.query_params.get("comment")
    done = None
    if outcome in OUTCOMES and comment and comment.isdigit():
        done = {"outcome": outcome, "id": int(comment)}
    return _page(request, platform, viewer, status, done=done)


@router.post(QUEUE_PATH + "/{comment_id}")
async def moderate(
    request: Request, comment_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Approve (``outcome=approve``) or hide with a ``reason`` (``outcome=hide``) the
    comment, which must still be in the state the page showed (``expected``).
    """
    fields = await read_form(request)
    expected = _status(fields.get("expected"))
    outcome = fields.get("outcome", "")
    reason = fields.get("reason", "")
    try:
        if outcome not in OUTCOMES:
            raise InvalidRequest("outcome must be one of approve, hide")
        with transaction(platform.sessions) as session:
            feedback.moderate(session, viewer.actor, comment_id, outcome, reason, expected=expected)
    except REFUSALS as error:
        refusal = Refusal(comment_id, error.message, reason)
        code = _status_code(error)
        return _page(request, platform, viewer, expected, refusal=refusal, status_code=code)
    return RedirectResponse(
        f"{QUEUE_PATH}?status={expected}&done={outcome}&comment={comment_id}", status_code=303
    )
