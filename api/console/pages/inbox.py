"""The inbox page: every account's notifications, marking them read, and its notification
preferences, through the same domain calls as ``/v1/notifications`` (own inbox only;
another account's notification is a 404). The header's *Inbox* link shows the unread count.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import SignedInDep, Viewer
from api.console.i18n import request_lang
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id, Offset
from sandbox import notifications
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Role
from sandbox.notifications import Language, Notification, NotificationKind
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()
PAGE = 25
UNPROCESSABLE = 422


def unread_badge(request: Request, viewer: Viewer) -> int:
    """The viewer's unread notifications, for the header's link (0 for a visitor)."""
    if not viewer.signed_in:
        return 0
    platform: Platform = request.app.state.platform
    with platform.sessions() as session:
        return notifications.unread_count(session, viewer.actor)


nav.add(nav.NavItem("nav.inbox", "/console/inbox", order=90, count=unread_badge))


def subject_href(notification: Notification, role: Role | None) -> str | None:
    """The console page of what a notification is about, where the reader has one."""
    kind, item = notification.subject.type, notification.subject.id
    if kind == "dataset":
        return f"/console/datasets/{item}"
    if kind == "application":
        if role is Role.PROVIDER:
            return f"/console/provider/applications/{item}"
        return f"/console/applications/{item}"
    if kind == "job":
        if notification.key == "result.waiting":
            return f"/console/reviews/{item}"
        return f"/console/jobs/{item}" if role is Role.USER else None
    if kind in ("complaint", "objection") and role is Role.PROVIDER:
        return f"/console/provider/{kind}s/{item}"
    return None


def _context(
    request: Request, platform: Platform, viewer: Viewer, *, unread: bool, offset: int
) -> dict[str, Any]:
    language = Language(str(request_lang(request)))
    with platform.sessions() as session:
        page = notifications.inbox(
            session, viewer.actor, unread_only=unread, limit=PAGE, offset=offset, language=language
        )
        prefs = notifications.preferences(session, viewer.actor)
    return {
        "page": page,
        "rows": [(n, subject_href(n, viewer.role)) for n in page.data],
        "prefs": prefs,
        "kinds": list(NotificationKind),
        "languages": list(Language),
        "unread": unread,
        "offset": offset,
        "newer": max(offset - PAGE, 0) if offset > 0 else None,
        "older": offset + PAGE if offset + PAGE < page.count else None,
        "done": request.query_params.get("done"),
        "problem": None,
    }


@router.get("/console/inbox")
def inbox_page(
    request: Request,
    platform: PlatformDep,
    viewer: SignedInDep,
    unread: bool = False,
    offset: Offset = 0,
) -> HTMLResponse:
    """Your notifications, newest first (``unread=true``: the unread ones), and your
    notification preferences.
    """
    context = _context(request, platform, viewer, unread=unread, offset=offset)
    return render(request, "pages/inbox.html", viewer, context)


def _back(fields: dict[str, str], done: str) -> str:
    query = f"done={done}"
    if fields.get("unread") == "true":
        query += "&unread=true"
    return f"/console/inbox?{query}"


@router.post("/console/inbox/read-all")
async def read_all(request: Request, platform: PlatformDep, viewer: SignedInDep) -> Response:
    """Mark every unread notification read."""
    fields = await read_form(request)
    with transaction(platform.sessions) as session:
        notifications.mark_all_read(session, viewer.actor)
    return RedirectResponse(_back(fields, "read"), status_code=303)


@router.post("/console/inbox/preferences")
async def save_preferences(
    request: Request, platform: PlatformDep, viewer: SignedInDep
) -> Response:
    """Set the notification language and e-mail per kind (a checkbox each; unchecked: off).
    An unknown language changes nothing and comes back beside the form.
    """
    fields = await read_form(request)
    email = {str(kind): fields.get(f"email_{kind}") == "on" for kind in NotificationKind}
    try:
        with transaction(platform.sessions) as session:
            notifications.set_preferences(
                session, viewer.actor, language=fields.get("language", ""), email=email
            )
    except InvalidRequest as error:
        context = _context(request, platform, viewer, unread=False, offset=0)
        context["problem"] = error.message
        return render(request, "pages/inbox.html", viewer, context, status_code=UNPROCESSABLE)
    return RedirectResponse(_back(fields, "saved"), status_code=303)


@router.post("/console/inbox/{notification_id}/read")
async def read_one(
    notification_id: Id, request: Request, platform: PlatformDep, viewer: SignedInDep
) -> Response:
    """Mark one of your notifications read (another account's: the 404 page)."""
    fields = await read_form(request)
    with transaction(platform.sessions) as session:
        notifications.mark_read(session, viewer.actor, notification_id)
    return RedirectResponse(_back(fields, "read"), status_code=303)
