"""Access-workflow value types: applications, grants, requests for unopened data, stages.

Each workflow keeps two things apart (examples-to-follow, Domain core): the *stored*
control state that decisions are taken on, and the status users see, which for a grant
also reflects time (a grant past its period reads as ``expired`` without anything having
been written).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sandbox.workdays import TimeLeft


class ApplicationKind(enum.StrEnum):
    """What is applied for (Wuxi art. 15): datasets, or an interface (API) to them."""

    DATASET = "dataset"
    INTERFACE = "interface"


class ApplicationStatus(enum.StrEnum):
    """Where an application stands."""

    SUBMITTED = "submitted"
    """Waiting for the authority's form review (5 working days)."""
    RETURNED = "returned"
    """Returned by the form review with its reason; the applicant may amend and resubmit it
    (then it waits for a new form review)."""
    PROVIDER_REVIEW = "provider_review"
    """Complete; waiting for the provider's decision (10 working days)."""
    APPROVED = "approved"
    """Approved with a scope; a grant was created."""
    REFUSED = "refused"
    """Refused with a reason and a legal basis; the applicant may ask once for re-review."""
    RE_REVIEW = "re_review"
    """The applicant asked the authority to re-review the refusal (复核; 15 working days)."""


class JobKind(enum.StrEnum):
    """Kinds of job a grant may allow."""

    DP = "dp"
    """Differentially private queries through the trusted engine."""
    RAW = "raw"
    """Raw-access jobs inside the hardened sandbox (the dataset policy must allow them)."""


class GrantStatus(enum.StrEnum):
    """A grant's state; ``expired`` is also what any unfinished grant reads as after its
    period.
    """

    PENDING_ACCEPTANCE = "pending_acceptance"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"


class DemandStatus(enum.StrEnum):
    """Where a request for data not yet open stands (Qingdao art. 18)."""

    SUBMITTED = "submitted"
    """Waiting for the authority's form review (5 working days)."""
    RETURNED = "returned"
    """Returned by the form review with its reason (final)."""
    PROVIDER_REVIEW = "provider_review"
    """Waiting for the provider's answer (10 working days)."""
    REFUSED = "refused"
    """The provider refused, with its reason; the requester may ask once for re-review."""
    RE_REVIEW = "re_review"
    """The requester asked the authority to re-review the refusal (复核; 15 working days,
    Chengdu art. 34)."""
    AGREED = "agreed"
    """The provider agreed; the data is to be opened within 20 working days."""
    OPENED = "opened"
    """The provider opened the data as a catalog dataset."""


class Subject(enum.StrEnum):
    """What a workflow stage belongs to."""

    APPLICATION = "application"
    DEMAND = "demand"
    COMPLAINT = "complaint"
    OBJECTION = "objection"
    LAW_CHANGE_TASK = "law_change_task"
    """A dataset's catalog update after a change of law (Chengdu art. 14)."""
    PUBLIC_REPORT = "public_report"
    """A public report of misuse or of a security problem (Lianyungang art. 38; Wuxi art. 17)."""
    DATASET_VERSION = "dataset_version"
    """A dataset version submitted for the authority's publication review (Qingdao art. 12)."""
    QUALITY_ASSESSMENT = "quality_assessment"
    """A dataset's annual quality assessment (Qingdao art. 14; Wuxi art. 13)."""


class StageKind(enum.StrEnum):
    """A step that somebody must take by a deadline."""

    FORM_REVIEW = "form_review"
    PROVIDER_REVIEW = "provider_review"
    OPENING = "opening"
    ANSWER = "answer"
    """The provider's answer to a complaint or an objection."""
    RE_REVIEW = "re_review"
    """The authority's re-review of a refusal the applicant disputes."""
    CATALOG_UPDATE = "catalog_update"
    """The provider's catalog update after a change of law."""
    REPORT_ANSWER = "report_answer"
    """The answer to a public report of misuse or of a security problem."""
    PUBLICATION_REVIEW = "publication_review"
    """The authority's review of a submitted dataset version before publication."""
    QUALITY_ANSWER = "quality_answer"
    """The provider's answer to a quality assessment, with its latest quality report."""
    RECTIFICATION = "rectification"
    """The provider's rectification of a dataset whose quality assessment failed."""


STAGE_WORKING_DAYS: dict[StageKind, int] = {
    StageKind.FORM_REVIEW: 5,
    StageKind.PROVIDER_REVIEW: 10,
    StageKind.OPENING: 20,
    StageKind.ANSWER: 10,
    StageKind.RE_REVIEW: 15,
    StageKind.CATALOG_UPDATE: 15,
    StageKind.REPORT_ANSWER: 10,
    StageKind.PUBLICATION_REVIEW: 2,
    StageKind.QUALITY_ANSWER: 10,
    StageKind.RECTIFICATION: 10,
}
"""Each stage's time limit in working days (Qingdao art. 17, 18, 19; Wuxi art. 9, 15, 17,
23; Xi'an art. 17, 24; Chengdu art. 34: re-review in 15 days, counted in working days as
every administrative time limit here; Chengdu art. 14: the catalog follows a change of
law in 15 working days; a public report is answered in 10, as a complaint is, the rules
naming no figure of their own; Qingdao art. 12: submitted data is reviewed within 2
working days; a quality assessment is answered, and a failed one rectified, within 10, as
a correction is)."""


