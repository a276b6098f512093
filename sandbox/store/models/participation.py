"""The opening plan, catalog tasks after a change of law, public reports, and the proof
files attached to applications.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class OpeningPlanRow(Base):
    """A provider organisation's open responsibility list for one year (Xi'an art. 20-21;
    Lianyungang art. 11-12): drafted, submitted, then published by the authority.
    """

    __tablename__ = "opening_plans"
    __table_args__ = (
        UniqueConstraint("provider_org_id", "year", name="uq_opening_plans_org_year"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    """The authority's reason when it returned the plan."""
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpeningPlanEntryRow(Base):
    """One dataset a plan says its organisation opens by ``due_on``; the dataset may not
    exist yet (it is named as it will be registered).
    """

    __tablename__ = "opening_plan_entries"
    __table_args__ = (
        UniqueConstraint("plan_id", "dataset_name", name="uq_opening_plan_entries_dataset"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("opening_plans.id"), index=True)
    dataset_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    open_attribute: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LawChangeRow(Base):
    """A revised law or a changed administrative function the catalog must follow within
    15 working days (Chengdu art. 14).
    """

    __tablename__ = "law_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    citation: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    changed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LawChangeTaskRow(Base):
    """One affected dataset's catalog update after a change of law; its deadline is a
    :class:`WorkflowStageRow`.
    """

    __tablename__ = "law_change_tasks"
    __table_args__ = (
        UniqueConstraint("law_change_id", "dataset_id", name="uq_law_change_tasks_dataset"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    law_change_id: Mapped[int] = mapped_column(ForeignKey("law_changes.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution: Mapped[str] = mapped_column(String(32), default="")
    reference: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The attribute change id or the version number that closed the task."""
    reason: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PublicReportRow(Base):
    """A report of misuse or of a security problem, by anyone (Lianyungang art. 38; Wuxi
    art. 17); its answer stage is a :class:`WorkflowStageRow`.
    """

    __tablename__ = "public_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("data_products.id"), nullable=True)
    provider_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    description: Mapped[str] = mapped_column(Text)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(32), default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), nullable=True)
    rectified_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ApplicationAttachmentRow(Base):
    """A proof file attached to an application (Qingdao art. 17), kept in the data store
    under its content hash.
    """

    __tablename__ = "application_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
