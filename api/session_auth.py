"""The sign-in session cookie over HTTP: setting it, reading it, and its CSRF check.

Bearer tokens are for programs; a browser signs in (``POST /v1/sessions``) and gets two
things: the ``sandbox_session`` cookie (HTTP-only, ``SameSite=Lax``, ``Secure`` when the
request came over HTTPS), which no script can read, and a CSRF token, which the page puts
in every form (field ``csrf_token``) or unsafe request (header ``X-CSRF-Token``). A
request authenticated by the cookie that changes anything must carry the token; one with a
bearer token needs none (a browser never adds a bearer token on its own).

Visitors who have not signed in get a CSRF token too, in the ``sandbox_csrf`` cookie set by
:class:`VisitorCsrfCookie` on console pages (double submit), so the sign-in and
registration forms are protected as well.

The console uses these functions of this module: :func:`console_actor` (its session
resolver), :func:`check_csrf` (a form's token), :func:`sign_in` and :func:`sign_out`
(they set and drop the cookie on the response the page returns).
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.config import Settings
from sandbox.identity.errors import CsrfRefused, SessionExpired
from sandbox.identity.model import Actor
from sandbox.identity.passwords import PasswordPolicy
from sandbox.identity.sessions import (
    LiveSession,
    SessionLifetime,
    StartedSession,
    resolve_session,
)
from sandbox.identity.sessions import sign_out as end_and_audit
from sandbox.identity.sign_in import Lockout, attempt_sign_in
from sandbox.platform import Platform
from sandbox.store.db import transaction

SESSION_COOKIE = "sandbox_session"
VISITOR_CSRF_COOKIE = "sandbox_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CSRF_MISSING = (
    "this request is authenticated by the session cookie and changes something, so it must "
    f"carry the session's CSRF token (header {CSRF_HEADER} or form field {CSRF_FIELD}); "
    "it did not, or the token is wrong: reload the page and try again"
)


def lifetime_of(settings: Settings) -> SessionLifetime:
    """The session lifetimes ``settings`` name."""
    return SessionLifetime(settings.session_idle_seconds, settings.session_absolute_seconds)


def lockout_of(settings: Settings) -> Lockout:
    """The sign-in lockout ``settings`` name."""
    return Lockout(settings.sign_in_lockout_failures, settings.sign_in_lockout_seconds)


def policy_of(settings: Settings) -> PasswordPolicy:
    """The password policy ``settings`` name."""
    return PasswordPolicy(settings.password_min_length)


def client_address(request: Request) -> str:
    """The remote address, for the audit entry of a sign-in or registration."""
    return request.client.host if request.client else ""


def resolve_cookie(request: Request, platform: Platform) -> LiveSession | None:
    """The live session of the request's cookie (``None`` without one), kept on
    ``request.state.login_session``; renews its idle clock.

    Raises:
        SessionExpired: The cookie names no live session.
    """
    cached: LiveSession | None = getattr(request.state, "login_session", None)
    if cached is not None:
        return cached
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    with transaction(platform.sessions) as session:
        live = resolve_session(session, secret, lifetime_of(platform.settings))
    request.state.login_session = live
    request.state.csrf_token = live.csrf_token
    return live


def console_actor(request: Request, platform: Platform) -> Actor | None:
    """The signed-in account of a console page, or ``None`` for a visitor (no cookie, or
    one whose session has ended). Sets ``request.state.csrf_token`` either way: the
    session's token, or the visitor's double-submit token.
    """
    try:
        live = resolve_cookie(request, platform)
    except SessionExpired:
        live = None
    if live is None:
        request.state.csrf_token = visitor_csrf_token(request)
        return None
    return live.actor


def visitor_csrf_token(request: Request) -> str:
    """The visitor's CSRF token: the one :class:`VisitorCsrfCookie` set or found."""
    state: str = request.scope.get("state", {}).get("visitor_csrf", "")
    return state or request.cookies.get(VISITOR_CSRF_COOKIE, "")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of the request: its session's when it has a
    live session cookie (resolve it first), else the visitor's double-submit cookie.
    """
    live: LiveSession | None = getattr(request.state, "login_session", None)
    expected = live.csrf_token if live is not None else request.cookies.get(VISITOR_CSRF_COOKIE)
    return bool(submitted and expected) and secrets.compare_digest(str(expected), str(submitted))


def check_csrf(request: Request, submitted: str | None = None) -> None:
    """Refuse (:class:`CsrfRefused`, 403) an unsafe request whose CSRF token is missing or
    wrong. ``submitted`` is a form's ``csrf_token`` field; the ``X-CSRF-Token`` header is
    taken when it is not given. Safe methods (GET, HEAD, OPTIONS) always pass.
    """
    if request.method not in UNSAFE_METHODS:
        return
    token = submitted if submitted else request.headers.get(CSRF_HEADER)
    if not csrf_ok(request, token):
        raise CsrfRefused(CSRF_MISSING)


def sign_in(
    request: Request, response: Response, platform: Platform, *, username: str, password: str
) -> StartedSession:
    """Check a login and password, start a session and set its cookie on ``response``.

    The attempt (failed or not) is committed and audited before a failure is raised, so
    the lockout counts it.

    Raises:
        SignInFailed: The one refusal of every failure (401 ``sign_in_failed``).
    """
    with transaction(platform.sessions) as session:
        outcome = attempt_sign_in(
            session,
            username=username,
            password=password,
            lifetime=lifetime_of(platform.settings),
            lockout=lockout_of(platform.settings),
            client=client_address(request),
        )
    started = outcome.session_or_raise()
    set_session_cookie(response, request, started.secret)
    return started


def sign_out(request: Request, response: Response, platform: Platform) -> None:
    """End the request's session (if its cookie names a live one), audited, and drop the
    cookie on ``response``.
    """
    secret = request.cookies.get(SESSION_COOKIE)
    live: LiveSession | None = getattr(request.state, "login_session", None)
    if secret and live is not None:
        with transaction(platform.sessions) as session:
            end_and_audit(session, live.actor, secret)
    clear_session_cookie(response, request)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    """Put a new session's secret in its cookie (a browser-session cookie: the server's
    idle and absolute expiry end it; closing the browser drops it).
    """
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"


def clear_session_cookie(response: Response, request: Request) -> None:
    """Tell the browser to drop the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, secure=_secure(request), samesite="lax", path="/"
    )
    response.headers["Cache-Control"] = "no-store"


class VisitorCsrfCookie:
    """ASGI middleware: every console page (``/console...``) request gets a visitor CSRF
    token, from its ``sandbox_csrf`` cookie or a new one set on the response, available as
    :func:`visitor_csrf_token` (the double-submit token of sign-in and registration).
    """

    def __init__(self, app: ASGIApp, prefix: str = "/console") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, with the visitor's token in its state (and cookie)."""
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        existing = _cookie(scope, VISITOR_CSRF_COOKIE)
        token = existing if existing and len(existing) >= 32 else secrets.token_urlsafe(32)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["visitor_csrf"] = token
        if token == existing:
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{VISITOR_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
                if secure:
                    cookie += "; Secure"
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header: treat as absent
                return None
            morsel = jar.get(name)
            return morsel.value if morsel is not None else None
    return None
