"""The sign-in and sign-out forms' posts: the session cookie set and dropped by
:mod:`api.session_auth`, the same functions as ``POST``/``DELETE /v1/sessions``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.console.auth import SignedInDep, ViewerDep
from api.console.oversight_forms import read_form
from api.console.paths import local_next
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.session_auth import sign_in, sign_out
from sandbox.identity.errors import SignInFailed

router = console_router()
FormDep = Annotated[dict[str, str], Depends(read_form)]
"""The posted fields, after the CSRF check (a wrong token: the 403 page)."""


@router.post("/console/sign-in")
def sign_in_form(
    request: Request,
    platform: PlatformDep,
    viewer: ViewerDep,
    fields: FormDep,
) -> Response:
    """Check the password and go on to ``next`` with the session cookie; a failure shows
    the form again with the one message every failure gets (401), never which part failed.
    """
    username = fields.get("username", "")
    target = local_next(fields.get("next"))
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, platform, username=username, password=fields.get("password", ""))
    except SignInFailed:
        context = {"next_path": target, "failed": True, "username": username}
        return render(request, "pages/sign_in.html", viewer, context, status_code=401)
    return response


@router.post("/console/sign-out")
def sign_out_form(
    request: Request,
    platform: PlatformDep,
    viewer: SignedInDep,
    fields: FormDep,
) -> RedirectResponse:
    """End the session (audited) and drop its cookie; back to the public catalog."""
    del viewer  # resolved first, so the session is known to sign_out
    del fields  # only its CSRF check
    response = RedirectResponse("/console/catalog", status_code=303)
    sign_out(request, response, platform)
    return response
