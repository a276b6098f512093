"""Accounts: admins create them, the authority records eligibility, everyone sees themself."""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.users import (
    EligibilitySet,
    OwnPasswordChange,
    PasswordChanged,
    PasswordSet,
    UserCreate,
    UserCreated,
    UserPublic,
)
from api.session_auth import lifetime_of, policy_of, set_session_cookie
from api.types import Id
from sandbox.errors import NotFound
from sandbox.identity import passwords, service, tokens
from sandbox.identity.model import Actor, Role
from sandbox.identity.sessions import start_session
from sandbox.store.db import transaction

router = APIRouter(prefix="/users", tags=["users"])

READERS = (Role.ADMIN, Role.AUTHORITY, Role.AUDITOR)


@router.post("", response_model=UserCreated, status_code=201, responses=error_responses(404, 409))
def create_user(
    body: UserCreate,
    session: WriteSession,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.ADMIN)],
) -> UserCreated:
    """Create an account (admin), with a first token whose secret is shown once and, if
    given, an initial sign-in password.
    """
    user = service.create_user(
        session,
        actor,
        username=body.username,
        role=body.role,
        display_name=body.display_name,
        organisation_id=body.organisation_id,
    )
    if body.password is not None:
        passwords.set_password_as_admin(
            session,
            actor,
            policy_of(platform.settings),
            user.id,
            new_password=body.password,
            initial=True,
        )
        user = service.get_user(session, user.id)
    secret = None
    if body.with_token:
        secret = tokens.issue_token(session, actor, user_id=user.id, name="initial").secret
    return UserCreated(user=UserPublic.model_validate(user), token=secret)


@router.get("", response_model=list[UserPublic])
def list_users(
    session: ReadSession, _actor: Annotated[Actor, require_roles(*READERS)]
) -> list[UserPublic]:
    """Every account (admin, authority, auditor)."""
    return [UserPublic.model_validate(u) for u in service.list_users(session)]


@router.get("/me", response_model=UserPublic, responses=error_responses(404))
def me(session: ReadSession, actor: ActorDep) -> UserPublic:
    """The caller's own account."""
    if actor.user_id is None:
        raise NotFound("the local operator has no account")
    return UserPublic.model_validate(service.get_user(session, actor.user_id))


@router.put("/me/password", response_model=PasswordChanged, responses=error_responses(404))
def change_own_password(
    body: OwnPasswordChange,
    request: Request,
    response: Response,
    platform: PlatformDep,
    actor: ActorDep,
) -> PasswordChanged:
    """Set the caller's sign-in password (the current one is needed once one is set).
    Every session of the account ends; a browser that made the change is signed in again
    with a new session cookie, whose CSRF token is in the answer.
    """
    with transaction(platform.sessions) as session:
        ended = passwords.change_own_password(
            session,
            actor,
            policy_of(platform.settings),
            current_password=body.current_password,
            new_password=body.new_password,
        )
        csrf = None
        if getattr(request.state, "login_session", None) is not None and actor.user_id:
            started = start_session(session, actor.user_id, lifetime_of(platform.settings))
            set_session_cookie(response, request, started.secret)
            csrf = started.csrf_token
    return PasswordChanged(sessions_ended=ended, csrf_token=csrf)


@router.put("/{user_id}/password", response_model=PasswordChanged, responses=error_responses(404))
def set_password(
    user_id: Id,
    body: PasswordSet,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.ADMIN)],
) -> PasswordChanged:
    """Set (reset) an account's sign-in password (admin); its sessions all end."""
    with transaction(platform.sessions) as session:
        ended = passwords.set_password_as_admin(
            session, actor, policy_of(platform.settings), user_id, new_password=body.new_password
        )
    return PasswordChanged(sessions_ended=ended, csrf_token=None)


@router.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: Id, session: ReadSession, actor: ActorDep) -> UserPublic:
    """One account: the caller's own, or any for admin, authority and auditor."""
    if actor.user_id != user_id and actor.role not in READERS:
        raise NotFound(f"user {user_id} does not exist")
    return UserPublic.model_validate(service.get_user(session, user_id))


@router.post("/{user_id}/eligibility", response_model=UserPublic)
def set_eligibility(
    user_id: Id,
    body: EligibilitySet,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY, Role.ADMIN)],
) -> UserPublic:
    """Record an eligibility fact (authority or admin); who and when are kept."""
    return UserPublic.model_validate(
        service.set_eligibility(
            session, actor, user_id, fact=body.fact, value=body.value, note=body.note
        )
    )


@router.post("/{user_id}/deactivate", response_model=UserPublic)
def deactivate(
    user_id: Id, session: WriteSession, actor: Annotated[Actor, require_roles(Role.ADMIN)]
) -> UserPublic:
    """Disable an account; its tokens stop working at once (admin)."""
    return UserPublic.model_validate(service.set_active(session, actor, user_id, active=False))
