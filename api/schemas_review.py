"""Request and response schemas of the review airlock."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Strict
from api.schemas_jobs import JobPublic
from sandbox.review.model import ReviewView


class DecisionIn(Strict):
    """A reviewer's decision; ``reject`` and ``return`` state their reason."""

    outcome: Literal["approve", "reject", "return"]
    reason: str = Field(default="", max_length=5000)


class DecisionPublic(BaseModel):
    """A recorded decision."""

    reviewer: str
    outcome: str
    reason: str
    decided_at: datetime


class ReviewPublic(BaseModel):
    """What a reviewer weighs: source, parameters, result, the check report, the budget
    spent (``job.releases``), earlier releases of the same user on the same datasets.
    """

    job: JobPublic
    source: str
    result: Any
    release: Any
    check_report: dict[str, Any]
    decisions: list[DecisionPublic]
    required_approvals: int
    frozen: str | None
    earlier_releases: list[dict[str, Any]]
    can_decide: bool

    @classmethod
    def of(cls, view: ReviewView) -> ReviewPublic:
        """From the domain object."""
        return cls(
            job=JobPublic.of(view.job), source=view.source, result=view.result,
            release=view.release, check_report=view.check_report,
            decisions=[DecisionPublic(reviewer=d.reviewer, outcome=d.outcome, reason=d.reason,
                                      decided_at=d.decided_at) for d in view.decisions],
            required_approvals=view.required_approvals, frozen=view.frozen,
            earlier_releases=view.earlier_releases, can_decide=view.can_decide)
