"""The caller of an endpoint open to everyone: an account when the request carries
credentials, else nobody (a visitor).

A request with credentials is resolved exactly as :func:`api.deps.current_actor` resolves
it (a wrong token is a 401, not a visitor; a signed-in browser's unsafe request needs its
CSRF header), except that a session cookie which no longer signs anyone in leaves a
visitor; a request without any draws from its address's rate-limit bucket in the
middleware, as every credential-less request does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import PlatformDep, current_actor
from api.rate_limits import has_credentials
from sandbox.errors import AuthenticationRequired
from sandbox.identity.model import Actor

_optional_bearer = HTTPBearer(
    auto_error=False, description="A sandbox API token (sbx_...), optional here"
)


def optional_actor(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Actor | None:
    """The signed-in caller, or ``None`` for a request without credentials (or with only a
    session cookie that no longer signs anyone in: a visitor whose session ended).
    """
    if not has_credentials(request.scope):
        return None
    if credentials is None and "authorization" not in request.headers:
        try:
            return current_actor(request, platform, credentials, None)
        except AuthenticationRequired:
            return None
    return current_actor(request, platform, credentials, None)


MaybeActor = Annotated[Actor | None, Depends(optional_actor)]
"""The caller of a public endpoint (``None``: a visitor)."""
