"""Job value types: the lifecycle's states and allowed transitions, and a job as callers see it.

DESIGN.md, Job lifecycle: ``submitted -> queued -> running -> checking -> pending_review ->
released | rejected``, with ``failed`` and ``cancelled`` reachable from any non-final state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.access.model import JobKind


class JobState(enum.StrEnum):
    """Where a job stands."""

    SUBMITTED = "submitted"
    """Accepted and stored; not yet handed to the dispatcher."""
    QUEUED = "queued"
    """Waiting for a Ray worker."""
    RUNNING = "running"
    """The model runs in its sandbox."""
    CHECKING = "checking"
    """The model finished; the output checks run on its result."""
    PENDING_REVIEW = "pending_review"
    """Waiting for the dataset's provider reviewers."""
    RELEASED = "released"
    """The result was released to the job's owner."""
    REJECTED = "rejected"
    """A reviewer (or a blocking check) refused to release the result."""
    FAILED = "failed"
    """The model or the platform failed; ``outcome`` and the reason say how."""
    CANCELLED = "cancelled"
    """Its owner cancelled it, or a suspension of its dataset stopped it."""

    @property
    def is_final(self) -> bool:
        """Whether nothing more happens to a job in this state."""
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {JobState.RELEASED, JobState.REJECTED, JobState.FAILED, JobState.CANCELLED}
)
"""States a job never leaves."""

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.SUBMITTED: frozenset({JobState.QUEUED}),
    JobState.QUEUED: frozenset({JobState.RUNNING}),
    JobState.RUNNING: frozenset({JobState.CHECKING}),
    JobState.CHECKING: frozenset({JobState.PENDING_REVIEW, JobState.RELEASED, JobState.REJECTED}),
    JobState.PENDING_REVIEW: frozenset({JobState.RELEASED, JobState.REJECTED}),
}
"""The forward steps of the lifecycle; ``failed`` and ``cancelled`` are added for every
non-final state by :func:`can_move`."""


def can_move(source: JobState, target: JobState) -> bool:
    """Whether the lifecycle allows ``source -> target``."""
    if source.is_final:
        return False
    if target in (JobState.FAILED, JobState.CANCELLED):
        return True
    return target in TRANSITIONS.get(source, frozenset())


class RunOutcome(enum.StrEnum):
    """How the model's run ended (recorded with the job)."""

    OK = "ok"
    COMPILE_ERROR = "compile_error"
    MODEL_ERROR = "model_error"
    TIMED_OUT = "timed_out"
    OOM = "oom"
    OUTPUT_TOO_LARGE = "output_too_large"
    CRASHED = "crashed"
    CANCELLED = "cancelled"
    """Stopped by a cancel (its owner's, or a suspension of its dataset)."""
    INTERRUPTED = "interrupted"
    """The platform stopped while the job ran (a restart, or its worker died)."""


class LogReview(enum.StrEnum):
    """Where the author's request to see a held log and errors stands
    (:mod:`sandbox.review.logs`).
    """

    REQUESTED = "requested"
    RELEASED = "released"
    REFUSED = "refused"


@dataclass(frozen=True)
class Job:
    """A job as its owner and the platform's staff see it.

    What the model wrote (``log``, ``errors``) is withheld (``held`` is true) until it may
    cross the release boundary (:mod:`sandbox.jobs.visibility`). ``result`` is only ever the
    released result (after the platform's rounding and redaction), once the job is
    ``released``.
    """

    id: int
    owner: str
    owner_id: int
    grant: str
    kind: JobKind
    datasets: dict[str, int]
    model: str | None
    description: str
    source_sha256: str
    params: dict[str, Any]
    backend: str
    profile: str
    limits: dict[str, Any]
    state: JobState
    state_reason: str
    outcome: str | None
    progress: dict[str, Any]
    log: list[str]
    errors: list[str]
    result: Any
    releases: list[dict[str, Any]]
    held: bool
    cancel_requested: bool
    submitted_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    log_review: LogReview | None = None
    """The author's request that the held log and errors be reviewed, if any."""
    log_review_reason: str = ""
    """Why a reviewer refused to release the log."""
    request_id: str | None = None
    """The id of the HTTP request that submitted the job (:mod:`sandbox.jobs.observed`)."""
