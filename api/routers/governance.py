"""Catalog governance: grades and their policy levels (Wuxi art. 11-12, Lianyungang art. 8,
Xi'an art. 9), publication review of submitted versions (Qingdao art. 10, 12; Lianyungang
art. 11-12), annual quality assessments and update reminders (Qingdao art. 14; Wuxi
art. 13).
"""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.governance import (
    AssessmentAnswer,
    AssessmentConclusion,
    AssessmentCreate,
    AssessmentPublic,
    DatasetGradePublic,
    GradeDecision,
    GradeLevelPublic,
    GradeLevelSet,
    GradeProposal,
    PublicationDecision,
    ReminderSweep,
    Resubmission,
    UpdateReminderPublic,
    VersionReviewPublic,
)
from api.types import Id, Version
from sandbox._parse import parse_enum
from sandbox.catalog import grades
from sandbox.catalog.model import ReviewStatus
from sandbox.catalog.publication import require_visible
from sandbox.catalog.queries import get_entry
from sandbox.datasets import publication_review
from sandbox.identity.model import Actor, Role
from sandbox.oversight import quality_duties, update_reminders
from sandbox.oversight.quality_duties import AssessmentStatus

router = APIRouter(tags=["governance"])

AuthorityDep = Annotated[Actor, require_roles(Role.AUTHORITY)]
ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]
SweeperDep = Annotated[Actor, require_roles(Role.AUTHORITY, Role.ADMIN)]


# ---- grades --------------------------------------------------------------------------------


@router.get("/grades", response_model=list[GradeLevelPublic])
def grade_levels(session: ReadSession, actor: ActorDep) -> list[GradeLevelPublic]:
    """Each security grade with its policy level: shipped, the authority's tightening, in
    force (a dataset's policy may tighten its grade's level, never loosen it).
    """
    del actor
    return [
        GradeLevelPublic.model_validate(
            {**vars(grades.describe_level(session, g)), "label": g.label}
        )
        for g in grades.Grade
    ]


@router.put(
    "/policies/grades/{grade}",
    response_model=GradeLevelPublic,
    responses=error_responses(422),
)
def set_grade_level(
    grade: str, body: GradeLevelSet, session: WriteSession, actor: AuthorityDep
) -> GradeLevelPublic:
    """Tighten a grade's policy level (authority; a looser document is refused naming each
    rule).
    """
    level = grades.set_grade_level(session, actor, grades.parse_grade(grade), body.document)
    return GradeLevelPublic.model_validate({**vars(level), "label": level.grade.label})


@router.get(
    "/datasets/{name}/grade", response_model=DatasetGradePublic, responses=error_responses(404)
)
def dataset_grade(name: str, session: ReadSession, actor: ActorDep) -> DatasetGradePublic:
    """A dataset's grade: approved, proposed, in force."""
    require_visible(actor, get_entry(session, name))
    return DatasetGradePublic.model_validate(grades.read_grade(session, actor, name))


@router.put(
    "/datasets/{name}/grade",
    response_model=DatasetGradePublic,
    responses=error_responses(404, 409),
)
def propose_grade(
    name: str, body: GradeProposal, session: WriteSession, actor: ProviderDep
) -> DatasetGradePublic:
    """Propose your dataset's grade (provider); the stricter of the approved and the
    proposed grade holds until the authority decides.
    """
    return DatasetGradePublic.model_validate(
        grades.propose_grade(session, actor, name, body.grade, reason=body.reason)
    )


@router.post(
    "/datasets/{name}/grade/decision",
    response_model=DatasetGradePublic,
    responses=error_responses(404, 409),
)
def decide_grade(
    name: str, body: GradeDecision, session: WriteSession, actor: AuthorityDep
) -> DatasetGradePublic:
    """Approve (or set instead, with a note) or reject a dataset's proposed grade
    (authority).
    """
    return DatasetGradePublic.model_validate(
        grades.decide_grade(
            session, actor, name, approve=body.approve, grade=body.grade, note=body.note
        )
    )


@router.get("/grade-proposals", response_model=list[DatasetGradePublic])
def grade_proposals(session: ReadSession, actor: ActorDep) -> list[DatasetGradePublic]:
    """Datasets whose grade waits for the authority (oversight: all; provider: its own)."""
    return [DatasetGradePublic.model_validate(g) for g in grades.pending_grades(session, actor)]


# ---- publication review --------------------------------------------------------------------


@router.get("/publication-reviews", response_model=list[VersionReviewPublic])
def publication_queue(
    platform: PlatformDep, session: ReadSession, actor: ActorDep, status: str = "submitted"
) -> list[VersionReviewPublic]:
    """Submitted versions waiting for the authority, the nearest deadline first (``status``
    ``passed``/``returned``/``all`` for the others); a provider sees its own.
    """
    wanted = None if status == "all" else parse_enum(ReviewStatus, status, "status")
    return [
        VersionReviewPublic.model_validate(r)
        for r in publication_review.review_queue(session, platform.calendar, actor, status=wanted)
    ]


