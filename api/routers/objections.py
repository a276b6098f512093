"""Objections to errors or omissions in a dataset, and the provider's answer."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, require_roles
from api.schemas_access import PathId
from api.schemas_oversight import ObjectionAnswer, ObjectionCreate, ObjectionPublic
from sandbox.identity.model import Actor, Role
from sandbox.oversight import objections
from sandbox.store.db import transaction

router = APIRouter(prefix="/objections", tags=["objections"])


@router.post("", response_model=ObjectionPublic, status_code=201)
def submit(body: ObjectionCreate, platform: PlatformDep, actor: ActorDep) -> ObjectionPublic:
    """Object to an error or omission in a dataset (any account); the provider answers
    within 10 working days.
    """
    with transaction(platform.sessions) as session:
        return ObjectionPublic.of(objections.submit(
            session, actor, platform.calendar, dataset=body.dataset, kind=body.kind,
            description=body.description))


@router.get("", response_model=list[ObjectionPublic])
def list_objections(platform: PlatformDep, actor: ActorDep, status: str | None = None,
                    dataset: str | None = None) -> list[ObjectionPublic]:
    """The objections you may see: yours, those about your organisation's data, or all."""
    with platform.sessions() as session:
        found = objections.list_objections(session, actor, platform.calendar, status=status,
                                           dataset=dataset)
    return [ObjectionPublic.of(o) for o in found]


@router.get("/{objection_id}", response_model=ObjectionPublic)
def get_objection(objection_id: PathId, platform: PlatformDep,
                  actor: ActorDep) -> ObjectionPublic:
    """One objection with its answer stage and time left."""
    with platform.sessions() as session:
        return ObjectionPublic.of(objections.get_objection(session, actor, platform.calendar,
                                                           objection_id))


@router.post("/{objection_id}/answer", response_model=ObjectionPublic)
def answer(
    objection_id: PathId,
    body: ObjectionAnswer,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ObjectionPublic:
    """Answer an objection (a provider of the dataset's organisation): ``corrected``, with
    the new version that holds the correction where there is one, or ``rejected``.
    """
    with transaction(platform.sessions) as session:
        return ObjectionPublic.of(objections.answer(
            session, actor, platform.calendar, objection_id, outcome=body.outcome,
            text=body.answer, corrected_version=body.version))
