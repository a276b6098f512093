"""FastAPI dependencies: the platform handle and the authenticated actor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.errors import AuthenticationRequired, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.identity.tokens import authenticate
from sandbox.platform import Platform

_bearer = HTTPBearer(auto_error=False, description="A sandbox API token (sbx_...)")


def get_platform(request: Request) -> Platform:
    """The platform opened by the app's lifespan."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def current_actor(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Resolve the bearer token; every endpoint but ``/v1/health`` needs one."""
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
