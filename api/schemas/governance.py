"""Request and response schemas of catalog governance: grades and their policy levels,
publication reviews of dataset versions, quality assessments and update reminders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from api.schemas.common import Choice, FromDomain, Strict
from api.schemas.stages import StagePublic
from sandbox.catalog.grades import Grade
from sandbox.catalog.model import ReviewStatus, UpdateFrequency
from sandbox.oversight.quality_duties import AssessmentStatus, Conclusion
from sandbox.policies import Policy, to_dict
from sandbox.workdays import TimeLeft

MAX_TEXT = 4000

# ---- grades --------------------------------------------------------------------------------


class GradeProposal(Strict):
    """Body of ``PUT /v1/datasets/{name}/grade``: the provider's grade for its dataset."""

    grade: Choice[Grade]
    reason: str = Field(default="", max_length=MAX_TEXT)


class GradeDecision(Strict):
    """Body of ``POST /v1/datasets/{name}/grade/decision`` (authority): approve the proposal
    (or ``grade`` instead, with a ``note`` saying why) or reject it.
    """

    approve: bool
    grade: Choice[Grade] | None = None
    note: str = Field(default="", max_length=MAX_TEXT)


class DatasetGradePublic(FromDomain):
    """A dataset's grade: approved, proposed, and the one whose policy level holds now
    (the strictest while none is approved).
    """

    dataset: str
    approved: Grade | None
    proposed: Grade | None
    in_force: Grade
    decided_by: str | None
    decided_at: datetime | None


def _document(policy: Policy) -> dict[str, Any]:
    return to_dict(policy)


class GradeLevelPublic(FromDomain):
    """A grade's policy level: shipped, the authority's tightening, and the one in force
    (policy documents, in epsilon under pure DP).
    """

    grade: Grade
    label: str
    shipped: dict[str, Any]
    authority: dict[str, Any]
    in_force: dict[str, Any]
    set_by: str | None
    set_at: datetime | None

    @field_validator("shipped", "authority", "in_force", mode="before")
    @classmethod
    def _as_document(cls, value: Any) -> Any:
        return _document(value) if isinstance(value, Policy) else value


class GradeLevelSet(Strict):
    """Body of ``PUT /v1/policies/grades/{grade}``: a policy document (floor fields) that
    tightens the grade's shipped level.
    """

    document: dict[str, Any] | str


# ---- publication review ------------------------------------------------------------------------


class PublicationDecision(Strict):
    """Body of ``POST /v1/datasets/{name}/versions/{version}/review`` (authority)."""

    outcome: Literal["pass", "return"]
    reason: str = Field(default="", max_length=MAX_TEXT)
    """Why the submission is returned (required then), or a note on a pass."""
    grade: Choice[Grade] | None = None
    """The dataset's grade the pass approves (default: the provider's proposal)."""


class Resubmission(Strict):
    """Body of ``POST /v1/datasets/{name}/versions/{version}/resubmission`` (provider)."""

    note: str = Field(default="", max_length=MAX_TEXT)


class VersionReviewPublic(FromDomain):
    """A dataset version's publication review with its 2-working-day deadline."""

    dataset: str
    version: int
    provider_org: str
    status: ReviewStatus
    note: str
    submitted_at: datetime
    due_on: date | None
    working_days_left: int | None = Field(validation_alias="time_left")
    overdue: bool | None = Field(default=None, validation_alias="time_left")
    reviewed_by: str | None
    reviewed_at: datetime | None
    grade: Grade | None
    proposed_grade: Grade | None
    first_version: bool
    stages: list[StagePublic]

    @field_validator("working_days_left", mode="before")
    @classmethod
    def _days_left(cls, left: TimeLeft | None) -> int | None:
        return None if left is None else left.working_days_left

    @field_validator("overdue", mode="before")
    @classmethod
    def _overdue(cls, left: TimeLeft | None) -> bool | None:
        return None if left is None else left.overdue


# ---- quality duties ------------------------------------------------------------------------


class AssessmentCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/quality-assessments`` (authority)."""

    year: int | None = Field(default=None, ge=1900, le=9000)
    request: str = Field(default="", max_length=MAX_TEXT)


class AssessmentAnswer(Strict):
    """Body of ``POST /v1/quality-assessments/{id}/answer`` (provider): the version whose
    quality report answers (default: the newest passed one).
    """

    version: int | None = Field(default=None, ge=1, le=2_147_483_647)
    note: str = Field(default="", max_length=MAX_TEXT)


class AssessmentConclusion(Strict):
    """Body of ``POST /v1/quality-assessments/{id}/conclusion`` (authority)."""

    conclusion: Choice[Conclusion]
    note: str = Field(default="", max_length=MAX_TEXT)
    """What must be rectified (required for ``rectify``)."""


class AssessmentPublic(FromDomain):
    """An annual quality assessment: request, answer (the quality report's counts),
    conclusion and its stages with their deadlines.
    """

    id: int
    dataset: str
    provider_org: str
    year: int
    status: AssessmentStatus
    request: str
    opened_by: str
    opened_at: datetime
    answer_version: int | None
    answer_report: dict[str, Any] | None
    answer_note: str
    answered_by: str | None
    answered_at: datetime | None
    conclusion: str
    concluded_by: str | None
    concluded_at: datetime | None
    stages: list[StagePublic]


class ReminderSweep(Strict):
    """Body of ``POST /v1/update-reminders/sweep``."""

    lead_working_days: int = Field(default=5, ge=0, le=60)


class UpdateReminderPublic(FromDomain):
    """A reminder that a dataset's update frequency lapses on ``lapses_on``."""

    id: int
    dataset: str
    version: int
    update_frequency: UpdateFrequency
    lapses_on: date
    reminded_at: datetime
