"""Self-registration: a visitor opens a user account (``sandbox.identity.registration``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import PlatformDep, WriteSession
from api.errors import error_responses
from api.schemas.sessions import Register, Registered
from api.session_auth import client_address, policy_of
from sandbox.identity.registration import RegistrationForm, register

router = APIRouter(prefix="/accounts", tags=["accounts"])


@router.post("", response_model=Registered, status_code=202, responses=error_responses(422))
def register_account(
    body: Register, request: Request, session: WriteSession, platform: PlatformDep
) -> Registered:
    """Register an account (no sign-in needed). It can sign in and browse at once, and may
    apply for conditional data once an admin or the authority records its real-name
    verification and credit standing. The answer is the same whether the login was free or
    taken, so it never tells whether an account exists; a bad field is a 422 naming it.
    """
    form = RegistrationForm(
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        email=body.email,
        organisation=body.organisation,
    )
    done = register(session, form, policy_of(platform.settings), client=client_address(request))
    return Registered(username=done.username, message=done.message)
