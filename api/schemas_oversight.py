"""Request and response schemas of oversight: complaints and evidence, dataset
suspensions, the leak trace, objections, usage and risk reports, enforcement, data
products and the platform's figures. Responses are built from domain objects, never ORM
rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Strict
from api.schemas_access import MAX_ID, GrantPublic, StagePublic
from sandbox.access.model import Grant
from sandbox.catalog.parsing import parse_format
from sandbox.catalog.suspension import Suspension
from sandbox.oversight.model import (
    Complaint,
    DataProduct,
    Evidence,
    Objection,
    ReportDue,
    Stats,
    Trace,
    UsageReport,
)
from sandbox.oversight.suspensions import Reprocessing

_TEXT = 20_000
_NAME = 100
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An object id in a body."""


class ReprocessIn(Strict):
    """The desensitised data of a reprocessing: a staged upload (``POST /v1/uploads``) and
    the desensitisation record that describes it.
    """

    upload_id: str | None = Field(default=None, min_length=1, max_length=64)
    format: Literal["parquet", "csv", "arrow"] | None = None
    method: str = Field(default="", max_length=200)
    """The desensitisation method (masking, generalisation, ...): required to reprocess."""
    description: str = Field(default="", max_length=_TEXT)

    def reprocessing(self) -> Reprocessing | None:
        """The domain value, or ``None`` when no data was named."""
        if self.upload_id is None:
            return None
        return Reprocessing(upload_id=self.upload_id, method=self.method,
                            description=self.description, format=parse_format(self.format))


# ---- suspensions and the trace -------------------------------------------------------------

class SuspensionCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/suspend``: the reason, shown to everyone."""

    reason: str = Field(max_length=_TEXT)
    complaint_id: Id | None = None


class SuspensionResolve(ReprocessIn):
    """Body of ``POST /v1/datasets/{name}/suspension/resolve``: ``restore``, ``reprocess``
    (with ``upload_id`` and ``method``) or ``end`` (the dataset is withdrawn for good).
    """

    outcome: Literal["restore", "reprocess", "end"]
    note: str = Field(default="", max_length=_TEXT)


class SuspensionPublic(BaseModel):
    """A suspension of a dataset, in force or resolved."""

    id: int
    dataset: str
    complaint_id: int | None
    reason: str
    suspended_by: str
    suspended_at: datetime
    in_force: bool
    withdrawn: bool
    resolution: str
    resolved_by: str | None
    resolved_at: datetime | None
    note: str
    new_version: int | None

    @classmethod
    def of(cls, s: Suspension) -> SuspensionPublic:
        """From the domain object."""
        return cls(id=s.id, dataset=s.dataset, complaint_id=s.complaint_id, reason=s.reason,
                   suspended_by=s.suspended_by, suspended_at=s.suspended_at,
                   in_force=s.in_force, withdrawn=s.withdrawn, resolution=s.resolution,
                   resolved_by=s.resolved_by, resolved_at=s.resolved_at, note=s.note,
                   new_version=s.new_version)


class TraceItemPublic(BaseModel):
    """One touch of the dataset, from the audit trail (and the ledger, for a charge)."""

    seq: int
    at: str
    kind: str
    action: str
    actor: str
    role: str
    outcome: str
    version: int | None
    detail: dict[str, Any]
    charge: dict[str, Any] | None


class TracePublic(BaseModel):
    """Everything that touched a dataset (version), in audit order."""

    dataset: str
    version: int | None
    count: int
    truncated: bool
    data: list[TraceItemPublic]
    grants: list[dict[str, Any]]
    data_products: list[dict[str, Any]]

    @classmethod
    def of(cls, t: Trace) -> TracePublic:
        """From the domain object."""
        items = [TraceItemPublic(seq=i.seq, at=i.at, kind=i.kind, action=i.action,
                                 actor=i.actor, role=i.role, outcome=i.outcome,
                                 version=i.version, detail=i.detail, charge=i.charge)
                 for i in t.items]
        return cls(dataset=t.dataset, version=t.version, count=len(items),
                   truncated=t.truncated, data=items, grants=list(t.grants),
                   data_products=list(t.data_products))


# ---- complaints ----------------------------------------------------------------------------

class ComplaintCreate(Strict):
    """Body of ``POST /v1/complaints``; evidence files are attached afterwards."""

    dataset: str = Field(min_length=1, max_length=_NAME)
    kind: str = Field(max_length=32)
    """``privacy`` or ``trade_secret``."""
    description: str = Field(max_length=_TEXT)
    evidence_text: str = Field(default="", max_length=_TEXT)


class EvidencePublic(BaseModel):
    """An evidence file attached to a complaint."""

    id: int
    filename: str
    byte_size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, e: Evidence) -> EvidencePublic:
        """From the domain object."""
        return cls(id=e.id, filename=e.filename, byte_size=e.byte_size, sha256=e.sha256,
                   uploaded_by=e.uploaded_by, uploaded_at=e.uploaded_at)


class ComplaintAnswer(ReprocessIn):
    """Body of ``POST /v1/complaints/{id}/answer``: the answer's text and what was done
    with the dataset: ``restore``, ``reprocess`` (with ``upload_id`` and ``method``) or
    ``end``.
    """

    outcome: Literal["restore", "reprocess", "end"]
    answer: str = Field(max_length=_TEXT)


class ComplaintPublic(BaseModel):
    """A complaint with its evidence and its answer stage."""

    id: int
    complainant: str
    dataset: str
    provider_org: str
    kind: str
    description: str
    evidence_text: str
    evidence: list[EvidencePublic]
    status: str
    submitted_at: datetime
    outcome: str
    answer: str
    new_version: int | None
    answered_by: str | None
    answered_at: datetime | None
    dataset_suspended: bool
    current_stage: StagePublic | None
    stages: list[StagePublic]

    @classmethod
    def of(cls, c: Complaint) -> ComplaintPublic:
        """From the domain object."""
        stages = [StagePublic.of(s) for s in c.stages]
        return cls(id=c.id, complainant=c.complainant, dataset=c.dataset,
                   provider_org=c.provider_org, kind=str(c.kind), description=c.description,
                   evidence_text=c.evidence_text,
                   evidence=[EvidencePublic.of(e) for e in c.evidence], status=str(c.status),
                   submitted_at=c.submitted_at, outcome=c.outcome, answer=c.answer,
                   new_version=c.new_version, answered_by=c.answered_by,
                   answered_at=c.answered_at, dataset_suspended=c.dataset_suspended,
                   current_stage=next((s for s in stages if s.open), None), stages=stages)


# ---- objections ----------------------------------------------------------------------------

class ObjectionCreate(Strict):
    """Body of ``POST /v1/objections``."""

    dataset: str = Field(min_length=1, max_length=_NAME)
    kind: str = Field(max_length=32)
    """``error`` or ``omission``."""
    description: str = Field(max_length=_TEXT)


class ObjectionAnswer(Strict):
    """Body of ``POST /v1/objections/{id}/answer``: ``corrected`` (with the new version
    holding the correction, where there is one) or ``rejected``, with the answer's text.
    """

    outcome: Literal["corrected", "rejected"]
    answer: str = Field(max_length=_TEXT)
    version: Id | None = None


class ObjectionPublic(BaseModel):
    """An objection with its answer stage."""

    id: int
    objector: str
    dataset: str
    provider_org: str
    kind: str
    description: str
    version_at_filing: int | None
    status: str
    submitted_at: datetime
    outcome: str
    answer: str
    corrected_version: int | None
    answered_by: str | None
    answered_at: datetime | None
    current_stage: StagePublic | None
    stages: list[StagePublic]

    @classmethod
    def of(cls, o: Objection) -> ObjectionPublic:
        """From the domain object."""
        stages = [StagePublic.of(s) for s in o.stages]
        return cls(id=o.id, objector=o.objector, dataset=o.dataset,
                   provider_org=o.provider_org, kind=str(o.kind), description=o.description,
                   version_at_filing=o.version_at_filing, status=str(o.status),
                   submitted_at=o.submitted_at, outcome=o.outcome, answer=o.answer,
                   corrected_version=o.corrected_version, answered_by=o.answered_by,
                   answered_at=o.answered_at,
                   current_stage=next((s for s in stages if s.open), None), stages=stages)


# ---- usage and risk reports, enforcement ---------------------------------------------------

class ReportCreate(Strict):
    """Body of ``POST /v1/usage-reports``: a ``usage`` report fills ``use``, ``results``
    and ``benefits``; a ``risk`` report fills ``data_used``, ``processing``, ``risks`` and
    ``measures``.
    """

    grant_id: Id
    kind: str = Field(max_length=16)
    use: str | None = Field(default=None, max_length=_TEXT)
    results: str | None = Field(default=None, max_length=_TEXT)
    benefits: str | None = Field(default=None, max_length=_TEXT)
    data_used: str | None = Field(default=None, max_length=_TEXT)
    """Kinds and amounts of data used."""
    processing: str | None = Field(default=None, max_length=_TEXT)
    risks: str | None = Field(default=None, max_length=_TEXT)
    measures: str | None = Field(default=None, max_length=_TEXT)

    def fields(self) -> dict[str, str | None]:
        """The report's text fields by name."""
        return self.model_dump(exclude={"grant_id", "kind"})


class ReportPublic(BaseModel):
    """A filed report."""

    id: int
    grant_id: int
    grant_ref: str
    kind: str
    content: dict[str, str]
    submitted_by: str
    submitted_at: datetime

    @classmethod
    def of(cls, r: UsageReport) -> ReportPublic:
        """From the domain object."""
        return cls(id=r.id, grant_id=r.grant_id, grant_ref=r.grant_ref, kind=str(r.kind),
                   content=r.content, submitted_by=r.submitted_by,
                   submitted_at=r.submitted_at)