@router.get(
    "/datasets/{name}/versions/{version}/review",
    response_model=VersionReviewPublic,
    responses=error_responses(404),
)
def version_review(
    name: str, version: Version, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> VersionReviewPublic:
    """One version's publication review (its provider and oversight)."""
    return VersionReviewPublic.model_validate(
        publication_review.version_review(session, platform.calendar, actor, name, version)
    )


@router.post(
    "/datasets/{name}/versions/{version}/review",
    response_model=VersionReviewPublic,
    responses=error_responses(404, 409),
)
def review(
    name: str,
    version: Version,
    body: PublicationDecision,
    platform: PlatformDep,
    session: WriteSession,
    actor: AuthorityDep,
) -> VersionReviewPublic:
    """Pass a submitted version (publishing it; a first pass approves the dataset's grade)
    or return it with the reason (authority; Qingdao art. 12: within 2 working days).
    """
    return VersionReviewPublic.model_validate(
        publication_review.review_version(
            session,
            platform.calendar,
            actor,
            name,
            version,
            passed=body.outcome == "pass",
            reason=body.reason,
            grade=body.grade,
        )
    )


@router.post(
    "/datasets/{name}/versions/{version}/resubmission",
    response_model=VersionReviewPublic,
    responses=error_responses(404, 409),
)
def resubmit(
    name: str,
    version: Version,
    body: Resubmission,
    platform: PlatformDep,
    session: WriteSession,
    actor: ProviderDep,
) -> VersionReviewPublic:
    """Submit a returned version again (provider): a new 2-working-day review opens."""
    return VersionReviewPublic.model_validate(
        publication_review.resubmit(
            session, platform.calendar, actor, name, version, note=body.note
        )
    )


# ---- quality duties ------------------------------------------------------------------------


@router.post(
    "/datasets/{name}/quality-assessments",
    response_model=AssessmentPublic,
    status_code=201,
    responses=error_responses(404, 409),
)
def open_assessment(
    name: str,
    body: AssessmentCreate,
    platform: PlatformDep,
    session: WriteSession,
    actor: AuthorityDep,
) -> AssessmentPublic:
    """Open a dataset's annual quality assessment (authority); its provider answers within
    10 working days.
    """
    return AssessmentPublic.model_validate(
        quality_duties.open_assessment(
            session, platform.calendar, actor, name, year=body.year, request=body.request
        )
    )


@router.get(
    "/quality-assessments", response_model=list[AssessmentPublic], responses=error_responses(404)
)
def assessments(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    dataset: str | None = None,
) -> list[AssessmentPublic]:
    """Quality assessments, newest first (oversight: all; provider: its own)."""
    wanted = parse_enum(AssessmentStatus, status, "status") if status else None
    return [
        AssessmentPublic.model_validate(a)
        for a in quality_duties.list_assessments(
            session, platform.calendar, actor, status=wanted, dataset=dataset
        )
    ]


@router.get(
    "/quality-assessments/{assessment_id}",
    response_model=AssessmentPublic,
    responses=error_responses(404),
)
def assessment(
    assessment_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> AssessmentPublic:
    """One quality assessment (its provider and oversight)."""
    return AssessmentPublic.model_validate(
        quality_duties.get_assessment(session, platform.calendar, actor, assessment_id)
    )


@router.post(
    "/quality-assessments/{assessment_id}/answer",
    response_model=AssessmentPublic,
    responses=error_responses(404, 409),
)
def answer(
    assessment_id: Id,
    body: AssessmentAnswer,
    platform: PlatformDep,
    session: WriteSession,
    actor: ProviderDep,
) -> AssessmentPublic:
    """Answer an assessment, or its rectification, with a version's quality report
    (provider).
    """
    return AssessmentPublic.model_validate(
        quality_duties.answer_assessment(
            session, platform.calendar, actor, assessment_id, version=body.version, note=body.note
        )
    )


@router.post(
    "/quality-assessments/{assessment_id}/conclusion",
    response_model=AssessmentPublic,
    responses=error_responses(404, 409),
)
def conclude(
    assessment_id: Id,
    body: AssessmentConclusion,
    platform: PlatformDep,
    session: WriteSession,
    actor: AuthorityDep,
) -> AssessmentPublic:
    """Conclude an answered assessment: satisfactory, or a rectification due in 10 working
    days (authority).
    """
    return AssessmentPublic.model_validate(
        quality_duties.conclude_assessment(
            session,
            platform.calendar,
            actor,
            assessment_id,
            conclusion=body.conclusion,
            note=body.note,
        )
    )


@router.post("/update-reminders/sweep", response_model=list[UpdateReminderPublic])
def sweep_reminders(
    body: ReminderSweep, platform: PlatformDep, session: WriteSession, actor: SweeperDep
) -> list[UpdateReminderPublic]:
    """Remind providers whose datasets' update frequency lapses within
    ``lead_working_days`` working days (authority, admin); returns the reminders sent now.
    """
    return [
        UpdateReminderPublic.model_validate(r)
        for r in update_reminders.sweep_update_reminders(
            session, platform.calendar, actor, lead_working_days=body.lead_working_days
        )
    ]


@router.get(
    "/update-reminders",
    response_model=list[UpdateReminderPublic],
    responses=error_responses(404),
)
def reminders(
    session: ReadSession, actor: ActorDep, dataset: str | None = None
) -> list[UpdateReminderPublic]:
    """Update reminders sent, newest first (oversight: all; provider: its own)."""
    return [
        UpdateReminderPublic.model_validate(r)
        for r in update_reminders.list_reminders(session, actor, dataset=dataset)
    ]
