"""Review value types: decisions and what a reviewer sees."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.jobs.model import Job


class DecisionOutcome(enum.StrEnum):
    """A reviewer's decision on a result."""

    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    """Returned for changes: the job ends rejected; its owner may submit a corrected one."""


@dataclass(frozen=True)
class Decision:
    """One recorded decision."""

    reviewer: str
    outcome: str
    reason: str
    decided_at: datetime


@dataclass(frozen=True)
class ReviewView:
    """Everything a reviewer weighs before deciding."""

    job: Job
    source: str
    result: Any
    """What the model returned."""
    release: Any
    """What would be released: the result after the platform's rounding and redaction."""
    check_report: dict[str, Any]
    decisions: list[Decision]
    required_approvals: int
    frozen: str | None
    """Set while a suspension of one of the job's datasets freezes the review."""
    earlier_releases: list[dict[str, Any]]
    """The same user's earlier released results on the same datasets."""
    can_decide: bool
    content_withheld: bool = False
    can_decide_log: bool = False
    """Whether ``actor`` may release or refuse the log its author asked for
    (:mod:`sandbox.review.logs`)."""
    figures: list[dict[str, Any]] = field(default_factory=list)
    """The figures of ``release`` (name, media type, size, download path), each exactly
    as it would be released (:mod:`sandbox.review.figures`); its bytes are in ``release``
    too, as base64."""
    """Set for oversight reading an unreleased result: ``result``, ``release`` and the
    earlier results are left out; only the granting organisation's reviewers read them."""
