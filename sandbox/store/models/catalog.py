"""Datasets, their versions, desensitisation records, attribute changes and uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    grade: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    """The security grade the authority approved (None: not yet approved, the strictest
    grade's floor applies; sandbox.catalog.grades)."""
    proposed_grade: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    """The provider's grade waiting for the authority's approval, if any."""
    grade_decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, default=None
    )
    grade_decided_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=None
    )


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_status: Mapped[str] = mapped_column(String(16), default="submitted")
    """The authority's publication review (sandbox.catalog.publication): submitted, passed
    or returned; only a passed version is visible and usable (Qingdao art. 10, 12)."""
    reviewed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")


class DesensitisationRow(Base):
    """A recorded desensitisation (脱敏) step applied to a dataset."""

    __tablename__ = "desensitisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    method: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class UploadRow(Base):
    """A staged upload: bytes received but not yet part of the catalog."""

    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
