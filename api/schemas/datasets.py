"""Request and response schemas of the catalog: registration, entries, versions, previews,
pages of open data and desensitisation records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    AliasPath,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from api.schemas.common import Choice, FromDomain, Strict, no_default, not_one_of
from api.types import Version
from sandbox.catalog.dictionary import Classification, ColumnType, DataDictionary
from sandbox.catalog.grades import Grade
from sandbox.catalog.model import (
    CatalogEntry,
    OpenAttribute,
    ReviewStatus,
    SourceFormat,
    UpdateFrequency,
)

# ---- registration --------------------------------------------------------------------------


class ColumnIn(Strict):
    """One column of the data dictionary as sent by a provider."""

    name: str
    type: ColumnType
    description: str = ""
    classification: Classification
    categories: list[str] | None = None
    lower: float | None = None
    upper: float | None = None
    nullable: bool = True

    @field_validator("type", "classification", mode="wrap")
    @classmethod
    def _name_the_column(
        cls, value: Any, inner: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        """Refuse an unknown type or classification naming the column, as the domain's
        dictionary parser does (``column 'age': type 'integer' is not one of: ...``).
        """
        try:
            return inner(value)
        except ValidationError:
            kind = ColumnType if info.field_name == "type" else Classification
            name = info.data.get("name")
            column = f"column {name!r}" if isinstance(name, str) else "a column"
            raise not_one_of(f"{column}: {info.field_name}", value, kind) from None


class SourceIn(Strict):
    """Where the data comes from: a staged upload or a server-side path/URI."""

    upload_id: str | None = None
    path: str | None = None


class DatasetCreate(Strict):
    """Body of ``POST /v1/datasets``."""

    name: str
    title: str
    description: str = ""
    open_attribute: Choice[OpenAttribute]
    open_conditions: str = ""
    data_format: str = "parquet"
    data_type: str = "table"
    update_frequency: Choice[UpdateFrequency] = UpdateFrequency.IRREGULAR
    contact: str
    legal_basis: str = ""
    privacy_unit: str | None = None
    dictionary: list[ColumnIn]
    source: SourceIn
    format: Choice[SourceFormat] | None = None
    grade: Choice[Grade] | None = None
    """The security grade the provider proposes (Wuxi art. 12); the authority approves it
    when it passes the entry (until then the strictest grade's policy level holds)."""


class VersionCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/versions``."""

    source: SourceIn
    format: Choice[SourceFormat] | None = None
    note: str = Field(default="", max_length=2000)


# ---- entries -------------------------------------------------------------------------------


class ColumnPublic(FromDomain):
    """One column of a data dictionary (from ``ColumnSpec``)."""

    name: str
    type: ColumnType
    description: str
    classification: Classification
    categories: list[str] | None
    lower: float | None
    upper: float | None
    nullable: bool


class VersionPublic(FromDomain):
    """One version's metadata (its quality report is served separately)."""

    version: int
    source_format: SourceFormat
    row_count: int
    byte_size: int
    sha256: str
    created_at: datetime
    created_by: str
    note: str
    quality_passed: bool = Field(validation_alias="quality")
    review_status: ReviewStatus
    """The authority's publication review: only a passed version is visible and used."""
    review_note: str
    """The authority's reason when it returned the version."""
    reviewed_at: datetime | None

    @field_validator("quality_passed", mode="before")
    @classmethod
    def _passed(cls, quality: dict[str, Any]) -> bool:
        """Only the verdict of the quality report is listed with the version."""
        return bool(quality.get("passed"))


class DesensitisationPublic(FromDomain):
    """A desensitisation record."""

    id: int
    method: str
    description: str
    version: int | None
    recorded_by: str
    recorded_at: datetime


def _metadata(name: str) -> AliasPath:
    """Where a catalog entry keeps a declared field: ``entry.metadata.<name>``."""
    return AliasPath("metadata", name)


class DatasetPublic(FromDomain):
    """A catalog entry as the caller may see it.

    For not-open data, callers other than its provider and the supervising roles get the
    entry and its legal basis only: ``details_visible`` is false and the dictionary,
    privacy unit and versions are empty. Build it with :func:`dataset_public`; validated
    without ``context={"details": True}`` it hides them (:func:`shows_details`).
    """

    name: str
    title: str = Field(validation_alias=_metadata("title"))
    description: str = Field(validation_alias=_metadata("description"))
    provider_org: str
    open_attribute: OpenAttribute = Field(validation_alias=_metadata("open_attribute"))
    open_conditions: str = Field(validation_alias=_metadata("open_conditions"))
    data_format: str = Field(validation_alias=_metadata("data_format"))
    data_type: str = Field(validation_alias=_metadata("data_type"))
    update_frequency: UpdateFrequency = Field(validation_alias=_metadata("update_frequency"))
    contact: str = Field(validation_alias=_metadata("contact"))
    legal_basis: str = Field(validation_alias=_metadata("legal_basis"))
    stale: bool
    created_at: datetime
    updated_at: datetime
    published: bool
    """Whether the authority passed a version: until then the entry is its provider's and
    oversight's to see only."""
    grade: Grade | None
    """The approved security grade (None: not approved yet; the strictest level holds)."""
    proposed_grade: Grade | None
    details_visible: bool = Field(
        default=False, validate_default=True, json_schema_extra=no_default
    )
    privacy_unit: str | None = Field(default=None, validation_alias=_metadata("privacy_unit"))
    dictionary: list[ColumnPublic] | None = Field(
        default=None, validation_alias=_metadata("dictionary")
    )
    versions: list[VersionPublic] | None = None
    desensitisations: list[DesensitisationPublic]
    downloadable: bool = Field(validation_alias=_metadata("open_attribute"))

    @field_validator("details_visible", mode="before")
    @classmethod
    def _visible(cls, _default: bool, info: ValidationInfo) -> bool:
        return shows_details(info)

    @field_validator("privacy_unit", "versions", mode="before")
    @classmethod
    def _detail(cls, value: Any, info: ValidationInfo) -> Any:
        return value if shows_details(info) else None

    @field_validator("dictionary", mode="before")
    @classmethod
    def _columns(cls, dictionary: DataDictionary, info: ValidationInfo) -> Any:
        """The dictionary's columns, in file order (a detail)."""
        return dictionary.columns if shows_details(info) else None

    @field_validator("downloadable", mode="before")
    @classmethod
    def _downloadable(cls, attribute: OpenAttribute) -> bool:
        """Only unconditional data is ever downloaded whole."""
        return OpenAttribute(attribute) is OpenAttribute.UNCONDITIONAL


def shows_details(info: ValidationInfo) -> bool:
    """Whether the entry is validated for a caller who sees its details: only when the
    validation context says so (``{"details": True}``), so forgetting to decide shows less.
    """
    context = info.context or {}
    return context.get("details") is True


def dataset_public(entry: CatalogEntry, *, details: bool) -> DatasetPublic:
    """A catalog entry for a caller who may (``details``) or may not see its details.

    Without details, the privacy unit, the dictionary and the versions are left out: for
    not-open data they are its provider's and the oversight roles' to see
    (:func:`sandbox.catalog.permissions.sees_details`).
    """
    return DatasetPublic.model_validate(entry, context={"details": details})


class DatasetsPublic(BaseModel):
    """A list of catalog entries."""

    data: list[DatasetPublic]
    count: int


# ---- reading data --------------------------------------------------------------------------


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
    dp_synthetic: dict[str, Any] | None = None
    """Set when the rows are the provider's DP synthetic sample (its mechanism, epsilon,
    accounting, rows and columns synthesized), not the uniform mock."""


class RowsPage(BaseModel):
    """A page of rows of unconditional data (of a query, when filtered or sorted)."""

    dataset: str
    version: int
    total_rows: int
    """Rows of the version."""
    matched_rows: int
    """Rows matching the query's filters (``total_rows`` without a filter)."""
    offset: int
    limit: int
    columns: list[str]
    rows: list[dict[str, Any]]
    next_cursor: str | None = None
    """Pass as ``cursor`` for the next page (same version, same query); null after the last."""


# ---- desensitisation -----------------------------------------------------------------------


class DesensitisationCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/desensitisations``."""

    method: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    version: Version | None = None