@dataclass(frozen=True)
class Stage:
    """One stage of a workflow with its deadline, and how and when it ended."""

    id: int
    subject: Subject
    subject_id: int
    kind: StageKind
    assignee_role: str
    """Who must act: ``authority`` or ``provider``."""
    assignee_org: str | None
    """The provider organisation that must act, for provider stages."""
    started_at: datetime
    due_on: date
    """The last day of the time limit, in the calendar's time zone (fixed when the stage
    opened: later calendar edits do not move it)."""
    due_at: datetime
    """The moment the time limit ends (the end of ``due_on``), UTC."""
    closed_at: datetime | None
    closed_by: str | None
    outcome: str
    """How it ended (``passed``, ``returned``, ``approved``, ...); empty while open."""
    note: str
    time_left: TimeLeft | None
    """For an open stage, what its deadline leaves now; ``None`` once closed."""

    @property
    def is_open(self) -> bool:
        """Whether the stage still waits for its assignee."""
        return self.closed_at is None

    @property
    def met_deadline(self) -> bool | None:
        """For a closed stage, whether it closed in time; ``None`` while open."""
        if self.closed_at is None:
            return None
        return self.closed_at < self.due_at


@dataclass(frozen=True)
class ApplicationDraft:
    """What a user submits (Wuxi art. 15; Qingdao art. 17; Lianyungang art. 10).

    Fields are optional here so that :func:`sandbox.access.rules.missing_fields` can name
    every missing one at once instead of stopping at the first.
    """

    title: str | None = None
    reason: str | None = None
    """Why the data is needed (the purpose)."""
    kind: str | None = None
    """``dataset`` or ``interface``."""
    datasets: tuple[str, ...] = ()
    """Conditional datasets of the catalog, all of one provider organisation."""
    period_start: date | None = None
    period_end: date | None = None
    results_form: str | None = None
    """The form the results take (tables, a report, a model, ...)."""
    scenario: str | None = None
    """The application scenario the data will be used in."""
    security_measures: str | None = None
    commitment_signed: bool | None = None
    """The signed commitment to truthfulness, compliance and security; must be true."""


@dataclass(frozen=True)
class Application:
    """An application as the domain sees it."""

    id: int
    applicant: str
    applicant_org: str | None
    provider_org_id: int
    provider_org: str
    title: str
    reason: str
    kind: ApplicationKind
    datasets: tuple[str, ...]
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
    """The legal basis of a refusal (required with it)."""
    grant_id: int | None
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class Grant:
    """A grant: an approved scope, opened when its user accepts the agreement.

    ``ref`` names the grant in the budget ledger. ``policy`` is the grant's policy document
    (``grant_budget`` and any stricter rules), to be layered over the floor and each
    dataset's policy.
    """

    id: int
    ref: str
    application_id: int
    holder_id: int
    holder: str
    provider_org_id: int
    provider_org: str
    datasets: tuple[str, ...]
    job_kinds: tuple[JobKind, ...]
    policy: dict[str, object]
    period_start: date
    period_end: date
    valid_from: datetime
    """Start of ``period_start`` in the calendar's zone, UTC."""
    valid_until: datetime
    """End of ``period_end`` in the calendar's zone, UTC (exclusive)."""
    stored_status: GrantStatus
    """The state as last written."""
    status: GrantStatus
    """The state as of when it was read: ``expired`` once the period is over."""
    status_reason: str
    created_at: datetime
    approved_by: str
    agreement_version: str | None
    agreement_sha256: str | None
    accepted_at: datetime | None
    report_interval_days: int = 90
    """Days between the usage and risk reports its holder owes (Qingdao art. 7; Xi'an
    art. 25); see :mod:`sandbox.oversight.reports`."""


@dataclass(frozen=True)
class Demand:
    """A request for data not yet open, with its stages."""

    id: int
    requester: str
    requester_id: int
    description: str
    dataset_name: str
    """The dataset the user named (free text, or a catalog entry that is not open)."""
    provider_org_id: int | None
    provider_org: str | None
    status: DemandStatus
    submitted_at: datetime
    return_reason: str
    answer: str
    """The provider's answer: the reason of a refusal, or a note with an agreement."""
    legal_basis: str
    opened_dataset: str | None
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class OverdueItem:
    """An open stage past its deadline, for the authority's list."""

    stage: Stage
    title: str
    """What the item is about: the application's title or the demand's text."""
    status: str
