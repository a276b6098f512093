"""Enforcement on a user that fails its security duties: rectification, then termination."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import WriteSession, require_roles
from api.errors import error_responses
from api.schemas.enforcement import EnforcementPublic, EnforcementRequest
from sandbox.identity.model import Actor, Role
from sandbox.oversight import enforcement

router = APIRouter(prefix="/enforcement", tags=["enforcement"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.post(
    "/rectification", response_model=EnforcementPublic, responses=error_responses(404, 409)
)
def rectification(
    body: EnforcementRequest, session: WriteSession, actor: ProviderDep
) -> EnforcementPublic:
    """Ask a user to rectify: every active grant it holds on your organisation's data is
    suspended, with the reason.
    """
    done = enforcement.request_rectification(
        session, actor, user_id=body.user_id, reason=body.reason
    )
    return EnforcementPublic.model_validate(
        {"user_id": body.user_id, "step": "rectification", "grants": done}
    )


@router.post("/termination", response_model=EnforcementPublic, responses=error_responses(404, 409))
def termination(
    body: EnforcementRequest, session: WriteSession, actor: ProviderDep
) -> EnforcementPublic:
    """Terminate a user that did not rectify: its suspended grants on your organisation's
    data are revoked.
    """
    done = enforcement.terminate(session, actor, user_id=body.user_id, reason=body.reason)
    return EnforcementPublic.model_validate(
        {"user_id": body.user_id, "step": "termination", "grants": done}
    )
