"""Who is looking at a console page: a signed-in account, or a visitor who is not.

The console checks roles as the API does, with the same domain errors: a page that needs a
role raises :class:`AuthenticationRequired` for a visitor and :class:`PermissionDenied` for
another role, and :mod:`api.console.routing` renders them as pages (a refusal audited as
the API's are). Public pages (the catalog) are read as :data:`VISITOR`, an actor with no
account: every account-specific domain action refuses it (they need a ``user_id``), and
the reads it makes are audited under its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from api.deps import PlatformDep
from sandbox.errors import AuthenticationRequired, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform

VISITOR = Actor(user_id=None, username="(visitor)", role=Role.USER)
"""The actor of a page read without signing in (never an account: no ``user_id``)."""

SessionResolver = Callable[[Request, Platform], Actor | None]


def _no_sessions(_request: Request, _platform: Platform) -> Actor | None:
    return None


_resolver: list[SessionResolver] = [_no_sessions]


def use_session_resolver(resolver: SessionResolver) -> None:
    """Set how a request's session cookie becomes an actor (the sign-in module's job)."""
    _resolver[0] = resolver


@dataclass(frozen=True)
class Viewer:
    """The person a page is rendered for."""

    account: Actor | None
    """The signed-in account, or ``None`` for a visitor."""

    @property
    def signed_in(self) -> bool:
        """Whether an account is signed in."""
        return self.account is not None

    @property
    def actor(self) -> Actor:
        """The actor the page's domain calls run as."""
        return self.account if self.account is not None else VISITOR

    @property
    def role(self) -> Role | None:
        """The account's role; ``None`` for a visitor."""
        return self.account.role if self.account is not None else None


def current_viewer(request: Request, platform: PlatformDep) -> Viewer:
    """The page's viewer, from the session cookie; kept on ``request.state`` for the
    refusal audit and the layout.
    """
    account = _resolver[0](request, platform)
    if account is not None:
        request.state.actor = account
    viewer = Viewer(account)
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def require_console_roles(*roles: Role) -> Any:
    """A dependency for a page that needs a signed-in account, of ``roles`` if any are
    named (the same roles as the API route it mirrors).
    """

    def _check(viewer: ViewerDep) -> Viewer:
        if viewer.account is None:
            raise AuthenticationRequired("this page needs you to sign in")
        if roles and viewer.account.role not in roles:
            allowed = ", ".join(str(r) for r in roles)
            raise PermissionDenied(f"this page needs one of the roles: {allowed}")
        return viewer

    return Depends(_check)


SignedInDep = Annotated[Viewer, require_console_roles()]
"""Any signed-in account."""
