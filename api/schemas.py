"""Request and response schemas. Responses are built from domain objects, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.audit import AuditEntry, VerifyReport
from sandbox.catalog.model import AttributeChange, CatalogEntry, Desensitisation, VersionInfo
from sandbox.identity.model import (
    EligibilityFact,
    Organisation,
    OrganisationKind,
    Role,
    TokenInfo,
    User,
)


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error and not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    """Liveness answer."""

    status: str


# ---- organisations and users -------------------------------------------------------------

class OrganisationCreate(Strict):
    """Body of ``POST /v1/organisations``."""

    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind


class OrganisationPublic(BaseModel):
    """An organisation."""

    id: int
    name: str
    kind: OrganisationKind
    created_at: datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationPublic:
        """From the domain object."""
        return cls(id=org.id, name=org.name, kind=org.kind, created_at=org.created_at)


class EligibilityPublic(BaseModel):
    """The current value of an eligibility fact."""

    fact: EligibilityFact
    value: str
    note: str
    set_by: str
    set_at: datetime


class UserCreate(Strict):
    """Body of ``POST /v1/users``."""

    username: str = Field(min_length=2, max_length=63)
    role: Role
    display_name: str = Field(default="", max_length=200)
    organisation_id: int | None = None
    with_token: bool = True
    """Issue a first API token and return its secret once."""


class UserPublic(BaseModel):
    """An account."""

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    organisation_name: str | None
    active: bool
    created_at: datetime
    eligibility: list[EligibilityPublic]

    @classmethod
    def of(cls, user: User) -> UserPublic:
        """From the domain object."""
        return cls(
            id=user.id, username=user.username, display_name=user.display_name, role=user.role,
            organisation_id=user.organisation_id, organisation_name=user.organisation_name,
            active=user.active, created_at=user.created_at,
            eligibility=[EligibilityPublic(fact=e.fact, value=e.value, note=e.note,
                                           set_by=e.set_by, set_at=e.set_at)
                         for e in user.eligibility],
        )


class UserCreated(BaseModel):
    """A new account, with its first token's secret when one was asked for."""

    user: UserPublic
    token: str | None


class EligibilitySet(Strict):
    """Body of ``POST /v1/users/{id}/eligibility``."""

    fact: EligibilityFact
    value: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)


# ---- tokens -------------------------------------------------------------------------------

class TokenCreate(Strict):
    """Body of ``POST /v1/tokens``."""

    name: str = Field(default="default", max_length=100)
    days: int = 90
    user_id: int | None = None
    """Whose token; defaults to the caller (only an admin may name another account)."""


class TokenPublic(BaseModel):
    """A token's metadata (never its secret)."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: TokenInfo) -> TokenPublic:
        """From the domain object."""
        return cls(id=info.id, user_id=info.user_id, name=info.name, prefix=info.prefix,
                   created_at=info.created_at, expires_at=info.expires_at,
                   revoked_at=info.revoked_at)


class TokenCreated(BaseModel):
    """A new token: the secret is shown here and never again."""

    token: str
    info: TokenPublic


# ---- uploads and datasets -----------------------------------------------------------------

class UploadPublic(BaseModel):
    """A staged upload, ready to be named in a registration."""

    upload_id: str
    filename: str
    byte_size: int
    sha256: str


class ColumnIn(Strict):
    """One column of the data dictionary as sent by a provider."""

    name: str
    type: str
    description: str = ""
    classification: str
    categories: list[str] | None = None
    lower: float | None = None
    upper: float | None = None
    nullable: bool = True


class SourceIn(Strict):
    """Where the data comes from: a staged upload or a server-side path/URI."""

    upload_id: str | None = None
    path: str | None = None


class DatasetCreate(Strict):
    """Body of ``POST /v1/datasets``."""

    name: str
    title: str
    description: str = ""
    open_attribute: str
    open_conditions: str = ""
    data_format: str = "parquet"
    data_type: str = "table"
    update_frequency: str = "irregular"
    contact: str
    legal_basis: str = ""
    privacy_unit: str | None = None
    dictionary: list[ColumnIn]
    source: SourceIn
    format: Literal["parquet", "csv", "arrow"] | None = None


class VersionCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/versions``."""

    source: SourceIn
    format: Literal["parquet", "csv", "arrow"] | None = None
    note: str = Field(default="", max_length=2000)


class VersionPublic(BaseModel):
    """One version's metadata (its quality report is served separately)."""

    version: int
    source_format: str
    row_count: int
    byte_size: int
    sha256: str
    created_at: datetime
    created_by: str
    note: str
    quality_passed: bool

    @classmethod
    def of(cls, v: VersionInfo) -> VersionPublic:
        """From the domain object."""
        return cls(version=v.version, source_format=str(v.source_format), row_count=v.row_count,
                   byte_size=v.byte_size, sha256=v.sha256, created_at=v.created_at,
                   created_by=v.created_by, note=v.note,
                   quality_passed=bool(v.quality.get("passed")))


class DesensitisationPublic(BaseModel):
    """A desensitisation record."""

    id: int
    method: str
    description: str
    version: int | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, d: Desensitisation) -> DesensitisationPublic:
        """From the domain object."""
        return cls(id=d.id, method=d.method, description=d.description, version=d.version,
                   recorded_by=d.recorded_by, recorded_at=d.recorded_at)


