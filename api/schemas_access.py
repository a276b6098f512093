"""Request and response schemas of the access workflow: applications, grants, requests for
unopened data and deadlines. Responses are built from domain objects, never ORM rows.

Application fields are all optional in the request body on purpose: the domain then names
*every* missing field in one refusal instead of the first few.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from api.schemas import Strict
from sandbox.access.agreement import Agreement
from sandbox.access.model import Application, Demand, Grant, OverdueItem, Stage

_TEXT = 20_000
_NAME = 100
MAX_ID = 2**31 - 1
"""Largest id a request may name (the id columns are 32-bit)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An object id in a path, refused with a 422 when out of range."""
OrgId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An organisation id in a body."""


# ---- stages and deadlines ------------------------------------------------------------------

class StagePublic(BaseModel):
    """A workflow stage with its deadline: open ones show the time left."""

    id: int
    subject: str
    subject_id: int
    stage: str
    assignee_role: str
    assignee_org: str | None
    started_at: datetime
    due_on: date
    due_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    outcome: str
    note: str
    open: bool
    working_days_left: int | None
    """Working days after today up to the due day (0: due today; negative: overdue)."""
    overdue: bool | None
    time_left: str | None
    """``3 working days left``, ``due today``, ``overdue by 2 working days``."""
    met_deadline: bool | None

    @classmethod
    def of(cls, s: Stage) -> StagePublic:
        """From the domain object."""
        left = s.time_left
        return cls(id=s.id, subject=str(s.subject), subject_id=s.subject_id, stage=str(s.kind),
                   assignee_role=s.assignee_role, assignee_org=s.assignee_org,
                   started_at=s.started_at, due_on=s.due_on, due_at=s.due_at,
                   closed_at=s.closed_at, closed_by=s.closed_by, outcome=s.outcome,
                   note=s.note, open=s.is_open,
                   working_days_left=left.working_days_left if left else None,
                   overdue=left.overdue if left else None,
                   time_left=left.describe() if left else None,
                   met_deadline=s.met_deadline)


class OverduePublic(BaseModel):
    """An item past its deadline."""

    title: str
    status: str
    stage: StagePublic

    @classmethod
    def of(cls, item: OverdueItem) -> OverduePublic:
        """From the domain object."""
        return cls(title=item.title, status=item.status, stage=StagePublic.of(item.stage))


class OverdueList(BaseModel):
    """Every open stage past its deadline, the most overdue first."""

    on: date
    data: list[OverduePublic]
    count: int


# ---- applications --------------------------------------------------------------------------

class ApplicationCreate(Strict):
    """Body of ``POST /v1/applications``: every field is required by the rules, and a
    missing one is refused by name together with all the others.
    """

    title: str | None = Field(default=None, max_length=300)
    reason: str | None = Field(default=None, max_length=_TEXT)
    type: str | None = Field(default=None, max_length=32)
    """``dataset`` or ``interface``."""
    datasets: list[str] | None = Field(default=None, max_length=50)
    period_start: date | None = None
    period_end: date | None = None
    results_form: str | None = Field(default=None, max_length=_TEXT)
    scenario: str | None = Field(default=None, max_length=_TEXT)
    security_measures: str | None = Field(default=None, max_length=_TEXT)
    commitment_signed: bool | None = None
    """The signed commitment to truthfulness, compliance and security: must be true."""


class ApplicationPublic(BaseModel):
    """An application with its stages and deadlines."""

    id: int
    applicant: str
    applicant_org: str | None
    provider_org: str
    title: str
    reason: str
    type: str
    datasets: list[str]
    period_start: date
    period_end: date
    results_form: str
    scenario: str
    security_measures: str
    commitment_signed_at: datetime
    status: str
    submitted_at: datetime
    return_reason: str
    refusal_reason: str
    legal_basis: str
    grant_id: int | None
    current_stage: StagePublic | None
    """The open stage, with its deadline and time left; null once decided."""
    stages: list[StagePublic]

    @classmethod
    def of(cls, a: Application) -> ApplicationPublic:
        """From the domain object."""
        stages = [StagePublic.of(s) for s in a.stages]
        return cls(id=a.id, applicant=a.applicant, applicant_org=a.applicant_org,
                   provider_org=a.provider_org, title=a.title, reason=a.reason,
                   type=str(a.kind), datasets=list(a.datasets), period_start=a.period_start,
                   period_end=a.period_end, results_form=a.results_form, scenario=a.scenario,
                   security_measures=a.security_measures,
                   commitment_signed_at=a.commitment_signed_at, status=str(a.status),
                   submitted_at=a.submitted_at, return_reason=a.return_reason,
                   refusal_reason=a.refusal_reason, legal_basis=a.legal_basis,
                   grant_id=a.grant_id,
                   current_stage=next((s for s in stages if s.open), None), stages=stages)


class FormReview(Strict):
    """Body of a form review: pass, or return with the reason."""

    outcome: Literal["pass", "return"]
    reason: str = Field(default="", max_length=_TEXT)


