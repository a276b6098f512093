"""A visitor's registration form (``POST /v1/accounts``'s domain call): the account can sign
in at once and may apply once its eligibility facts are recorded. A bad field is shown
beside it (422); the answer never tells whether a login was taken.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import ViewerDep
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.session_auth import client_address, policy_of
from sandbox.errors import InvalidRequest
from sandbox.identity.registration import RegistrationForm, register
from sandbox.store.db import transaction

router = console_router()
FormDep = Annotated[dict[str, str], Depends(read_form)]

nav.add(nav.NavItem("nav.register", "/console/register", order=910, visitors_only=True))

FIELDS = ("username", "password", "display_name", "email", "organisation")


def _page(
    request: Request,
    viewer: ViewerDep,
    values: dict[str, str],
    *,
    error: str = "",
    done: str = "",
    status: int = 200,
) -> HTMLResponse:
    wrong = next((name for name in FIELDS if error.startswith(name)), "username" if error else "")
    context = {"values": values, "error": error, "wrong": wrong, "done": done}
    return render(request, "pages/register.html", viewer, context, status_code=status)


@router.get("/console/register")
def register_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The empty registration form."""
    return _page(request, viewer, dict.fromkeys(FIELDS, ""))


@router.post("/console/register")
def register_form(
    request: Request, platform: PlatformDep, viewer: ViewerDep, fields: FormDep
) -> HTMLResponse:
    """Register; the same answer whether the login was free or taken."""
    values = {name: fields.get(name, "") for name in FIELDS}
    form = RegistrationForm(**values)
    try:
        with transaction(platform.sessions) as session:
            done = register(
                session, form, policy_of(platform.settings), client=client_address(request)
            )
    except InvalidRequest as error:
        values["password"] = ""
        return _page(request, viewer, values, error=error.message, status=422)
    return _page(request, viewer, dict.fromkeys(FIELDS, ""), done=done.username)
