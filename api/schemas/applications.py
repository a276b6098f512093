"""Request and response schemas of applications: submission, form review and the
provider's decision.

Application fields are all optional in the request body on purpose: the domain then names
*every* missing field in one refusal instead of the first few.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from api.schemas.common import Choice, NamesChoices, Strict
from api.schemas.stages import WithStages
from sandbox.access.model import ApplicationKind, ApplicationStatus, JobKind

TEXT_CHARS = 20_000
"""Longest free text a workflow body field takes."""


class ApplicationCreate(Strict):
    """Body of ``POST /v1/applications``: every field is required by the rules, and a
    missing one is refused by name together with all the others.
    """

    title: str | None = Field(default=None, max_length=300)
    reason: str | None = Field(default=None, max_length=TEXT_CHARS)
    type: Choice[ApplicationKind] | None = None
    datasets: list[str] | None = Field(default=None, max_length=50)
    period_start: date | None = None
    period_end: date | None = None
    results_form: str | None = Field(default=None, max_length=TEXT_CHARS)
    scenario: str | None = Field(default=None, max_length=TEXT_CHARS)
    security_measures: str | None = Field(default=None, max_length=TEXT_CHARS)
    commitment_signed: bool | None = None
    """The signed commitment to truthfulness, compliance and security: must be true."""


class ApplicationPublic(WithStages):
    """An application with its stages and deadlines."""

    id: int
    applicant: str
    applicant_org: str | None
    provider_org: str
    title: str
    reason: str
    type: ApplicationKind = Field(validation_alias="kind")
    datasets: list[str]
    period_start: date
    period_end: date
    results_form: str
    scenario: str
    security_measures: str
    commitment_signed_at: datetime
    status: ApplicationStatus
    submitted_at: datetime
    return_reason: str
    refusal_reason: str
    legal_basis: str
    grant_id: int | None


class FormReview(Strict):
    """Body of a form review: pass, or return with the reason."""

    outcome: Literal["pass", "return"]
    reason: str = Field(default="", max_length=TEXT_CHARS)


class ProviderDecision(Strict):
    """Body of a provider's decision on an application.

    An approval states its scope (``grant_budget`` at least; ``datasets``, ``job_kinds``
    and the period default to the request and ``dp``); a refusal states ``reason`` and
    ``legal_basis``, both required.
    """

    outcome: Literal["approve", "refuse"]
    reason: str = Field(default="", max_length=TEXT_CHARS)
    legal_basis: str = Field(default="", max_length=TEXT_CHARS)
    datasets: list[str] = Field(default_factory=list, max_length=50)
    job_kinds: list[Annotated[JobKind, NamesChoices("job kind")]] = Field(
        default_factory=lambda: [JobKind.DP], max_length=2
    )
    grant_budget: int | float | str | dict[str, Any] | None = None
    """The grant's privacy budget: a number, exact decimal text, or ``{loss, delta}``."""
    policy: dict[str, Any] | str | None = None
    """Further grant policy rules (say ``row_count``), as a document."""
    period_start: date | None = None
    period_end: date | None = None
    report_interval_days: int = Field(default=90, ge=1, le=366)
    """Days between the usage and risk reports the grant's holder owes."""
