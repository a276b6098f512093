"""Request and response schemas of jobs and vetted algorithm models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasPath, Field, ValidationInfo, field_validator

from api.schemas.common import Choice, FromDomain, Strict
from sandbox.access.model import JobKind
from sandbox.jobs.log_entries import LogSource
from sandbox.jobs.model import JobState, LogReview, RunOutcome
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.vetted import VettedModel


class JobCreate(Strict):
    """A job: the model (its ``source``, or the ``model`` name of a vetted one), its
    parameters, the datasets it reads and its kind (``dp`` or ``raw``); ``grant`` picks one
    grant when several cover the datasets.
    """

    datasets: list[str] = Field(min_length=1, max_length=10)
    kind: Choice[JobKind] = JobKind.DP
    source: str | None = Field(default=None, max_length=256 * 1024)
    model: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    grant: str | None = Field(default=None, max_length=64)
    profile: Choice[RuntimeProfile] = RuntimeProfile.RESTRICTED
    """The runtime profile: ``restricted`` (RestrictedPython, the default) or ``scientific``
    (ordinary Python with numpy, pandas, scipy, statsmodels, scikit-learn, matplotlib), as
    the datasets' policies and the grant allow."""


class JobPublic(FromDomain):
    """A job. ``held`` means what its model wrote (log, errors, result) waits for the
    release boundary (see :mod:`sandbox.jobs.visibility`); the platform's own facts (state,
    reason, outcome, ``progress.failure``) are always shown. ``result`` is only ever set
    once the job is ``released``.
    """

    id: int
    owner: str
    grant: str
    kind: JobKind
    datasets: dict[str, int]
    model: str | None
    description: str
    source_sha256: str
    params: dict[str, Any]
    backend: str
    """The runtime backend the job ran on (``docker``, ``bwrap``, ``subprocess``)."""
    profile: RuntimeProfile
    """The runtime profile the model ran in (``restricted`` or ``scientific``)."""
    limits: dict[str, Any]
    state: JobState
    state_reason: str
    final: bool = Field(validation_alias="state")
    outcome: RunOutcome | None
    progress: dict[str, Any]
    errors: list[str]
    result: Any
    releases: list[dict[str, Any]]
    held: bool
    log_review: LogReview | None = None
    """The author's request that the held log and errors be reviewed: ``requested``,
    ``released`` or ``refused``; none when never asked."""
    log_review_reason: str = ""
    """Why a reviewer refused to release the log."""
    cancel_requested: bool
    submitted_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    request_id: str | None = None
    """The id of the HTTP request that submitted the job (its ``X-Request-ID``): quote it
    to the operator, whose logs of the job carry it."""

    @field_validator("final", mode="before")
    @classmethod
    def _final(cls, state: JobState) -> bool:
        """Whether nothing more happens to the job (its state is final)."""
        return JobState(state).is_final


class LogEntryPublic(FromDomain):
    """One entry of a job's log: who wrote it (``model`` or ``platform``) and its text.

    A model's text is exactly what it logged: it may hold control characters, escape
    sequences and text that reads like the platform's; escape it before showing it in a
    terminal or a page. Only an entry whose ``source`` is ``platform`` is the platform's.
    """

    source: LogSource
    text: str


class JobLog(FromDomain):
    """A job's log (empty and ``held`` while it waits for the release boundary).

    ``entries`` are the model's lines and the platform's entries (such as the log's
    truncation) in order, each with its ``source``; ``lines`` are the model's lines alone.
    """

    job_id: int
    entries: list[LogEntryPublic]
    lines: list[str]
    held: bool


class AlgorithmPublic(FromDomain):
    """A vetted algorithm model a job may name instead of sending source. Lists leave its
    source out (``null``): build it with :func:`algorithm_public`.
    """

    name: str
    summary: str | None = Field(validation_alias=AliasPath("info", "summary"))
    description: str | None = Field(validation_alias=AliasPath("info", "description"))
    params: dict[str, Any] = Field(validation_alias=AliasPath("info", "params"))
    parameters_schema: dict[str, Any] = Field(
        description="The parameters as a standard JSON Schema (draft 2020-12): an object "
        "with one property per parameter, `required` and `additionalProperties: false`; "
        "a form can be generated from it."
    )
    sha256: str
    source: str | None = None

    @field_validator("params", mode="before")
    @classmethod
    def _param_schema(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Each parameter's spec in its JSON form (type, default, bounds, choices)."""
        return {name: spec.to_dict() for name, spec in params.items()}

    @field_validator("source", mode="before")
    @classmethod
    def _source_only_when_asked(cls, source: str, info: ValidationInfo) -> str | None:
        """Keep the source only where the validation context asks for it (one model, not
        the list).
        """
        return source if info.context and info.context.get("with_source") is True else None


def algorithm_public(model: VettedModel, *, with_source: bool = False) -> AlgorithmPublic:
    """A vetted model as clients see it, with its source where ``with_source``."""
    return AlgorithmPublic.model_validate(model, context={"with_source": with_source})
