"""SQLAlchemy 2 table models. They stay inside ``sandbox.store`` and the services that use
them; the HTTP layer only ever sees domain objects or schemas built from them.

Every change to these classes needs an Alembic migration under ``migrations/versions``;
``tests/integration/test_migrations.py`` checks that the migrations and the models agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every metadata table."""


class OrganisationRow(Base):
    """An organisation: a provider body, a using body or an authority."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    """A platform account with exactly one role."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EligibilityFactRow(Base):
    """One recorded eligibility fact; the newest per (user, fact) is the current value."""

    __tablename__ = "eligibility_facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    fact: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    set_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A bearer token, stored only as its SHA-256 hash."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DatasetRow(Base):
    """A catalog entry. Its data lives in immutable :class:`DatasetVersionRow` files."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    open_attribute: Mapped[str] = mapped_column(String(32))
    open_conditions: Mapped[str] = mapped_column(Text)
    data_format: Mapped[str] = mapped_column(String(64))
    data_type: Mapped[str] = mapped_column(String(64))
    update_frequency: Mapped[str] = mapped_column(String(32))
    contact: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(Text)
    privacy_unit: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dictionary: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetVersionRow(Base):
    """One immutable version of a dataset, stored as Parquet under the data root."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(16))
    row_count: Mapped[int] = mapped_column(BigInteger)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DesensitisationRow(Base):
    """A recorded desensitisation (脱敏) step applied to a dataset."""

    __tablename__ = "desensitisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    method: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttributeChangeRow(Base):
    """A request to change a dataset's open attribute, decided by the authority."""

    __tablename__ = "attribute_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    from_attribute: Mapped[str] = mapped_column(String(32))
    to_attribute: Mapped[str] = mapped_column(String(32))
    legal_basis: Mapped[str] = mapped_column(Text)
    desensitisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("desensitisations.id"), nullable=True
    )
    consent_reference: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class UploadRow(Base):
    """A staged upload: bytes received but not yet part of the catalog."""

    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntryRow(Base):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(200), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The single row naming the newest audit entry, so a truncated tail is detectable."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class BudgetAccountRow(Base):
    """A privacy budget in ledger units: a dataset's lifetime budget, or one grant's budget
    on one dataset. Spent never exceeds the limit (a check constraint guards it too).
    """

    __tablename__ = "budget_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "ref", "dataset_ref"),
        CheckConstraint("loss_spent >= 0 AND loss_spent <= loss_limit",
                        name="ck_budget_accounts_loss_within_limit"),
        CheckConstraint("delta_spent >= 0 AND delta_spent <= delta_limit",
                        name="ck_budget_accounts_delta_within_limit"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200))
    dataset_ref: Mapped[str] = mapped_column(String(200), index=True)
    accounting: Mapped[str] = mapped_column(String(16))
    loss_limit: Mapped[int] = mapped_column(BigInteger)
    loss_spent: Mapped[int] = mapped_column(BigInteger)
    delta_limit: Mapped[int] = mapped_column(BigInteger)
    delta_spent: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BudgetChargeRow(Base):
    """One charge against a grant account and its dataset's lifetime account together."""

    __tablename__ = "budget_charges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_account_id: Mapped[int] = mapped_column(ForeignKey("budget_accounts.id"), index=True)
    dataset_account_id: Mapped[int] = mapped_column(ForeignKey("budget_accounts.id"),
                                                    index=True)
    grant_ref: Mapped[str] = mapped_column(String(200), index=True)
    dataset_ref: Mapped[str] = mapped_column(String(200), index=True)
    loss_units: Mapped[int] = mapped_column(BigInteger)
    delta_units: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    charged_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class PolicyDocumentRow(Base):
    """One version of a policy document: the authority's floor or a dataset's policy.

    Documents are never overwritten; the newest row per (level, ref) is in force, so the
    history of who set which rule when stays readable.
    """

    __tablename__ = "policy_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApplicationRow(Base):
    """An application for conditional data (Wuxi art. 15; Qingdao art. 17).

    Its review stages, with their deadlines and who closed them, are
    :class:`WorkflowStageRow` rows.
    """

    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    applicant_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                         nullable=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    datasets: Mapped[list[str]] = mapped_column(JSON)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    results_form: Mapped[str] = mapped_column(Text)
    scenario: Mapped[str] = mapped_column(Text)
    security_measures: Mapped[str] = mapped_column(Text)
    commitment_signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")


