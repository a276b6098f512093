"""Complaints and their evidence, suspensions, objections, usage reports, data products."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


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
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    new_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


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
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DatasetSuspensionRow(Base):
    """A suspension of a dataset by its provider (中止开放), and how it was resolved.

    ``in_force`` is true while it blocks every use: until it is resolved as ``restored``
    or ``reprocessed``, and for good once it is resolved as ``ended``.
    """

    __tablename__ = "dataset_suspensions"
    __table_args__ = (Index("ix_dataset_suspensions_in_force", "dataset_id", "in_force"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    suspended_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    in_force: Mapped[bool] = mapped_column(Boolean)
    resolution: Mapped[str] = mapped_column(String(32), default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
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
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    corrected_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


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
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    """The released job result the product was made from, if any."""