class ReportDuePublic(BaseModel):
    """When a grant's next report of one kind is due, and whether it is missing."""

    grant_id: int
    grant_ref: str
    holder: str
    provider_org: str
    grant_status: str
    kind: str
    interval_days: int
    last_report_at: datetime | None
    due_on: date
    missing: bool
    days_overdue: int

    @classmethod
    def of(cls, d: ReportDue) -> ReportDuePublic:
        """From the domain object."""
        return cls(grant_id=d.grant_id, grant_ref=d.grant_ref, holder=d.holder,
                   provider_org=d.provider_org, grant_status=d.grant_status,
                   kind=str(d.kind), interval_days=d.interval_days,
                   last_report_at=d.last_report_at, due_on=d.due_on, missing=d.missing,
                   days_overdue=d.days_overdue)


class ReportDueList(BaseModel):
    """Report deadlines, the missing ones first."""

    data: list[ReportDuePublic]
    count: int
    missing: int


class EnforcementRequest(Strict):
    """Body of the enforcement steps: the user and the reason."""

    user_id: Id
    reason: str = Field(max_length=2000)


class EnforcementPublic(BaseModel):
    """The grants an enforcement step changed."""

    user_id: int
    step: str
    grants: list[GrantPublic]

    @classmethod
    def of(cls, user_id: int, step: str, grants: list[Grant]) -> EnforcementPublic:
        """From the changed grants."""
        return cls(user_id=user_id, step=step, grants=[GrantPublic.of(g) for g in grants])


# ---- data products -------------------------------------------------------------------------

class ProductSourceIn(Strict):
    """A source dataset; ``version`` defaults to the newest."""

    dataset: str = Field(min_length=1, max_length=_NAME)
    version: Id | None = None


class ProductCreate(Strict):
    """Body of ``POST /v1/data-products``."""

    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=_TEXT)
    sources: list[ProductSourceIn] = Field(default_factory=list, max_length=20)
    grant_id: Id | None = None
    payload: Any = None
    """The product's content as JSON (at most 64 KiB encoded)."""
    job_id: Id | None = None
    """A released result of yours to publish: its datasets, versions, grant and result
    become the product's sources, grant and payload."""


class ProductSourcePublic(BaseModel):
    """A source dataset with the version used and that version's date."""

    dataset: str
    version: int
    version_created_at: datetime
    open_attribute: str


class ProductPublic(BaseModel):
    """A published data product; lists leave the payload out (``null``)."""

    id: int
    publisher: str
    title: str
    description: str
    sources: list[ProductSourcePublic]
    grant_ref: str | None
    payload_sha256: str
    published_at: datetime
    payload: Any = None
    job_id: int | None = None

    @classmethod
    def of(cls, p: DataProduct, *, with_payload: bool) -> ProductPublic:
        """From the domain object."""
        return cls(id=p.id, publisher=p.publisher, title=p.title, description=p.description,
                   sources=[ProductSourcePublic(dataset=s.dataset, version=s.version,
                                                version_created_at=s.version_created_at,
                                                open_attribute=s.open_attribute)
                            for s in p.sources],
                   grant_ref=p.grant_ref, payload_sha256=p.payload_sha256,
                   published_at=p.published_at, job_id=p.job_id,
                   payload=p.payload if with_payload else None)


# ---- figures -------------------------------------------------------------------------------

class DeadlineFiguresPublic(BaseModel):
    """Response times of one kind of stage against its deadline, in working days."""

    subject: str
    stage: str
    working_days_allowed: int
    closed: int
    met: int
    missed: int
    open: int
    open_overdue: int
    median_working_days: float | None
    worst_working_days: int | None


class CaseFiguresPublic(BaseModel):
    """Complaints or objections: open, overdue and answered."""

    open: int
    overdue: int
    answered: int


class BudgetFiguresPublic(BaseModel):
    """A dataset's lifetime budget: limit and spent (exact decimals), and its charges."""

    dataset: str
    accounting: str
    limit_loss: str
    spent_loss: str
    limit_delta: str
    spent_delta: str
    grant_accounts: int
    charges: int


class StatsPublic(BaseModel):
    """The platform's own figures."""

    at: datetime
    datasets_by_attribute: dict[str, int]
    datasets_suspended: int
    datasets_withdrawn: int
    applications_by_status: dict[str, int]
    demands_by_status: dict[str, int]
    grants_by_status: dict[str, int]
    deadlines: list[DeadlineFiguresPublic]
    complaints: CaseFiguresPublic
    objections: CaseFiguresPublic
    reports_missing: int
    data_products: int
    budgets: list[BudgetFiguresPublic]

    @classmethod
    def of(cls, s: Stats) -> StatsPublic:
        """From the domain object."""
        return cls(
            at=s.at, datasets_by_attribute=s.datasets_by_attribute,
            datasets_suspended=s.datasets_suspended, datasets_withdrawn=s.datasets_withdrawn,
            applications_by_status=s.applications_by_status,
            demands_by_status=s.demands_by_status, grants_by_status=s.grants_by_status,
            deadlines=[DeadlineFiguresPublic(**vars(d)) for d in s.deadlines],
            complaints=CaseFiguresPublic(**vars(s.complaints)),
            objections=CaseFiguresPublic(**vars(s.objections)),
            reports_missing=s.reports_missing, data_products=s.data_products,
            budgets=[BudgetFiguresPublic(**vars(b)) for b in s.budgets])
