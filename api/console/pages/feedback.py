"""Rating and commenting on a dataset from its public page (Lianyungang art. 18; Chengdu
art. 35; Wuxi art. 26).

The same domain calls as ``PUT /v1/datasets/{name}/rating`` and ``POST
/v1/datasets/{name}/comments`` (:func:`sandbox.oversight.feedback.rate` and
:func:`~sandbox.oversight.feedback.submit_comment`, which audit them): any signed-in
account may rate (1 to 5, rating again changes its rating) and comment (published once the
dataset's provider approved it). A visitor is asked to sign in (401); a form without its
CSRF token is refused (403); a refused rating or comment (stars out of range, an empty or
too long comment) changes nothing and comes back in the dataset page beside its form.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.console.auth import SignedInDep
from api.console.oversight_forms import read_form
from api.console.pages.dataset import render_dataset
from api.console.pages.feedback_panel import FeedbackForm
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.errors import InvalidRequest
from sandbox.oversight import feedback
from sandbox.store.db import transaction

router = console_router()

UNPROCESSABLE = 422


def _stars(value: str) -> int:
    """The posted stars as a number (the domain checks the range)."""
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidRequest(
            f"stars must be a whole number from {feedback.MIN_STARS} to {feedback.MAX_STARS}"
        ) from None


def _saved(name: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/console/datasets/{name}?done={done}#feedback-title", status_code=303)


@router.post("/console/datasets/{name}/rating")
async def rate(name: str, request: Request, platform: PlatformDep, viewer: SignedInDep) -> Response:
    """Set the viewer's rating of dataset ``name`` (field ``stars``, 1 to 5)."""
    fields = await read_form(request)
    stars = fields.get("stars", "")
    try:
        with transaction(platform.sessions) as session:
            feedback.rate(session, viewer.actor, name, _stars(stars))
    except InvalidRequest as error:
        form = FeedbackForm("rating", error.message, stars=stars)
        return render_dataset(request, platform, viewer, name, form=form, status_code=UNPROCESSABLE)
    return _saved(name, "rated")


@router.post("/console/datasets/{name}/comments")
async def comment(
    name: str, request: Request, platform: PlatformDep, viewer: SignedInDep
) -> Response:
    """File the viewer's comment on dataset ``name`` (field ``text``); it waits for the
    provider's review.
    """
    fields = await read_form(request)
    text = fields.get("text", "")
    try:
        with transaction(platform.sessions) as session:
            feedback.submit_comment(session, viewer.actor, name, text)
    except InvalidRequest as error:
        form = FeedbackForm("comment", error.message, text=text)
        return render_dataset(request, platform, viewer, name, form=form, status_code=UNPROCESSABLE)
    return _saved(name, "commented")
