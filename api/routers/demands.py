"""Requests for data not yet open: filing, form review, the provider's answer, opening."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.demands import (
    DemandAnswer,
    DemandCreate,
    DemandFormReview,
    DemandOpened,
    DemandPublic,
)
from api.schemas.rereview import ReReviewAnswerBody, ReReviewRequest
from api.types import Id
from sandbox._parse import parse_enum
from sandbox.access import demands, rereview
from sandbox.access.model import DemandStatus
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/demands", tags=["demands"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.post("", response_model=DemandPublic, status_code=201)
def submit(
    body: DemandCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> DemandPublic:
    """Ask for data not yet open (a user)."""
    return DemandPublic.model_validate(
        demands.submit_demand(
            session,
            actor,
            platform.calendar,
            description=body.description,
            dataset_name=body.dataset,
            provider_org_id=body.provider_org_id,
        )
    )


@router.get("", response_model=list[DemandPublic])
def list_demands(
    platform: PlatformDep, session: ReadSession, actor: ActorDep, status: str | None = None
) -> list[DemandPublic]:
    """The requests you may see: your own, those passed to your organisation, or all."""
    wanted = parse_enum(DemandStatus, status, "status") if status else None
    found = demands.list_demands(session, actor, platform.calendar, status=wanted)
    return [DemandPublic.model_validate(d) for d in found]


@router.get("/{demand_id}", response_model=DemandPublic)
def get_demand(
    demand_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> DemandPublic:
    """One request with its stages, deadlines and time left."""
    return DemandPublic.model_validate(
        demands.get_demand(session, actor, platform.calendar, demand_id)
    )


@router.post(
    "/{demand_id}/form-review", response_model=DemandPublic, responses=error_responses(409)
)
def form_review(
    demand_id: Id,
    body: DemandFormReview,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> DemandPublic:
    """Pass the request to a provider organisation, or return it with the reason
    (authority).
    """
    return DemandPublic.model_validate(
        demands.form_review(
            session,
            actor,
            platform.calendar,
            demand_id,
            passed=body.outcome == "pass",
            reason=body.reason,
            provider_org_id=body.provider_org_id,
        )
    )


@router.post("/{demand_id}/answer", response_model=DemandPublic, responses=error_responses(409))
def answer(
    demand_id: Id,
    body: DemandAnswer,
    platform: PlatformDep,
    session: WriteSession,
    actor: ProviderDep,
) -> DemandPublic:
    """Agree to open the data, or refuse with the reason (the provider it was passed to)."""
    return DemandPublic.model_validate(
        demands.answer(
            session,
            actor,
            platform.calendar,
            demand_id,
            agree=body.outcome == "agree",
            reason=body.reason,
            legal_basis=body.legal_basis,
        )
    )


@router.post("/{demand_id}/opened", response_model=DemandPublic, responses=error_responses(409))
def opened(
    demand_id: Id,
    body: DemandOpened,
    platform: PlatformDep,
    session: WriteSession,
    actor: ProviderDep,
) -> DemandPublic:
    """Record that the data is open, linking its catalog dataset (the provider)."""
    return DemandPublic.model_validate(
        demands.mark_opened(session, actor, platform.calendar, demand_id, dataset=body.dataset)
    )


@router.post("/{demand_id}/re-review", response_model=DemandPublic, responses=error_responses(409))
def request_rereview(
    demand_id: Id,
    body: ReReviewRequest,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> DemandPublic:
    """Dispute the provider's refusal: the authority re-reviews it within 15 working days
    (the requester, once; Chengdu art. 34).
    """
    return DemandPublic.model_validate(
        rereview.request_demand_rereview(
            session, actor, platform.calendar, demand_id, reason=body.reason
        )
    )


@router.post(
    "/{demand_id}/re-review/answer", response_model=DemandPublic, responses=error_responses(409)
)
def answer_rereview(
    demand_id: Id,
    body: ReReviewAnswerBody,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> DemandPublic:
    """Uphold the refusal (final) or overturn it: the provider opens the data within 20
    working days (authority).
    """
    answer = rereview.ReReviewAnswer(body.outcome == "uphold", body.opinion)
    return DemandPublic.model_validate(
        rereview.answer_demand_rereview(session, actor, platform.calendar, demand_id, answer)
    )
