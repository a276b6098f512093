"""Request and response schemas of jobs and vetted algorithm models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import Strict
from sandbox.jobs.model import Job
from sandbox.runtime.vetted import VettedModel

_NAME = 200


class JobCreate(Strict):
    """A job: the model (its ``source``, or the ``model`` name of a vetted one), its
    parameters, the datasets it reads and its kind (``dp`` or ``raw``); ``grant`` picks one
    grant when several cover the datasets.
    """

    datasets: list[str] = Field(min_length=1, max_length=10)
    kind: str = Field(default="dp", max_length=16)
    source: str | None = Field(default=None, max_length=256 * 1024)
    model: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    grant: str | None = Field(default=None, max_length=64)


class JobPublic(BaseModel):
    """A job. ``held`` means its log, errors and result wait for the output checks and
    review (raw-access jobs); ``result`` is only ever set once the job is ``released``.
    """

    id: int
    owner: str
    grant: str
    kind: str
    datasets: dict[str, int]
    model: str | None
    description: str
    source_sha256: str
    params: dict[str, Any]
    backend: str
    limits: dict[str, Any]
    state: str
    state_reason: str
    final: bool
    outcome: str | None
    progress: dict[str, Any]
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

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        """From the domain object."""
        return cls(
            id=job.id, owner=job.owner, grant=job.grant, kind=str(job.kind),
            datasets=job.datasets, model=job.model, description=job.description,
            source_sha256=job.source_sha256, params=job.params, backend=job.backend,
            limits=job.limits, state=str(job.state), state_reason=job.state_reason,
            final=job.state.is_final, outcome=job.outcome, progress=job.progress,
            errors=job.errors, result=job.result, releases=job.releases, held=job.held,
            cancel_requested=job.cancel_requested, submitted_at=job.submitted_at,
            updated_at=job.updated_at, started_at=job.started_at,
            finished_at=job.finished_at, duration=job.duration,
        )


class JobLog(BaseModel):
    """A job's log lines (empty and ``held`` for a raw-access job's owner)."""

    job_id: int
    lines: list[str]
    held: bool


class AlgorithmPublic(BaseModel):
    """A vetted algorithm model a job may name instead of sending source."""

    name: str
    summary: str | None
    description: str | None
    params: dict[str, Any]
    sha256: str
    source: str | None = None

    @classmethod
    def of(cls, model: VettedModel, *, with_source: bool = False) -> AlgorithmPublic:
        """From the vetted model."""
        info = model.info.to_dict()
        return cls(name=model.name, summary=info["summary"], description=info["description"],
                   params=info["params"], sha256=model.sha256,
                   source=model.source if with_source else None)
