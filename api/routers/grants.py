"""Grants: reading them, accepting the agreement, and the provider's controls."""

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.budgets import GrantBudgetPublic
from api.schemas.grants import AgreementAccept, AgreementPublic, GrantPublic, GrantStatusChange
from api.types import Id
from sandbox._parse import parse_enum
from sandbox.access import grants
from sandbox.access.grant_budget import read_grant_budget
from sandbox.access.model import GrantStatus
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/grants", tags=["grants"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.get("", response_model=list[GrantPublic])
def list_grants(
    session: ReadSession, actor: ActorDep, status: str | None = None
) -> list[GrantPublic]:
    """The grants you may see; ``status`` is as of now (``expired`` finds lapsed ones)."""
    wanted = parse_enum(GrantStatus, status, "status") if status else None
    return [
        GrantPublic.model_validate(g) for g in grants.list_grants(session, actor, status=wanted)
    ]


@router.get("/{grant_id}", response_model=GrantPublic)
def get_grant(grant_id: Id, session: ReadSession, actor: ActorDep) -> GrantPublic:
    """One grant, its status as of now."""
    return GrantPublic.model_validate(grants.get_grant(session, actor, grant_id))


@router.get("/{grant_id}/budget", response_model=GrantBudgetPublic)
def budget(grant_id: Id, session: WriteSession, actor: ActorDep) -> GrantBudgetPublic:
    """The grant's budget on each dataset: limit, spent, remaining and each charge (which
    job, which call, what it cost, when); what remains of the dataset's lifetime budget
    only where its policy shows it to holders (``show_lifetime_to_users``), and always to
    the grant's provider and oversight. The holder reads their own grant; anyone else who
    may not see the grant gets 404. The read is audited.
    """
    return GrantBudgetPublic.model_validate(read_grant_budget(session, actor, grant_id))


@router.get("/{grant_id}/agreement", response_model=AgreementPublic)
def agreement(
    grant_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> AgreementPublic:
    """The agreement in force, which the grant's holder accepts to activate it."""
    return AgreementPublic.model_validate(
        grants.agreement_for(session, actor, platform.agreement, grant_id)
    )


@router.post("/{grant_id}/accept", response_model=GrantPublic, responses=error_responses(409))
def accept(
    grant_id: Id,
    body: AgreementAccept,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> GrantPublic:
    """Accept the agreement (the grant's holder): the grant becomes active and its budget
    accounts open.
    """
    return GrantPublic.model_validate(
        grants.accept(
            session,
            actor,
            platform.agreement,
            grant_id,
            version=body.agreement_version,
            sha256=body.agreement_sha256,
        )
    )


def _change(
    session: Session, actor: Actor, grant_id: int, step: str, body: GrantStatusChange
) -> GrantPublic:
    return GrantPublic.model_validate(
        grants.change_status(session, actor, grant_id, step, reason=body.reason)
    )


@router.post("/{grant_id}/suspend", response_model=GrantPublic, responses=error_responses(409))
def suspend(
    grant_id: Id, body: GrantStatusChange, session: WriteSession, actor: ProviderDep
) -> GrantPublic:
    """Suspend an active grant, with the reason (a provider of its organisation)."""
    return _change(session, actor, grant_id, "suspend", body)


@router.post("/{grant_id}/resume", response_model=GrantPublic, responses=error_responses(409))
def resume(
    grant_id: Id, body: GrantStatusChange, session: WriteSession, actor: ProviderDep
) -> GrantPublic:
    """Resume a suspended grant (a provider of its organisation)."""
    return _change(session, actor, grant_id, "resume", body)


@router.post("/{grant_id}/revoke", response_model=GrantPublic, responses=error_responses(409))
def revoke(
    grant_id: Id, body: GrantStatusChange, session: WriteSession, actor: ProviderDep
) -> GrantPublic:
    """Revoke a grant for good, with the reason (a provider of its organisation)."""
    return _change(session, actor, grant_id, "revoke", body)
