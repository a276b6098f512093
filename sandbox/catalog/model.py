"""Catalog value types: open attributes, update frequencies, entries, versions, changes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sandbox.catalog.dictionary import DataDictionary


class OpenAttribute(enum.StrEnum):
    """The three open attributes of the rules (无条件开放 / 有条件开放 / 不予开放)."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    CLOSED = "closed"

    @property
    def strictness(self) -> int:
        """Higher is stricter; used to tell a tightening from a loosening."""
        return _STRICTNESS[self]


_STRICTNESS = {
    OpenAttribute.UNCONDITIONAL: 0,
    OpenAttribute.CONDITIONAL: 1,
    OpenAttribute.CLOSED: 2,
}


class UpdateFrequency(enum.StrEnum):
    """How often the provider promises new data; an older last version is flagged stale."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"

    @property
    def max_age(self) -> timedelta:
        """Age past which the newest version is stale (irregular data: over a year, Wuxi
        art. 13).
        """
        return timedelta(days=_MAX_AGE_DAYS[self])


_MAX_AGE_DAYS = {
    UpdateFrequency.DAILY: 1,
    UpdateFrequency.WEEKLY: 7,
    UpdateFrequency.MONTHLY: 31,
    UpdateFrequency.QUARTERLY: 92,
    UpdateFrequency.YEARLY: 366,
    UpdateFrequency.IRREGULAR: 366,
}


class SourceFormat(enum.StrEnum):
    """File formats a dataset version may be registered from."""

    PARQUET = "parquet"
    CSV = "csv"
    ARROW = "arrow"


class ReviewStatus(enum.StrEnum):
    """The authority's publication review of a dataset version (Qingdao art. 10, 12;
    Lianyungang art. 11-12): submitted and waiting, passed (published), or returned to the
    provider with the reason.
    """

    SUBMITTED = "submitted"
    PASSED = "passed"
    RETURNED = "returned"


class ChangeStatus(enum.StrEnum):
    """State of an attribute-change request."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class DatasetMetadata:
    """What a provider declares when registering a dataset (REQUIREMENTS.md, catalog entry)."""

    name: str
    title: str
    description: str
    open_attribute: OpenAttribute
    open_conditions: str
    data_format: str
    data_type: str
    update_frequency: UpdateFrequency
    contact: str
    legal_basis: str
    privacy_unit: str | None
    dictionary: DataDictionary


@dataclass(frozen=True)
class VersionInfo:
    """One immutable version of a dataset."""

    version: int
    source_format: SourceFormat
    row_count: int
    byte_size: int
    sha256: str
    created_at: datetime
    created_by: str
    note: str
    quality: dict[str, Any]
    review_status: ReviewStatus = ReviewStatus.PASSED
    """The authority's publication review of this version (the catalog's reads set it from
    the store)."""
    review_note: str = ""
    reviewed_at: datetime | None = None

    @property
    def published(self) -> bool:
        """Whether the authority passed this version (only then is it visible and used)."""
        return self.review_status is ReviewStatus.PASSED


@dataclass(frozen=True)
class Desensitisation:
    """A recorded desensitisation step."""

    id: int
    method: str
    description: str
    version: int | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class AttributeChange:
    """A request to change an open attribute and its decision."""

    id: int
    dataset: str
    from_attribute: OpenAttribute
    to_attribute: OpenAttribute
    legal_basis: str
    desensitisation_id: int | None
    consent_reference: str
    reason: str
    status: ChangeStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


@dataclass(frozen=True)
class CatalogEntry:
    """A dataset's catalog entry with its versions and desensitisation record."""

    id: int
    metadata: DatasetMetadata
    provider_org_id: int
    provider_org: str
    created_at: datetime
    updated_at: datetime
    versions: tuple[VersionInfo, ...]
    desensitisations: tuple[Desensitisation, ...]
    stale: bool
    grade: str | None = None
    """The security grade the authority approved (None: none yet, the strictest holds)."""
    proposed_grade: str | None = None
    """The provider's grade waiting for the authority's approval."""

    @property
    def name(self) -> str:
        """The dataset's unique name."""
        return self.metadata.name

    @property
    def latest(self) -> VersionInfo | None:
        """The newest published version (the current one), if any was passed."""
        published = [v for v in self.versions if v.published]
        return published[-1] if published else None

    @property
    def published(self) -> bool:
        """Whether the entry is in the public catalog: some version was passed."""
        return any(v.published for v in self.versions)
