"""Applications for conditional data: submission, the authority's form review and the
provider's decision.
"""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.applications import (
    ApplicationCreate,
    ApplicationPublic,
    FormReview,
    ProviderDecision,
)
from api.schemas.rereview import ReReviewAnswerBody, ReReviewRequest
from api.types import Id
from sandbox._parse import parse_enum
from sandbox.access import applications, rereview, resubmission
from sandbox.access.grants import Scope
from sandbox.access.model import ApplicationDraft, ApplicationStatus
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/applications", tags=["applications"])


@router.post("", response_model=ApplicationPublic, status_code=201)
def submit(
    body: ApplicationCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ApplicationPublic:
    """Apply for conditional datasets (an eligible user); refused naming every missing
    field or failed eligibility condition.
    """
    return ApplicationPublic.model_validate(
        applications.submit_application(session, actor, platform.calendar, _draft(body))
    )


def _draft(body: ApplicationCreate) -> ApplicationDraft:
    return ApplicationDraft(
        title=body.title,
        reason=body.reason,
        kind=body.type,
        datasets=tuple(body.datasets or ()),
        period_start=body.period_start,
        period_end=body.period_end,
        results_form=body.results_form,
        scenario=body.scenario,
        security_measures=body.security_measures,
        commitment_signed=body.commitment_signed,
    )


@router.put(
    "/{application_id}",
    response_model=ApplicationPublic,
    responses=error_responses(409),
)
def resubmit(
    application_id: Id,
    body: ApplicationCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ApplicationPublic:
    """Amend a returned application and file it again for form review (its applicant);
    checked as a new one.
    """
    return ApplicationPublic.model_validate(
        resubmission.resubmit_application(
            session, actor, platform.calendar, application_id, _draft(body)
        )
    )


@router.post(
    "/{application_id}/re-review",
    response_model=ApplicationPublic,
    responses=error_responses(409),
)
def request_rereview(
    application_id: Id,
    body: ReReviewRequest,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ApplicationPublic:
    """Ask the authority once to re-review a refusal, within 15 working days (its applicant;
    Chengdu art. 34).
    """
    return ApplicationPublic.model_validate(
        rereview.request_application_rereview(
            session, actor, platform.calendar, application_id, reason=body.reason
        )
    )


@router.post(
    "/{application_id}/re-review/answer",
    response_model=ApplicationPublic,
    responses=error_responses(409),
)
def answer_rereview(
    application_id: Id,
    body: ReReviewAnswerBody,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> ApplicationPublic:
    """Uphold the refusal (final) or overturn it, back to the provider's decision
    (authority).
    """
    answer = rereview.ReReviewAnswer(body.outcome == "uphold", body.opinion)
    return ApplicationPublic.model_validate(
        rereview.answer_application_rereview(
            session, actor, platform.calendar, application_id, answer
        )
    )


@router.get("", response_model=list[ApplicationPublic])
def list_applications(
    platform: PlatformDep, session: ReadSession, actor: ActorDep, status: str | None = None
) -> list[ApplicationPublic]:
    """The applications you may see: your own, your organisation's datasets', or all
    (oversight).
    """
    wanted = parse_enum(ApplicationStatus, status, "status") if status else None
    found = applications.list_applications(session, actor, platform.calendar, status=wanted)
    return [ApplicationPublic.model_validate(a) for a in found]


@router.get("/{application_id}", response_model=ApplicationPublic)
def get_application(
    application_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> ApplicationPublic:
    """One application with its stages, deadlines and time left."""
    return ApplicationPublic.model_validate(
        applications.get_application(session, actor, platform.calendar, application_id)
    )


@router.post(
    "/{application_id}/form-review",
    response_model=ApplicationPublic,
    responses=error_responses(409),
)
def form_review(
    application_id: Id,
    body: FormReview,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> ApplicationPublic:
    """Pass the application to the provider, or return it with the reason (authority)."""
    return ApplicationPublic.model_validate(
        applications.form_review(
            session,
            actor,
            platform.calendar,
            application_id,
            passed=body.outcome == "pass",
            reason=body.reason,
        )
    )


@router.post(
    "/{application_id}/decision", response_model=ApplicationPublic, responses=error_responses(409)
)
def decide(
    application_id: Id,
    body: ProviderDecision,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ApplicationPublic:
    """Approve with a scope (creating a grant) or refuse with reason and legal basis
    (a provider of the datasets' organisation).
    """
    approve = body.outcome == "approve"
    scope = (
        Scope(
            grant_budget=body.grant_budget,
            datasets=tuple(body.datasets),
            job_kinds=tuple(body.job_kinds),
            policy=body.policy,
            period_start=body.period_start,
            period_end=body.period_end,
            report_interval_days=body.report_interval_days,
        )
        if approve
        else None
    )
    return ApplicationPublic.model_validate(
        applications.decide(
            session,
            actor,
            platform.calendar,
            application_id,
            approve=approve,
            scope=scope,
            reason=body.reason,
            legal_basis=body.legal_basis,
        )
    )
