"""Changes of law and the catalog updates they call for within 15 working days (Chengdu
art. 14).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.law_changes import (
    LawChangeCreate,
    LawChangePublic,
    LawChangeTaskPublic,
    TaskClose,
)
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import law_changes

router = APIRouter(tags=["law-changes"])


@router.post(
    "/law-changes", response_model=LawChangePublic, status_code=201, responses=error_responses(404)
)
def record(
    body: LawChangeCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> LawChangePublic:
    """Record a revised law or a changed function (the authority): each affected dataset
    gets a task due 15 working days after the day of the change.
    """
    return LawChangePublic.model_validate(
        law_changes.record_change(
            session,
            actor,
            platform.calendar,
            kind=body.kind,
            citation=body.citation,
            changed_on=body.changed_on,
            summary=body.summary,
            datasets=body.datasets,
            organisations=body.organisations,
        )
    )


@router.get("/law-changes", response_model=list[LawChangePublic])
def list_changes(
    platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> list[LawChangePublic]:
    """Every recorded change, newest first, with the tasks you see."""
    return [
        LawChangePublic.model_validate(c)
        for c in law_changes.list_changes(session, actor, platform.calendar)
    ]


@router.get("/law-changes/{change_id}", response_model=LawChangePublic)
def get_change(
    change_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> LawChangePublic:
    """One recorded change with the tasks you see."""
    return LawChangePublic.model_validate(
        law_changes.get_change(session, actor, platform.calendar, change_id)
    )


@router.get(
    "/law-change-tasks", response_model=list[LawChangeTaskPublic], responses=error_responses(404)
)
def list_tasks(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    dataset: str | None = None,
    overdue: bool = False,
) -> list[LawChangeTaskPublic]:
    """Your organisation's catalog tasks after changes of law (oversight: all);
    ``overdue=true`` keeps the open ones past their day.
    """
    found = law_changes.list_tasks(
        session, actor, platform.calendar, status=status, dataset=dataset, overdue=overdue
    )
    return [LawChangeTaskPublic.model_validate(t) for t in found]


@router.post(
    "/law-change-tasks/{task_id}/close",
    response_model=LawChangeTaskPublic,
    responses=error_responses(404, 409),
)
def close(
    task_id: Id,
    body: TaskClose,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER, Role.AUTHORITY)],
) -> LawChangeTaskPublic:
    """Close a task with the catalog change it led to (``attribute_change``,
    ``policy_change``, ``new_version``) or ``no_change`` and the reason.
    """
    return LawChangeTaskPublic.model_validate(
        law_changes.close_task(
            session,
            actor,
            platform.calendar,
            task_id,
            resolution=body.resolution,
            reference=body.reference,
            reason=body.reason,
        )
    )
