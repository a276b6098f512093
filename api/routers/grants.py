"""Grants: reading them, accepting the agreement, and the provider's controls."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, require_roles
from api.schemas_access import (
    AgreementAccept,
    AgreementPublic,
    GrantPublic,
    GrantStatusChange,
    PathId,
)
from sandbox._parse import parse_enum
from sandbox.access import grants
from sandbox.access.model import GrantStatus
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = APIRouter(prefix="/grants", tags=["grants"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.get("", response_model=list[GrantPublic])
def list_grants(
    platform: PlatformDep, actor: ActorDep, status: str | None = None
) -> list[GrantPublic]:
    """The grants you may see; ``status`` is as of now (``expired`` finds lapsed ones)."""
    wanted = parse_enum(GrantStatus, status, "status") if status else None
    with platform.sessions() as session:
        return [GrantPublic.of(g) for g in grants.list_grants(session, actor, status=wanted)]


@router.get("/{grant_id}", response_model=GrantPublic)
def get_grant(grant_id: PathId, platform: PlatformDep, actor: ActorDep) -> GrantPublic:
    """One grant, its status as of now."""
    with platform.sessions() as session:
        return GrantPublic.of(grants.get_grant(session, actor, grant_id))


@router.get("/{grant_id}/agreement", response_model=AgreementPublic)
def agreement(grant_id: PathId, platform: PlatformDep, actor: ActorDep) -> AgreementPublic:
    """The agreement in force, which the grant's holder accepts to activate it."""
    with platform.sessions() as session:
        return AgreementPublic.of(
            grants.agreement_for(session, actor, platform.agreement, grant_id))


@router.post("/{grant_id}/accept", response_model=GrantPublic)
def accept(
    grant_id: PathId,
    body: AgreementAccept,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> GrantPublic:
    """Accept the agreement (the grant's holder): the grant becomes active and its budget
    accounts open.
    """
    with transaction(platform.sessions) as session:
        return GrantPublic.of(grants.accept(
            session, actor, platform.agreement, grant_id, version=body.agreement_version,
            sha256=body.agreement_sha256))


def _change(platform: Platform, actor: Actor, grant_id: int, step: str,
            body: GrantStatusChange) -> GrantPublic:
    with transaction(platform.sessions) as session:
        return GrantPublic.of(grants.change_status(session, actor, grant_id, step,
                                                   reason=body.reason))


@router.post("/{grant_id}/suspend", response_model=GrantPublic)
def suspend(grant_id: PathId, body: GrantStatusChange, platform: PlatformDep,
            actor: ProviderDep) -> GrantPublic:
    """Suspend an active grant, with the reason (a provider of its organisation)."""
    return _change(platform, actor, grant_id, "suspend", body)


@router.post("/{grant_id}/resume", response_model=GrantPublic)
def resume(grant_id: PathId, body: GrantStatusChange, platform: PlatformDep,
           actor: ProviderDep) -> GrantPublic:
    """Resume a suspended grant (a provider of its organisation)."""
    return _change(platform, actor, grant_id, "resume", body)


@router.post("/{grant_id}/revoke", response_model=GrantPublic)
def revoke(grant_id: PathId, body: GrantStatusChange, platform: PlatformDep,
           actor: ProviderDep) -> GrantPublic:
    """Revoke a grant for good, with the reason (a provider of its organisation)."""
    return _change(platform, actor, grant_id, "revoke", body)
