"""Request and response schemas of a dry run on mock data (``POST /v1/jobs/dry-run``)."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import Field, field_validator

from api.schemas.common import FromDomain
from api.schemas.jobs import JobCreate
from sandbox.access.model import JobKind
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.runtime.profiles import RuntimeProfile


class DryRunCreate(JobCreate):
    """A dry run is asked for exactly as a job is submitted: the model (its ``source``, or
    the ``model`` name of a vetted one), its parameters, the datasets, the kind and the
    runtime profile.
    """


class DryRunChecksPublic(FromDomain):
    """What the release checks would decide of the mock result (nothing is released).

    ``would_be`` is the state a job with this result would move to: ``released`` (a DP
    result its datasets' policies release automatically), ``pending_review`` or
    ``rejected`` (a blocking check failed; ``report`` names it).
    """

    would_be: JobState
    passed: bool
    auto_releasable: bool
    report: dict[str, Any]
    released: Any
    """The result as it would be released (the platform's rounding and redaction)."""


class DryRunPublic(FromDomain):
    """A dry run's whole outcome, shown to its author at once: it read only mock tables
    generated from the data dictionaries (``mock``), charged nothing (``charged`` is always
    false) and nobody reviews it. ``result``, ``log`` and ``errors`` are the model's own
    (its error text names the model's line); ``spend`` is what its DP calls would cost per
    dataset and what the grant would have left; ``checks`` what the release checks would
    say of the result.
    """

    id: str
    kind: JobKind
    grant: str
    datasets: dict[str, int]
    mock: dict[str, dict[str, Any]]
    model: str | None
    description: str
    source_sha256: str
    params: dict[str, Any]
    backend: str
    profile: RuntimeProfile
    """The runtime profile the model ran in (``restricted`` or ``scientific``)."""
    limits: dict[str, Any]
    outcome: RunOutcome
    reason: str
    result: Any
    log: list[str]
    log_truncated: bool
    errors: list[str]
    failure: dict[str, Any] | None
    releases: list[dict[str, Any]]
    refusals: list[dict[str, str]]
    spend: dict[str, dict[str, Any]]
    checks: DryRunChecksPublic | None
    duration: float
    charged: bool


class MockTablePublic(FromDomain):
    """A dataset's mock table for a run on your own machine (``sandbox run --mock``): the
    rows a dry run on the server reads (generated from the data dictionary, seeded by the
    dataset's name), as base64 Parquet, with the effective ``policy`` under your ``grant``,
    the ``job_kinds`` it allows and what it has left on the dataset in exact ledger units.
    """

    dataset: str
    version: int
    rows: int
    seed: str
    privacy_unit: str | None
    dictionary: list[dict[str, Any]]
    grant: str
    job_kinds: list[str]
    policy: dict[str, Any]
    grant_remaining_units: list[int] | None
    parquet_base64: str = Field(validation_alias="parquet")
    dp_synthetic: dict[str, Any] | None = None
    """Set when the provider replaced the uniform mock by a DP synthetic sample (its
    mechanism, epsilon and rows); the rows are then that sample's."""

    @field_validator("parquet_base64", mode="before")
    @classmethod
    def _base64(cls, parquet: bytes) -> str:
        """The Parquet file as base64 text."""
        return base64.b64encode(parquet).decode("ascii")
