"""Sign-in sessions of browsers: sign in, who am I, sign out (:mod:`api.session_auth`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from api import session_auth
from api.deps import ActorDep, PlatformDep, ReadSession
from api.errors import error_responses
from api.schemas.sessions import CurrentSession, SignIn
from api.schemas.users import UserPublic
from sandbox.access.rules import eligibility_failures
from sandbox.errors import NotFound
from sandbox.identity import service
from sandbox.identity.model import Role, User

router = APIRouter(prefix="/sessions", tags=["sessions"])


def describe(
    user: User,
    *,
    csrf_token: str | None,
    expires_at: datetime | None = None,
    idle_expires_at: datetime | None = None,
) -> CurrentSession:
    """The who-am-I answer for ``user``: roles, eligibility and what applying still needs."""
    if user.role is Role.USER:
        missing = eligibility_failures({r.fact.value: r.value for r in user.eligibility})
    else:
        missing = ["only a user account may apply for conditional data"]
    return CurrentSession(
        user=UserPublic.model_validate(user),
        display_name=user.display_name,
        roles=[user.role],
        authenticated_by="token" if csrf_token is None else "session",
        csrf_token=csrf_token,
        expires_at=expires_at,
        idle_expires_at=idle_expires_at,
        may_apply=not missing,
        eligibility_missing=missing,
    )


@router.post("", response_model=CurrentSession, status_code=201, responses=error_responses(401))
def sign_in(
    body: SignIn, request: Request, response: Response, platform: PlatformDep
) -> CurrentSession:
    """Sign in with a login and password: sets the HTTP-only session cookie and answers
    the session's CSRF token. Every failure is the same 401 ``sign_in_failed`` (it never
    tells whether the login exists); repeated failures lock the account for a while.
    """
    started = session_auth.sign_in(
        request, response, platform, username=body.username, password=body.password
    )
    with platform.sessions() as session:
        user = service.get_user(session, started.user_id)
    return describe(
        user,
        csrf_token=started.csrf_token,
        expires_at=started.expires_at,
        idle_expires_at=started.idle_expires_at,
    )


@router.get("/current", response_model=CurrentSession, responses=error_responses(404))
def current(request: Request, session: ReadSession, actor: ActorDep) -> CurrentSession:
    """Who the caller is: account, roles, eligibility, and the session's CSRF token and
    expiry when it signed in (a bearer token has none).
    """
    if actor.user_id is None:
        raise NotFound("the local operator has no account")
    user = service.get_user(session, actor.user_id)
    live = getattr(request.state, "login_session", None)
    if live is None:
        return describe(user, csrf_token=None)
    return describe(
        user,
        csrf_token=live.csrf_token,
        expires_at=live.expires_at,
        idle_expires_at=live.idle_expires_at,
    )


@router.delete("/current", status_code=204)
def sign_out(request: Request, response: Response, platform: PlatformDep, _actor: ActorDep) -> None:
    """Sign out: the session ends on the server and its cookie is dropped (CSRF token
    required, as for every unsafe request of a session). With a bearer token there is no
    session to end (revoke the token instead); the answer is the same.
    """
    session_auth.sign_out(request, response, platform)
