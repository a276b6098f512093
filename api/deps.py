"""FastAPI dependencies: the platform handle, the request's database session and the
authenticated actor.

Routers never open a session themselves. A handler that reads takes a :data:`ReadSession`;
one that changes anything takes a :data:`WriteSession`, committed when the handler returns
and rolled back when it raises, so a request is one unit of work and a refusal leaves
nothing behind. Both end before the response is sent (``scope="function"``): the client
never sees a success that was not committed, and the refusal audit of :mod:`api.errors`
runs after the refused transaction has let go of the database. Orchestrations that touch
files or span several transactions take the platform instead (docs/adr/0004).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.rate_limits import client_address, has_credentials, limiter_of
from api.session_auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    check_csrf,
    resolve_cookie,
)
from sandbox.errors import AuthenticationRequired, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.identity.tokens import authenticate
from sandbox.platform import Platform

_bearer = HTTPBearer(auto_error=False, description="A sandbox API token (sbx_...)")


async def get_platform(request: Request) -> Platform:
    """The platform opened by the app's lifespan (no I/O: run in the event loop, as every
    dependency here that touches no database is, because a sync one costs a hop to a
    worker thread and back, which under load is a good part of a small read's time).
    """
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def read_session(platform: PlatformDep) -> AsyncIterator[Session]:
    """A session for a handler that only reads; closed when the handler returns.

    Opening a session does no I/O (it connects at its first statement, in the handler's
    thread), so only the close, which hands the connection back to the pool, goes to a
    worker thread.
    """
    session = platform.sessions()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


async def write_session(platform: PlatformDep) -> AsyncIterator[Session]:
    """The request's transaction: committed on success, rolled back on any error (like
    :func:`sandbox.store.db.transaction`, with the commit or rollback in a worker thread).
    """
    session = platform.sessions()
    session.begin()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(session.close)  # closing rolls the transaction back
        raise
    await run_in_threadpool(_commit_and_close, session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def stream_session(platform: PlatformDep) -> Iterator[Session]:
    """A read session that lives until a streamed response body has been sent."""
    with platform.sessions() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
StreamSession = Annotated[Session, Depends(stream_session, scope="request")]


async def _csrf_form_field(request: Request) -> str | None:
    """The ``csrf_token`` field of a URL-encoded form sent with a session cookie and no
    bearer token, read here because reading a body needs ``await`` (the body is cached,
    so the handler still gets it). Any other request: ``None``, nothing read.
    """
    if (
        request.method not in UNSAFE_METHODS
        or request.headers.get(CSRF_HEADER)
        or request.headers.get("authorization")
        or SESSION_COOKIE not in request.cookies
        or not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        or int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES
    ):
        return None
    fields = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    values = fields.get(CSRF_FIELD)
    return values[0] if values else None


MAX_FORM_BYTES = 1024 * 1024
"""Largest form searched for its CSRF field; a bigger one must send the header."""


def current_actor(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    csrf_field: Annotated[str | None, Depends(_csrf_form_field)],
) -> Actor:
    """Resolve the bearer token, or else the sign-in session cookie; every endpoint but
    the public ones needs one of them.

    A cookie-authenticated request that changes anything must carry the session's CSRF
    token (:func:`api.session_auth.check_csrf`); a bearer token needs none. The token or
    session is read in a short session of its own, closed before the handler's session
    opens: on SQLite each transaction holds the write lock, so two in one request would
    wait on each other.
    """
    limits = limiter_of(request)
    try:
        actor = _authenticated(request, platform, credentials)
    except AuthenticationRequired:
        if limits is not None and has_credentials(request.scope):
            # Guessed tokens draw from the address's bucket (a request with none already
            # drew from it in the middleware).
            limits.check_address(client_address(request.scope))
        raise
    if limits is not None and actor.user_id is not None:
        limits.check_user(actor.user_id)
    request.state.actor = actor
    if not (credentials is not None and credentials.scheme.lower() == "bearer"):
        check_csrf(request, csrf_field)  # a cookie-authenticated request
    return actor


def _authenticated(
    request: Request, platform: Platform, credentials: HTTPAuthorizationCredentials | None
) -> Actor:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        with platform.sessions() as session:
            return authenticate(session, credentials.credentials)
    live = resolve_cookie(request, platform)
    if live is None:
        raise AuthenticationRequired(
            "this endpoint needs an 'Authorization: Bearer' token or a sign-in session"
        )
    return live.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> Any:
    """A dependency that refuses actors outside ``roles``."""

    async def _check(actor: ActorDep) -> Actor:  # no I/O: stays in the event loop
        if actor.role not in roles:
            allowed = ", ".join(str(r) for r in roles)
            raise PermissionDenied(f"this needs one of the roles: {allowed}")
        return actor

    return Depends(_check)
