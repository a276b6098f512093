"""Organisations: created by an admin, readable by every account."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, require_roles
from api.schemas import OrganisationCreate, OrganisationPublic
from sandbox.identity import service
from sandbox.identity.model import Actor, Role
from sandbox.store.db import transaction

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.post("", response_model=OrganisationPublic, status_code=201)
def create_organisation(
    body: OrganisationCreate,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.ADMIN)],
) -> OrganisationPublic:
    """Create an organisation (admin)."""
    with transaction(platform.sessions) as session:
        return OrganisationPublic.of(
            service.create_organisation(session, actor, name=body.name, kind=body.kind)
        )


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(platform: PlatformDep, _actor: ActorDep) -> list[OrganisationPublic]:
    """Every organisation."""
    with platform.sessions() as session:
        return [OrganisationPublic.of(o) for o in service.list_organisations(session)]