class GrantRow(Base):
    """A grant created by an approval; active only once its user accepted the agreement.

    ``status`` is the stored control state; a grant past ``valid_until`` reads as expired
    whatever it holds (see :func:`sandbox.access.rules.grant_status_at`).
    """

    __tablename__ = "grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    datasets: Mapped[list[str]] = mapped_column(JSON)
    job_kinds: Mapped[list[str]] = mapped_column(JSON)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agreement_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreement_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreement_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    report_interval_days: Mapped[int] = mapped_column(Integer, default=90,
                                                      server_default=text("90"))


class DemandRow(Base):
    """A request for data not yet open (Qingdao art. 18; Wuxi art. 9; Xi'an art. 19)."""

    __tablename__ = "demands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    dataset_name: Mapped[str] = mapped_column(String(200), default="")
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    opened_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"),
                                                          nullable=True)


class WorkflowStageRow(Base):
    """One stage of an application or a request, with its deadline in working days.

    ``due_on`` is computed with the working-day calendar when the stage opens and never
    moves afterwards; ``closed_at`` against ``due_at`` tells whether it was met.
    """

    __tablename__ = "workflow_stages"
    __table_args__ = (
        CheckConstraint("assignee_role IN ('authority', 'provider')",
                        name="ck_workflow_stages_assignee_role"),
        Index("ix_workflow_stages_subject", "subject_type", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(32))
    assignee_role: Mapped[str] = mapped_column(String(32))
    assignee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        nullable=True)
    working_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ComplaintRow(Base):
    """A complaint of infringed privacy or trade secrets against a dataset (Xi'an art. 17;
    Wuxi art. 23; Qingdao art. 19). Its answer stage is a :class:`WorkflowStageRow`.
    """

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    new_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ComplaintEvidenceRow(Base):
    """A file attached to a complaint as evidence, stored under the var directory."""

    __tablename__ = "complaint_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetSuspensionRow(Base):
    """A suspension of a dataset by its provider (中止开放), and how it was resolved.

    ``in_force`` is true while it blocks every use: until it is resolved as ``restored``
    or ``reprocessed``, and for good once it is resolved as ``ended``.
    """

    __tablename__ = "dataset_suspensions"
    __table_args__ = (Index("ix_dataset_suspensions_in_force", "dataset_id", "in_force"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"),
                                                     nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    suspended_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suspended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    in_force: Mapped[bool] = mapped_column(Boolean)
    resolution: Mapped[str] = mapped_column(String(32), default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    new_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ObjectionRow(Base):
    """An objection to errors or omissions in a dataset (Xi'an art. 24; Qingdao art. 19;
    Wuxi art. 17). Its answer stage is a :class:`WorkflowStageRow`.
    """

    __tablename__ = "objections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    version_at_filing: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    corrected_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsageReportRow(Base):
    """A usage report or a periodic risk report filed by a grant's holder (Qingdao art. 7;
    Xi'an art. 25); ``content`` holds the fields of its kind.
    """

    __tablename__ = "usage_reports"
    __table_args__ = (Index("ix_usage_reports_grant_kind", "grant_id", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"))
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DataProductRow(Base):
    """A data product published from opened data, with its sources and their dates
    (Qingdao art. 20; Xi'an art. 29).
    """

    __tablename__ = "data_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publisher_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"), nullable=True)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    """The released job result the product was made from, if any."""


class JobRow(Base):
    """An algorithm-model job: what was submitted, under which grant, where it stands, and
    what it produced. ``state`` follows the lifecycle of DESIGN.md; every change to it is
    written here before it is acted on and audited (:mod:`sandbox.jobs.lifecycle`).

    ``log``, ``errors`` and ``result`` of a raw-access job are held for the output checks
    and review: the API never shows them to the job's owner.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state", "state"), Index("ix_jobs_owner", "owner_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    grant_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    datasets: Mapped[dict[str, int]] = mapped_column(JSON)
    """Dataset name to the version the job was submitted against."""
    model_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    backend: Mapped[str] = mapped_column(String(32))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(32))
    state_reason: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    log: Mapped[list[str]] = mapped_column(JSON)
    errors: Mapped[list[str]] = mapped_column(JSON)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    result_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    releases: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """Reports of the DP releases the broker made for the job (cost, mechanism, dataset)."""
    verified: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """A raw-access job's verified outputs by id: what the trusted side computed for the
    ``ctx`` helpers, with the counts and contributions behind each cell (never shown to the
    job's owner; the checks and, for released jobs, later differencing checks read them)."""
    check_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    release: Mapped[Any] = mapped_column(JSON, nullable=True)
    """The result as it would be (or was) released: after the platform's rounding and
    redaction."""
    auto_released: Mapped[bool] = mapped_column(Boolean, default=False)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                         nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReviewDecisionRow(Base):
    """One reviewer's decision on a job's result: ``approve``, ``reject`` or ``return``."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("job_id", "reviewer_id", name="uq_review_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
