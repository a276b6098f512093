"""Privacy budget accounts and their charges, and the policy documents in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class BudgetAccountRow(Base):
    """A privacy budget in ledger units: a dataset's lifetime budget, or one grant's budget
    on one dataset. Spent never exceeds the limit (a check constraint guards it too).
    """

    __tablename__ = "budget_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "ref", "dataset_ref"),
        CheckConstraint(
            "loss_spent >= 0 AND loss_spent <= loss_limit",
            name="ck_budget_accounts_loss_within_limit",
        ),
        CheckConstraint(
            "delta_spent >= 0 AND delta_spent <= delta_limit",
            name="ck_budget_accounts_delta_within_limit",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200))
    dataset_ref: Mapped[str] = mapped_column(String(200), index=True)
    accounting: Mapped[str] = mapped_column(String(16))
    loss_limit: Mapped[int] = mapped_column(BigInteger)
    loss_spent: Mapped[int] = mapped_column(BigInteger)
    delta_limit: Mapped[int] = mapped_column(BigInteger)
    delta_spent: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BudgetChargeRow(Base):
    """One charge against a grant account and its dataset's lifetime account together."""

    __tablename__ = "budget_charges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_account_id: Mapped[int] = mapped_column(ForeignKey("budget_accounts.id"), index=True)
    dataset_account_id: Mapped[int] = mapped_column(ForeignKey("budget_accounts.id"), index=True)
    grant_ref: Mapped[str] = mapped_column(String(200), index=True)
    dataset_ref: Mapped[str] = mapped_column(String(200), index=True)
    loss_units: Mapped[int] = mapped_column(BigInteger)
    delta_units: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    charged_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Which job and which of its DP calls the charge paid for, so a grant's holder can
    # read their spending call by call; null for charges made outside a job (and charges
    # made before these were recorded). No foreign key: the ledger sits below the jobs.
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    call: Mapped[str | None] = mapped_column(String(32), nullable=True)


class PolicyDocumentRow(Base):
    """One version of a policy document: the authority's floor or a dataset's policy.

    Documents are never overwritten; the newest row per (level, ref) is in force, so the
    history of who set which rule when stays readable.
    """

    __tablename__ = "policy_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