class ProviderDecision(Strict):
    """Body of a provider's decision on an application.

    An approval states its scope (``grant_budget`` at least; ``datasets``, ``job_kinds``
    and the period default to the request and ``dp``); a refusal states ``reason`` and
    ``legal_basis``, both required.
    """

    outcome: Literal["approve", "refuse"]
    reason: str = Field(default="", max_length=_TEXT)
    legal_basis: str = Field(default="", max_length=_TEXT)
    datasets: list[str] = Field(default_factory=list, max_length=50)
    job_kinds: list[str] = Field(default_factory=lambda: ["dp"], max_length=2)
    grant_budget: int | float | str | dict[str, Any] | None = None
    """The grant's privacy budget: a number, exact decimal text, or ``{loss, delta}``."""
    policy: dict[str, Any] | str | None = None
    """Further grant policy rules (say ``row_count``), as a document."""
    period_start: date | None = None
    period_end: date | None = None
    report_interval_days: int = Field(default=90, ge=1, le=366)
    """Days between the usage and risk reports the grant's holder owes."""


# ---- grants --------------------------------------------------------------------------------

class GrantPublic(BaseModel):
    """A grant; ``status`` is as of the request (``expired`` once the period is over)."""

    id: int
    ref: str
    application_id: int
    holder: str
    provider_org: str
    datasets: list[str]
    job_kinds: list[str]
    policy: dict[str, Any]
    period_start: date
    period_end: date
    valid_from: datetime
    valid_until: datetime
    status: str
    status_reason: str
    created_at: datetime
    approved_by: str
    agreement_version: str | None
    agreement_sha256: str | None
    accepted_at: datetime | None
    report_interval_days: int

    @classmethod
    def of(cls, g: Grant) -> GrantPublic:
        """From the domain object."""
        return cls(id=g.id, ref=g.ref, application_id=g.application_id, holder=g.holder,
                   provider_org=g.provider_org, datasets=list(g.datasets),
                   job_kinds=[str(k) for k in g.job_kinds], policy=g.policy,
                   period_start=g.period_start, period_end=g.period_end,
                   valid_from=g.valid_from, valid_until=g.valid_until, status=str(g.status),
                   status_reason=g.status_reason, created_at=g.created_at,
                   approved_by=g.approved_by, agreement_version=g.agreement_version,
                   agreement_sha256=g.agreement_sha256, accepted_at=g.accepted_at,
                   report_interval_days=g.report_interval_days)


class AgreementPublic(BaseModel):
    """The agreement text in force, which the grant's holder accepts."""

    version: str
    sha256: str
    text: str

    @classmethod
    def of(cls, a: Agreement) -> AgreementPublic:
        """From the domain object."""
        return cls(version=a.version, sha256=a.sha256, text=a.text)


class AgreementAccept(Strict):
    """Body of ``POST /v1/grants/{id}/accept``: the version (and hash) of the text read."""

    agreement_version: str = Field(min_length=1, max_length=64)
    agreement_sha256: str | None = Field(default=None, min_length=64, max_length=64)


class GrantStatusChange(Strict):
    """Body of suspend, resume and revoke: the reason (required to suspend or revoke)."""

    reason: str = Field(default="", max_length=_TEXT)


# ---- requests for unopened data ------------------------------------------------------------

class DemandCreate(Strict):
    """Body of ``POST /v1/demands``."""

    description: str = Field(default="", max_length=_TEXT)
    dataset: str = Field(default="", max_length=_NAME)
    """A dataset name: a catalog entry that is not open, or the name you would give it."""
    provider_org_id: OrgId | None = None


class DemandFormReview(Strict):
    """Body of a request's form review; passing names the provider organisation (unless
    the request already does).
    """

    outcome: Literal["pass", "return"]
    reason: str = Field(default="", max_length=_TEXT)
    provider_org_id: OrgId | None = None


class DemandAnswer(Strict):
    """Body of the provider's answer: agree, or refuse with the reason."""

    outcome: Literal["agree", "refuse"]
    reason: str = Field(default="", max_length=_TEXT)
    legal_basis: str = Field(default="", max_length=_TEXT)


class DemandOpened(Strict):
    """Body of ``POST /v1/demands/{id}/opened``: the catalog dataset that now holds the
    data.
    """

    dataset: str = Field(min_length=1, max_length=_NAME)


class DemandPublic(BaseModel):
    """A request for data not yet open, with its stages and deadlines."""

    id: int
    requester: str
    description: str
    dataset: str
    provider_org_id: int | None
    provider_org: str | None
    status: str
    submitted_at: datetime
    return_reason: str
    answer: str
    legal_basis: str
    opened_dataset: str | None
    current_stage: StagePublic | None
    stages: list[StagePublic]

    @classmethod
    def of(cls, d: Demand) -> DemandPublic:
        """From the domain object."""
        stages = [StagePublic.of(s) for s in d.stages]
        return cls(id=d.id, requester=d.requester, description=d.description,
                   dataset=d.dataset_name, provider_org_id=d.provider_org_id,
                   provider_org=d.provider_org, status=str(d.status),
                   submitted_at=d.submitted_at, return_reason=d.return_reason,
                   answer=d.answer, legal_basis=d.legal_basis,
                   opened_dataset=d.opened_dataset,
                   current_stage=next((s for s in stages if s.open), None), stages=stages)
