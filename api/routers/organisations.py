"""Organisations: created by an admin, readable by every account."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.organisations import (
    OrganisationCreate,
    OrganisationPublic,
    ProviderAgreementPublic,
    ProviderAgreementSet,
)
from api.types import Id
from sandbox.access.agreement import Agreement
from sandbox.access.provider_agreement import provider_agreement, set_provider_agreement
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


def _agreement_public(organisation_id: int, agreement: Agreement | None) -> ProviderAgreementPublic:
    return ProviderAgreementPublic(
        organisation_id=organisation_id,
        version=agreement.version if agreement else None,
        sha256=agreement.sha256 if agreement else None,
        text=agreement.text if agreement else "",
    )


@router.get("/{organisation_id}/agreement", response_model=ProviderAgreementPublic)
def read_agreement(
    organisation_id: Id, session: ReadSession, _actor: ActorDep
) -> ProviderAgreementPublic:
    """A provider organisation's own data use agreement, accepted with the platform's by
    holders of grants of its datasets (empty when it has none).
    """
    return _agreement_public(organisation_id, provider_agreement(session, organisation_id))


@router.put("/{organisation_id}/agreement", response_model=ProviderAgreementPublic)
def set_agreement(
    organisation_id: Id,
    body: ProviderAgreementSet,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ProviderAgreementPublic:
    """Set your organisation's own agreement (a provider of it); grants not yet accepted
    are then accepted under both texts (Qingdao art. 17).
    """
    agreement = Agreement(version=body.version, text=body.text)
    return _agreement_public(
        organisation_id, set_provider_agreement(session, actor, organisation_id, agreement)
    )


@router.delete("/{organisation_id}/agreement", response_model=ProviderAgreementPublic)
def withdraw_agreement(
    organisation_id: Id,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ProviderAgreementPublic:
    """Withdraw your organisation's own agreement (a provider of it); accepted grants keep
    the text they accepted.
    """
    return _agreement_public(
        organisation_id, set_provider_agreement(session, actor, organisation_id, None)
    )
