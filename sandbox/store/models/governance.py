"""Catalog governance: annual quality assessments and update reminders (Qingdao art. 14;
Wuxi art. 13). Grades and publication reviews are columns of the catalog's own tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class QualityAssessmentRow(Base):
    """A dataset's quality assessment of one year: opened by the authority, answered by the
    provider with the latest quality report, concluded by the authority (satisfactory, or
    a rectification with its own deadline).
    """

    __tablename__ = "quality_assessments"
    __table_args__ = (UniqueConstraint("dataset_id", "year", name="uq_quality_assessments_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    request: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer_version: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    answer_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)
    answer_note: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, default=None
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
    conclusion: Mapped[str] = mapped_column(Text, default="")
    concluded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, default=None
    )
    concluded_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=None
    )


class UpdateReminderRow(Base):
    """A reminder sent to a provider before its dataset's update frequency lapses: one per
    dataset and lapse date, so a sweep run twice reminds once.
    """

    __tablename__ = "update_reminders"
    __table_args__ = (
        UniqueConstraint("dataset_id", "lapses_on", name="uq_update_reminders_lapse"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    lapses_on: Mapped[date] = mapped_column(Date)
    reminded_at: Mapped[datetime] = mapped_column(UTCDateTime())
