"""Suspending a dataset at once, resolving the suspension, and the leak trace."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.suspensions import (
    SuspensionCreate,
    SuspensionPublic,
    SuspensionResolve,
    TracePublic,
)
from api.types import Version
from sandbox.identity.model import Actor, Role
from sandbox.oversight import suspensions, trace

router = APIRouter(prefix="/datasets", tags=["suspensions"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.post(
    "/{name}/suspend",
    response_model=SuspensionPublic,
    status_code=201,
    responses=error_responses(409),
)
def suspend(
    name: str, body: SuspensionCreate, session: WriteSession, actor: ProviderDep
) -> SuspensionPublic:
    """Suspend a dataset at once (a provider of its organisation): no grant covers it and
    it is neither downloaded, queried nor previewed until it is restored.
    """
    return SuspensionPublic.model_validate(
        suspensions.suspend(
            session, actor, name, reason=body.reason, complaint_id=body.complaint_id
        )
    )


@router.post(
    "/{name}/suspension/resolve", response_model=SuspensionPublic, responses=error_responses(409)
)
def resolve(
    name: str, body: SuspensionResolve, platform: PlatformDep, actor: ProviderDep
) -> SuspensionPublic:
    """Resolve the suspension (a provider of the dataset's organisation): ``restore``,
    ``reprocess`` (a new desensitised version from ``upload_id``, recorded with its
    ``method``) or ``end`` (the dataset is withdrawn for good).
    """
    return SuspensionPublic.model_validate(
        suspensions.resolve_dataset(
            platform,
            actor,
            name,
            step=body.outcome,
            note=body.note,
            reprocessing=body.reprocessing(),
        )
    )


@router.get("/{name}/suspensions", response_model=list[SuspensionPublic])
def history(name: str, session: ReadSession, _actor: ActorDep) -> list[SuspensionPublic]:
    """A dataset's suspensions, newest first (anyone)."""
    return [SuspensionPublic.model_validate(s) for s in suspensions.history(session, name)]


@router.get("/{name}/trace", response_model=TracePublic)
def leak_trace(
    name: str,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER, Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)],
    version: Version | None = None,
) -> TracePublic:
    """Every job, result, release, download, query, preview and charge that touched the
    dataset (version), in order (its provider and oversight; the read is audited).
    """
    return TracePublic.model_validate(trace.trace(session, actor, name, version=version))
