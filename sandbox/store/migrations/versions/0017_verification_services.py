"""verification_services: verification services on conditional datasets and their counters

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "name", name="uq_verification_services_name"),
    )
    op.create_index("ix_verification_services_dataset_id", "verification_services", ["dataset_id"])
    op.create_table(
        "verification_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["verification_services.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", "grant_id", "day", name="uq_verification_usage_day"),
    )
    op.create_index("ix_verification_usage_service_id", "verification_usage", ["service_id"])
    op.create_index("ix_verification_usage_grant_id", "verification_usage", ["grant_id"])
    op.create_table(
        "verification_record_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["verification_services.id"]),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "service_id", "grant_id", "day", "fingerprint", name="uq_verification_record_day"
        ),
    )
    op.create_index(
        "ix_verification_record_usage_grant_id", "verification_record_usage", ["grant_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_verification_record_usage_grant_id", table_name="verification_record_usage")
    op.drop_table("verification_record_usage")
    op.drop_index("ix_verification_usage_grant_id", table_name="verification_usage")
    op.drop_index("ix_verification_usage_service_id", table_name="verification_usage")
    op.drop_table("verification_usage")
    op.drop_index("ix_verification_services_dataset_id", table_name="verification_services")
    op.drop_table("verification_services")
