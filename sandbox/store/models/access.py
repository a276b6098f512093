"""The access workflow: applications, grants, requests for unopened data, stages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class ApplicationRow(Base):
    """An application for conditional data (Wuxi art. 15; Qingdao art. 17).

    Its review stages, with their deadlines and who closed them, are
    :class:`WorkflowStageRow` rows.
    """

    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    applicant_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
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
    commitment_signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
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
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    agreement_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreement_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agreement_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_interval_days: Mapped[int] = mapped_column(
        Integer, default=90, server_default=text("90")
    )


class DemandRow(Base):
    """A request for data not yet open (Qingdao art. 18; Wuxi art. 9; Xi'an art. 19)."""

    __tablename__ = "demands"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    dataset_name: Mapped[str] = mapped_column(String(200), default="")
    provider_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(32), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    return_reason: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    opened_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)


class WorkflowStageRow(Base):
    """One stage of an application or a request, with its deadline in working days.

    ``due_on`` is computed with the working-day calendar when the stage opens and never
    moves afterwards; ``closed_at`` against ``due_at`` tells whether it was met.
    """

    __tablename__ = "workflow_stages"
    __table_args__ = (
        CheckConstraint(
            "assignee_role IN ('authority', 'provider')", name="ck_workflow_stages_assignee_role"
        ),
        Index("ix_workflow_stages_subject", "subject_type", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(32))
    assignee_role: Mapped[str] = mapped_column(String(32))
    assignee_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    working_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
