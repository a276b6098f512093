"""Organisations: created by an admin, readable by every account."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.organisations import OrganisationCreate, OrganisationPublic
from sandbox.identity import service
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.post("", response_model=OrganisationPublic, status_code=201, responses=error_responses(409))
def create_organisation(
    body: OrganisationCreate,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.ADMIN)],
) -> OrganisationPublic:
    """Create an organisation (admin)."""
    return OrganisationPublic.model_validate(
        service.create_organisation(session, actor, name=body.name, kind=body.kind)
    )


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(session: ReadSession, _actor: ActorDep) -> list[OrganisationPublic]:
    """Every organisation."""
    return [OrganisationPublic.model_validate(o) for o in service.list_organisations(session)]
