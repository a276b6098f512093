"""Attribute-change requests: the authority's queue and decisions."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.attribute_changes import AttributeChangePublic, AttributeDecision
from api.types import Id
from sandbox.catalog import changes
from sandbox.catalog.model import ChangeStatus
from sandbox.catalog.parsing import parse_enum
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/attribute-changes", tags=["attribute-changes"])


@router.get("", response_model=list[AttributeChangePublic], responses=error_responses(404))
def list_changes(
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    dataset: str | None = None,
) -> list[AttributeChangePublic]:
    """Change requests (authority, auditor, admin, and providers for their own datasets)."""
    wanted = parse_enum(ChangeStatus, status, "status") if status else None
    found = changes.list_changes(session, status=wanted, dataset=dataset)
    if actor.role in (Role.AUTHORITY, Role.AUDITOR, Role.ADMIN):
        return [AttributeChangePublic.model_validate(c) for c in found]
    if actor.role is Role.PROVIDER:
        return [
            AttributeChangePublic.model_validate(c)
            for c in found
            if c.requested_by == actor.username
        ]
    raise PermissionDenied("attribute changes are read by the authority, auditors and providers")


@router.post(
    "/{change_id}/decision", response_model=AttributeChangePublic, responses=error_responses(409)
)
def decide(
    change_id: Id,
    body: AttributeDecision,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> AttributeChangePublic:
    """Approve or reject a change request (authority)."""
    return AttributeChangePublic.model_validate(
        changes.decide_change(session, actor, change_id, approve=body.approve, note=body.note)
    )
