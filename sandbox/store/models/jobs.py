"""Jobs and the review decisions on their results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class JobRow(Base):
    """An algorithm-model job: what was submitted, under which grant, where it stands, and
    what it produced. ``state`` follows the lifecycle of DESIGN.md; every change to it is
    written here before it is acted on and audited (:mod:`sandbox.jobs.lifecycle`).

    ``log``, ``errors`` and ``result`` of a raw-access job are held for the output checks
    and review: the API never shows them to the job's owner.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_owner", "owner_id"),
        Index("ix_jobs_lease_owner", "lease_owner"),
    )
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
    profile: Mapped[str] = mapped_column(
        String(16), default="restricted", server_default="restricted"
    )
    """The runtime profile the model runs in (``restricted`` or ``scientific``)."""
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
    log_review: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """The author's request that the held log and errors be reviewed: ``requested``, then
    ``released`` or ``refused`` (:mod:`sandbox.review.logs`); none when never asked."""
    log_review_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Why the reviewer refused to release the log (shown to the author)."""
    log_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    auto_released: Mapped[bool] = mapped_column(Boolean, default=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The id of the HTTP request that submitted the job (``X-Request-ID``, or the one the
    platform made): its log lines, wherever written, carry it (:mod:`sandbox.jobs.observed`)."""
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The API process that dispatched the job and answers for it (:mod:`sandbox.jobs.leases`);
    none until one claims it."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """Until when the owner's claim holds; it renews it on a heartbeat. Once this is past,
    another process may take the job over (re-queue it or fail it)."""


class ReviewDecisionRow(Base):
    """One reviewer's decision on a job's result: ``approve``, ``reject`` or ``return``."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("job_id", "reviewer_id", name="uq_review_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
