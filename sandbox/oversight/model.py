"""Oversight value types: complaints, suspensions' resolutions, objections, reports, data
products, the leak trace and the platform's figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sandbox.access.model import Stage
from sandbox.oversight.participation_figures import PlanProgress
from sandbox.oversight.usage import DatasetUsage


class ComplaintKind(enum.StrEnum):
    """What a complaint says was infringed (Xi'an art. 17; Wuxi art. 23)."""

    PRIVACY = "privacy"
    """Personal information or privacy."""
    TRADE_SECRET = "trade_secret"
    """A commercial (trade) secret."""


class CaseStatus(enum.StrEnum):
    """Where a complaint or an objection stands."""

    OPEN = "open"
    """Waiting for the provider's answer (10 working days)."""
    ANSWERED = "answered"


class Resolution(enum.StrEnum):
    """How a provider resolves a suspension, or answers a complaint (Xi'an art. 17)."""

    RESTORED = "restored"
    """The dataset is open again as it was (the complaint was unfounded or is settled)."""
    REPROCESSED = "reprocessed"
    """A new desensitised version was stored, recorded, and the dataset is open again."""
    ENDED = "ended"
    """The dataset is withdrawn for good: its suspension stays in force."""


RESOLUTION_STEPS: dict[str, Resolution] = {
    "restore": Resolution.RESTORED,
    "reprocess": Resolution.REPROCESSED,
    "end": Resolution.ENDED,
}
"""The verbs of the API and the resolutions they record."""


class ObjectionKind(enum.StrEnum):
    """What an objection is about (Xi'an art. 24; Qingdao art. 19: errors, omissions, and
    opening that infringes lawful rights).
    """

    ERROR = "error"
    """A value in the data is wrong."""
    OMISSION = "omission"
    """Rows or fields are missing."""
    QUALITY = "quality"
    """The data is stale, inconsistent or unusable as published."""
    OPEN_ATTRIBUTE = "open_attribute"
    """The dataset's open attribute (unconditional, conditional, not open) is wrong."""
    ILLEGALITY = "illegality"
    """Opening the data is unlawful or infringes someone's lawful rights."""

    @property
    def corrected_by(self) -> str:
        """What a ``corrected`` answer must name: ``version`` (the corrected data) or
        ``attribute_change`` (a request to change the open attribute).
        """
        return "attribute_change" if self is ObjectionKind.OPEN_ATTRIBUTE else "version"


class ObjectionOutcome(enum.StrEnum):
    """The provider's answer to an objection."""

    CORRECTED = "corrected"
    """The data was corrected (as a new version where there is one)."""
    REJECTED = "rejected"
    """The data is right as it stands; the answer says why."""


class ReportKind(enum.StrEnum):
    """The reports a grant's holder owes at the grant's interval."""

    USAGE = "usage"
    """Use, results and benefits (Qingdao art. 7)."""
    RISK = "risk"
    """Kinds and amounts of data used, processing done, risks met, measures taken (Xi'an
    art. 25)."""


REPORT_FIELDS: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.USAGE: ("use", "results", "benefits"),
    ReportKind.RISK: ("data_used", "processing", "risks", "measures"),
}
"""The fields each kind of report must fill in."""


@dataclass(frozen=True)
class Evidence:
    """A file attached to a complaint (its bytes are read through the service)."""

    id: int
    complaint_id: int
    filename: str
    byte_size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Complaint:
    """A complaint with its evidence, the dataset's suspension state and its stage."""

    id: int
    complainant: str
    dataset: str
    provider_org: str
    kind: ComplaintKind
    description: str
    evidence_text: str
    evidence: tuple[Evidence, ...]
    status: CaseStatus
    submitted_at: datetime
    outcome: str
    """``""`` while open; a :class:`Resolution` once answered."""
    answer: str
    new_version: int | None
    answered_by: str | None
    answered_at: datetime | None
    dataset_suspended: bool
    """Whether a suspension is in force on the dataset now."""
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class Objection:
    """An objection to errors or omissions, with its stage."""

    id: int
    objector: str
    dataset: str
    provider_org: str
    kind: ObjectionKind
    description: str
    version_at_filing: int | None
    status: CaseStatus
    submitted_at: datetime
    outcome: str
    answer: str
    corrected_version: int | None
    answered_by: str | None
    answered_at: datetime | None
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class UsageReport:
    """A usage or risk report as filed."""

    id: int
    grant_id: int
    grant_ref: str
    kind: ReportKind
    content: dict[str, str]
    submitted_by: str
    submitted_at: datetime


