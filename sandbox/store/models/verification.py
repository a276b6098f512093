"""Verification services on conditional datasets (Qingdao art. 13: data service interfaces
"for query or verification") and the counters their quotas are kept with.

Nothing here stores a value a caller submitted: a call leaves its counts per grant and
day, and a keyed fingerprint of the record it asked about (for the per-record quota),
which the platform's key alone can link to a value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class VerificationServiceRow(Base):
    """A service its dataset's provider published: input fields mapped to columns and the
    kind of answer; withdrawn services stay (their name, usage and audit refer to them).
    """

    __tablename__ = "verification_services"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_verification_services_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")


class VerificationUsageRow(Base):
    """How many calls and records one grant made of one service on one local day."""

    __tablename__ = "verification_usage"
    __table_args__ = (
        UniqueConstraint("service_id", "grant_id", "day", name="uq_verification_usage_day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("verification_services.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    calls: Mapped[int] = mapped_column(Integer)
    records: Mapped[int] = mapped_column(Integer)


class VerificationRecordUsageRow(Base):
    """How often one grant asked one service about one record today, by the record's
    keyed fingerprint (never its value); rows of earlier days are deleted as calls come.
    """

    __tablename__ = "verification_record_usage"
    __table_args__ = (
        UniqueConstraint(
            "service_id", "grant_id", "day", "fingerprint", name="uq_verification_record_day"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("verification_services.id"))
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    fingerprint: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
