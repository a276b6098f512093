"""Request and response schemas of the review airlock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas.common import Choice, FromDomain, Strict
from api.schemas.jobs import JobPublic
from sandbox.review.logs import LogDecision
from sandbox.review.model import DecisionOutcome


class DecisionIn(Strict):
    """A reviewer's decision; ``reject`` and ``return`` state their reason."""

    outcome: Choice[DecisionOutcome]
    reason: str = Field(default="", max_length=5000)


class DecisionPublic(FromDomain):
    """A recorded decision."""

    reviewer: str
    outcome: DecisionOutcome
    reason: str
    decided_at: datetime


class ReviewPublic(FromDomain):
    """What a reviewer weighs (from :class:`sandbox.review.model.ReviewView`): source,
    parameters, result, the check report, the budget spent (``job.releases``), earlier
    releases of the same user on the same datasets.
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
    content_withheld: bool
    can_decide_log: bool
    """Whether you may release or refuse the log its author asked to have reviewed (the
    log and errors are in ``job``)."""
    figures: list[dict[str, Any]] = []
    """The figures of ``release`` as they would be released: name, media type, size and
    the path that downloads each (``GET /v1/results/{job_id}/figures/{name}``); their bytes
    are in ``release`` as base64."""


class LogDecisionIn(Strict):
    """A reviewer's decision on a held log: ``release`` or ``refuse`` (with a reason)."""

    outcome: Choice[LogDecision]
    reason: str = Field(default="", max_length=5000)
