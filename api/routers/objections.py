"""Objections to errors or omissions in a dataset, and the provider's answer."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.objections import ObjectionAnswer, ObjectionCreate, ObjectionPublic
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import objections

router = APIRouter(prefix="/objections", tags=["objections"])


@router.post("", response_model=ObjectionPublic, status_code=201, responses=error_responses(404))
def submit(
    body: ObjectionCreate, platform: PlatformDep, session: WriteSession, actor: ActorDep
) -> ObjectionPublic:
    """Object to an error or omission in a dataset (any account); the provider answers
    within 10 working days.
    """
    return ObjectionPublic.model_validate(
        objections.submit(
            session,
            actor,
            platform.calendar,
            dataset=body.dataset,
            kind=body.kind,
            description=body.description,
        )
    )


@router.get("", response_model=list[ObjectionPublic], responses=error_responses(404))
def list_objections(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    dataset: str | None = None,
) -> list[ObjectionPublic]:
    """The objections you may see: yours, those about your organisation's data, or all."""
    found = objections.list_objections(
        session, actor, platform.calendar, status=status, dataset=dataset
    )
    return [ObjectionPublic.model_validate(o) for o in found]


@router.get("/{objection_id}", response_model=ObjectionPublic)
def get_objection(
    objection_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> ObjectionPublic:
    """One objection with its answer stage and time left."""
    return ObjectionPublic.model_validate(
        objections.get_objection(session, actor, platform.calendar, objection_id)
    )


@router.post(
    "/{objection_id}/answer", response_model=ObjectionPublic, responses=error_responses(409)
)
def answer(
    objection_id: Id,
    body: ObjectionAnswer,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ObjectionPublic:
    """Answer an objection (a provider of the dataset's organisation): ``rejected``, or
    ``corrected`` naming the new version that holds the correction (an objection to the open
    attribute: the attribute change filed since).
    """
    return ObjectionPublic.model_validate(
        objections.answer(
            session,
            actor,
            platform.calendar,
            objection_id,
            outcome=body.outcome,
            text=body.answer,
            corrected_version=body.version,
            attribute_change=body.attribute_change,
        )
    )