@dataclass(frozen=True)
class ReportDue:
    """When a grant's next report of one kind is due, computed when read."""

    grant_id: int
    grant_ref: str
    holder: str
    provider_org: str
    grant_status: str
    kind: ReportKind
    interval_days: int
    last_report_at: datetime | None
    due_on: date
    """The last day of the interval: the last report's day (or the day the grant became
    active) plus the interval, in the calendar's time zone."""
    missing: bool
    """Whether ``due_on`` has passed with no report."""
    days_overdue: int


@dataclass(frozen=True)
class ProductSource:
    """A dataset a data product was made from, with its version and the version's date."""

    dataset: str
    version: int
    version_created_at: datetime
    open_attribute: str


@dataclass(frozen=True)
class DataProduct:
    """A published data product (Qingdao art. 20; Xi'an art. 29)."""

    id: int
    publisher: str
    title: str
    description: str
    sources: tuple[ProductSource, ...]
    grant_ref: str | None
    payload: Any
    payload_sha256: str
    published_at: datetime
    job_id: int | None = None
    """The released job result the product publishes, if any."""


@dataclass(frozen=True)
class TraceItem:
    """One touch of a dataset: an audit entry, with the ledger charge it recorded."""

    seq: int
    at: str
    kind: str
    """``download``, ``query``, ``preview``, ``charge``, ``job``, ``result``, ``release``,
    ``refused``, or the entry's object kind for anything else."""
    action: str
    actor: str
    role: str
    outcome: str
    version: int | None
    """The dataset version the entry names; ``None`` when it names none."""
    detail: dict[str, Any]
    charge: dict[str, Any] | None
    """For a charge: its id, grant, cost and current status, from the ledger."""


@dataclass(frozen=True)
class Trace:
    """Everything that touched a dataset (version), in order, for a suspected leak."""

    dataset: str
    version: int | None
    items: tuple[TraceItem, ...]
    truncated: bool
    grants: tuple[dict[str, Any], ...]
    """Every grant that covers the dataset: ref, holder, status."""
    data_products: tuple[dict[str, Any], ...]
    """Every data product made from it: id, title, publisher, version, published_at."""


@dataclass(frozen=True)
class DeadlineFigures:
    """Response times of one kind of stage against its deadline."""

    subject: str
    stage: str
    working_days_allowed: int
    closed: int
    met: int
    missed: int
    open: int
    open_overdue: int
    median_working_days: float | None
    """Median working days from a stage's start to its close (closed stages)."""
    worst_working_days: int | None


@dataclass(frozen=True)
class CaseFigures:
    """Complaints or objections: open, overdue and answered."""

    open: int
    overdue: int
    answered: int


@dataclass(frozen=True)
class BudgetFigures:
    """A dataset's lifetime budget: limit and spent, and its charges."""

    dataset: str
    accounting: str
    limit_loss: str
    spent_loss: str
    limit_delta: str
    spent_delta: str
    grant_accounts: int
    charges: int


@dataclass(frozen=True)
class GovernanceFigures:
    """Catalog governance in the statistics: datasets by grade (with ``ungraded`` and
    ``proposals`` waiting), versions by publication review state (with ``overdue``),
    quality assessments by state (with ``overdue`` and ``reminders`` sent), and datasets
    whose newest version is older than their update frequency allows.
    """

    grades: dict[str, int]
    publication: dict[str, int]
    quality: dict[str, int]
    stale_datasets: int


@dataclass(frozen=True)
class Stats:
    """The platform's own figures (Chengdu art. 41; Lianyungang art. 37)."""

    at: datetime
    datasets_by_attribute: dict[str, int]
    datasets_suspended: int
    datasets_withdrawn: int
    applications_by_status: dict[str, int]
    demands_by_status: dict[str, int]
    grants_by_status: dict[str, int]
    deadlines: tuple[DeadlineFigures, ...]
    complaints: CaseFigures
    objections: CaseFigures
    reports_missing: int
    data_products: int
    budgets: tuple[BudgetFigures, ...]
    dataset_usage: tuple[DatasetUsage, ...] = ()
    """Usage per dataset (views, applications, jobs, downloads, ratings)."""
    governance: GovernanceFigures | None = None
    """Grades, publication reviews, quality assessments and reminders."""
    opening_plans: tuple[PlanProgress, ...] = ()
    """Each published opening plan's progress (Xi'an art. 20-21; Lianyungang art. 11)."""
    law_change_tasks: CaseFigures = CaseFigures(open=0, overdue=0, answered=0)
    """Catalog updates after a change of law: open, overdue, closed (Chengdu art. 14)."""
    public_reports: CaseFigures = CaseFigures(open=0, overdue=0, answered=0)
    """Public reports of misuse and security problems (Lianyungang art. 38; Wuxi art. 17)."""
