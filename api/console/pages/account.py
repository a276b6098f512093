"""The sign-in page, the language switch and the signed-in account's own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import SignedInDep, ViewerDep
from api.console.i18n import parse_lang
from api.console.paths import local_next
from api.console.rendering import remember_lang, render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity import service

router = console_router()

nav.add(nav.NavItem("nav.sign_in", "/console/sign-in", order=900, visitors_only=True))
nav.add(nav.NavItem("nav.account", "/console/account", order=800))


@router.get("/", include_in_schema=False)
@router.get("/console", include_in_schema=False)
@router.get("/console/", include_in_schema=False)
def home() -> RedirectResponse:
    """The console starts at the catalog, which everyone may see."""
    return RedirectResponse("/console/catalog", status_code=303)


@router.get("/console/language")
def switch_language(
    lang: str,
    next: Annotated[str | None, Query()] = None,  # noqa: A002
) -> RedirectResponse:
    """Keep the chosen language in its cookie and go back to the page it was chosen on.

    A GET (a link, no form): choosing a language changes nothing on the server.
    """
    chosen = parse_lang(lang)
    if chosen is None:
        raise InvalidRequest(f"language {lang!r} is not one of 'zh', 'en'")
    response = RedirectResponse(local_next(next), status_code=303)
    remember_lang(response, chosen)
    return response


@router.get("/console/sign-in")
def sign_in_page(
    request: Request,
    viewer: ViewerDep,
    next: Annotated[str | None, Query()] = None,  # noqa: A002
) -> HTMLResponse:
    """The sign-in form; it posts the password to the session route of the sign-in module."""
    context = {"next_path": local_next(next), "failed": False, "username": ""}
    return render(request, "pages/sign_in.html", viewer, context)


@router.get("/console/account")
def account_page(request: Request, platform: PlatformDep, viewer: SignedInDep) -> HTMLResponse:
    """The signed-in account as ``GET /v1/users/me`` shows it (any role)."""
    assert viewer.account is not None  # SignedInDep refused visitors
    if viewer.account.user_id is None:
        raise NotFound("the local operator has no account")
    with platform.sessions() as session:
        user = service.get_user(session, viewer.account.user_id)
    return render(request, "pages/account.html", viewer, {"user": user})