class DatasetPublic(BaseModel):
    """A catalog entry as the caller may see it.

    For not-open data, callers other than its provider and the supervising roles get the
    entry and its legal basis only: ``details_visible`` is false and the dictionary,
    privacy unit and versions are empty.
    """

    name: str
    title: str
    description: str
    provider_org: str
    open_attribute: str
    open_conditions: str
    data_format: str
    data_type: str
    update_frequency: str
    contact: str
    legal_basis: str
    stale: bool
    created_at: datetime
    updated_at: datetime
    details_visible: bool
    privacy_unit: str | None = None
    dictionary: list[dict[str, Any]] | None = None
    versions: list[VersionPublic] | None = None
    desensitisations: list[DesensitisationPublic]
    downloadable: bool

    @classmethod
    def of(cls, entry: CatalogEntry, *, details: bool) -> DatasetPublic:
        """From the domain object, hiding details the caller may not see."""
        m = entry.metadata
        return cls(
            name=m.name, title=m.title, description=m.description,
            provider_org=entry.provider_org, open_attribute=str(m.open_attribute),
            open_conditions=m.open_conditions, data_format=m.data_format,
            data_type=m.data_type, update_frequency=str(m.update_frequency), contact=m.contact,
            legal_basis=m.legal_basis, stale=entry.stale, created_at=entry.created_at,
            updated_at=entry.updated_at, details_visible=details,
            privacy_unit=m.privacy_unit if details else None,
            dictionary=m.dictionary.to_list() if details else None,
            versions=[VersionPublic.of(v) for v in entry.versions] if details else None,
            desensitisations=[DesensitisationPublic.of(d) for d in entry.desensitisations],
            downloadable=str(m.open_attribute) == "unconditional",
        )


class DatasetsPublic(BaseModel):
    """A list of catalog entries."""

    data: list[DatasetPublic]
    count: int


class QualityPublic(BaseModel):
    """A version's quality report: counts only, never a value."""

    dataset: str
    version: int
    report: dict[str, Any]


class PreviewPublic(BaseModel):
    """Preview rows; ``synthetic`` is true when they are generated, not real."""

    dataset: str
    synthetic: bool
    columns: list[str]
    rows: list[dict[str, Any]]


class RowsPage(BaseModel):
    """A page of rows of unconditional data."""

    dataset: str
    version: int
    total_rows: int
    offset: int
    limit: int
    columns: list[str]
    rows: list[dict[str, Any]]


class DesensitisationCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/desensitisations``."""

    method: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    version: int | None = None


class AttributeChangeCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/attribute-changes``."""

    to_attribute: str
    legal_basis: str = ""
    desensitisation_id: int | None = None
    consent_reference: str = ""
    reason: str = ""


class AttributeDecision(Strict):
    """Body of ``POST /v1/attribute-changes/{id}/decision``."""

    approve: bool
    note: str = Field(default="", max_length=5000)


class AttributeChangePublic(BaseModel):
    """An attribute-change request and its decision."""

    id: int
    dataset: str
    from_attribute: str
    to_attribute: str
    legal_basis: str
    desensitisation_id: int | None
    consent_reference: str
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str

    @classmethod
    def of(cls, c: AttributeChange) -> AttributeChangePublic:
        """From the domain object."""
        return cls(id=c.id, dataset=c.dataset, from_attribute=str(c.from_attribute),
                   to_attribute=str(c.to_attribute), legal_basis=c.legal_basis,
                   desensitisation_id=c.desensitisation_id,
                   consent_reference=c.consent_reference, reason=c.reason,
                   status=str(c.status), requested_by=c.requested_by,
                   requested_at=c.requested_at, decided_by=c.decided_by,
                   decided_at=c.decided_at, decision_note=c.decision_note)


# ---- audit --------------------------------------------------------------------------------

class AuditEntryPublic(BaseModel):
    """One audit entry."""

    seq: int
    at: str
    actor_id: int | None
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryPublic:
        """From the domain object."""
        return cls(**e.to_dict())


class AuditPage(BaseModel):
    """A page of the audit log."""

    data: list[AuditEntryPublic]
    count: int


class AuditProblemPublic(BaseModel):
    """One break in the chain."""

    seq: int
    problem: str


class AuditVerifyPublic(BaseModel):
    """The outcome of verifying the whole chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    problems: list[AuditProblemPublic]

    @classmethod
    def of(cls, r: VerifyReport) -> AuditVerifyPublic:
        """From the domain object."""
        return cls(ok=r.ok, entries_checked=r.entries_checked, head_seq=r.head_seq,
                   problems=[AuditProblemPublic(seq=p.seq, problem=p.problem)
                             for p in r.problems])


# ---- policies and budgets -----------------------------------------------------------------

class PolicyDocumentIn(Strict):
    """Body of ``PUT`` on a policy: the document as a JSON object, or YAML/JSON text."""

    document: dict[str, Any] | str


class PolicyPublic(BaseModel):
    """A policy level in force (``set_by`` is null while only the defaults apply)."""

    level: str
    ref: str
    document: dict[str, Any]
    set_by: str | None
    set_at: datetime | None


class FloorSet(BaseModel):
    """A new floor, and the datasets whose own policy it now overrides."""

    floor: PolicyPublic
    overridden_datasets: list[str]


class DatasetPolicyPublic(BaseModel):
    """A dataset's policy levels and the effective policy jobs on it run under."""

    dataset: str
    floor: PolicyPublic
    dataset_policy: PolicyPublic
    effective: dict[str, Any]


class CostPublic(BaseModel):
    """An exact privacy cost, shown as decimal strings (and floats for convenience)."""

    loss: str
    delta: str
    loss_float: float
    delta_float: float


class AccountPublic(BaseModel):
    """One budget account."""

    kind: str
    ref: str
    accounting: str
    limit: CostPublic
    spent: CostPublic
    remaining: CostPublic


class BudgetPublic(BaseModel):
    """A dataset's lifetime account and every grant's account on it."""

    dataset: str
    accounts: list[AccountPublic]
