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

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sandbox.errors import AuthenticationRequired, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.identity.tokens import authenticate
from sandbox.platform import Platform
from sandbox.store.db import transaction

_bearer = HTTPBearer(auto_error=False, description="A sandbox API token (sbx_...)")


def get_platform(request: Request) -> Platform:
    """The platform opened by the app's lifespan."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def read_session(platform: PlatformDep) -> Iterator[Session]:
    """A session for a handler that only reads; closed when the handler returns."""
    with platform.sessions() as session:
        yield session


def write_session(platform: PlatformDep) -> Iterator[Session]:
    """The request's transaction: committed on success, rolled back on any error."""
    with transaction(platform.sessions) as session:
        yield session


def stream_session(platform: PlatformDep) -> Iterator[Session]:
    """A read session that lives until a streamed response body has been sent."""
    with platform.sessions() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
StreamSession = Annotated[Session, Depends(stream_session, scope="request")]


def current_actor(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Resolve the bearer token; every endpoint but ``/v1/health`` needs one.

    The token is read in a short session of its own, closed before the handler's session
    opens: on SQLite each transaction holds the write lock, so two in one request would
    wait on each other.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationRequired("this endpoint needs an 'Authorization: Bearer' token")
    with platform.sessions() as session:
        actor = authenticate(session, credentials.credentials)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> Any:
    """A dependency that refuses actors outside ``roles``."""

    def _check(actor: ActorDep) -> Actor:
        if actor.role not in roles:
            allowed = ", ".join(str(r) for r in roles)
            raise PermissionDenied(f"this needs one of the roles: {allowed}")
        return actor

    return Depends(_check)
