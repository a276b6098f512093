"""budget ledger: accounts and charges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("dataset_ref", sa.String(length=200), nullable=False),
        sa.Column("accounting", sa.String(length=16), nullable=False),
        sa.Column("loss_limit", sa.BigInteger(), nullable=False),
        sa.Column("loss_spent", sa.BigInteger(), nullable=False),
        sa.Column("delta_limit", sa.BigInteger(), nullable=False),
        sa.Column("delta_spent", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "loss_spent >= 0 AND loss_spent <= loss_limit",
            name="ck_budget_accounts_loss_within_limit",
        ),
        sa.CheckConstraint(
            "delta_spent >= 0 AND delta_spent <= delta_limit",
            name="ck_budget_accounts_delta_within_limit",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref", "dataset_ref"),
    )
    with op.batch_alter_table("budget_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_accounts_dataset_ref"), ["dataset_ref"], unique=False
        )

    op.create_table(
        "budget_charges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_account_id", sa.Integer(), nullable=False),
        sa.Column("dataset_account_id", sa.Integer(), nullable=False),
        sa.Column("grant_ref", sa.String(length=200), nullable=False),
        sa.Column("dataset_ref", sa.String(length=200), nullable=False),
        sa.Column("loss_units", sa.BigInteger(), nullable=False),
        sa.Column("delta_units", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("charged_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_account_id"],
            ["budget_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["grant_account_id"],
            ["budget_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("budget_charges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budget_charges_dataset_account_id"), ["dataset_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_charges_dataset_ref"), ["dataset_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_charges_grant_account_id"), ["grant_account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_budget_charges_grant_ref"), ["grant_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("budget_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_charges_grant_ref"))
        batch_op.drop_index(batch_op.f("ix_budget_charges_grant_account_id"))
        batch_op.drop_index(batch_op.f("ix_budget_charges_dataset_ref"))
        batch_op.drop_index(batch_op.f("ix_budget_charges_dataset_account_id"))

    op.drop_table("budget_charges")
    with op.batch_alter_table("budget_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_accounts_dataset_ref"))

    op.drop_table("budget_accounts")
