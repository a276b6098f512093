"""Opening plans: each provider organisation's open responsibility list for a year (Xi'an
art. 20-21; Lianyungang art. 11-12), drafted, submitted, published by the authority;
published plans are public.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.opening_plan import (
    OpeningPlanPublic,
    PlanDecision,
    PlanEntryCreate,
    PlanEntryRemove,
)
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import opening_plan

router = APIRouter(tags=["opening-plans"])

YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]


@router.post(
    "/opening-plans/entries",
    response_model=OpeningPlanPublic,
    status_code=201,
    responses=error_responses(404, 409),
)
def add_entry(
    body: PlanEntryCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER, Role.AUTHORITY)],
) -> OpeningPlanPublic:
    """Add a dataset to an organisation's plan for a year (a provider of it, while the plan
    is a draft; the authority, at any time); the plan is made on its first entry.
    """
    return OpeningPlanPublic.model_validate(
        opening_plan.add_entry(
            session,
            actor,
            platform.calendar,
            organisation_id=body.organisation_id,
            year=body.year,
            dataset=body.dataset,
            title=body.title,
            open_attribute=body.open_attribute,
            due_on=body.due_on,
        )
    )


@router.post(
    "/opening-plans/{plan_id}/entries/{entry_id}/remove",
    response_model=OpeningPlanPublic,
    responses=error_responses(404, 409),
)
def remove_entry(
    plan_id: Id,
    entry_id: Id,
    body: PlanEntryRemove,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER, Role.AUTHORITY)],
) -> OpeningPlanPublic:
    """Take an entry out of a plan (a published plan: the authority, with its reason)."""
    return OpeningPlanPublic.model_validate(
        opening_plan.remove_entry(
            session, actor, platform.calendar, plan_id, entry_id, reason=body.reason
        )
    )


@router.post(
    "/opening-plans/{plan_id}/submit",
    response_model=OpeningPlanPublic,
    responses=error_responses(404, 409),
)
def submit(
    plan_id: Id,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> OpeningPlanPublic:
    """Submit your organisation's draft plan for the authority's review."""
    return OpeningPlanPublic.model_validate(
        opening_plan.submit_plan(session, actor, platform.calendar, plan_id)
    )


@router.post(
    "/opening-plans/{plan_id}/decision",
    response_model=OpeningPlanPublic,
    responses=error_responses(404, 409),
)
def decide(
    plan_id: Id,
    body: PlanDecision,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> OpeningPlanPublic:
    """Publish a plan, or return a submitted one to draft with the note (the authority)."""
    return OpeningPlanPublic.model_validate(
        opening_plan.decide_plan(
            session,
            actor,
            platform.calendar,
            plan_id,
            approve=body.outcome == "publish",
            note=body.note,
        )
    )


@router.get(
    "/opening-plans", response_model=list[OpeningPlanPublic], responses=error_responses(404)
)
def list_plans(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    year: YearQuery = None,
    organisation_id: Id | None = None,
    status: str | None = None,
) -> list[OpeningPlanPublic]:
    """The plans you see: published ones, and your organisation's drafts (oversight: all)."""
    found = opening_plan.list_plans(
        session,
        actor,
        platform.calendar,
        year=year,
        organisation_id=organisation_id,
        status=status,
    )
    return [OpeningPlanPublic.model_validate(p) for p in found]


@router.get("/opening-plans/{plan_id}", response_model=OpeningPlanPublic)
def get_plan(
    plan_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> OpeningPlanPublic:
    """One plan with each entry's progress."""
    return OpeningPlanPublic.model_validate(
        opening_plan.get_plan(session, actor, platform.calendar, plan_id)
    )


@router.get("/public/opening-plans", response_model=list[OpeningPlanPublic])
def public_plans(
    platform: PlatformDep,
    session: ReadSession,
    year: YearQuery = None,
    organisation_id: Id | None = None,
) -> list[OpeningPlanPublic]:
    """The published plans, for everyone (no token needed): the rules publish the list."""
    found = opening_plan.list_plans(
        session,
        None,
        platform.calendar,
        year=year,
        organisation_id=organisation_id,
        status="published",
    )
    return [OpeningPlanPublic.model_validate(p) for p in found]
