"""public_participation: opening plans, law-change tasks, public reports, application
attachments

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opening_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["published_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_org_id", "year", name="uq_opening_plans_org_year"),
    )
    op.create_index("ix_opening_plans_status", "opening_plans", ["status"])
    op.create_table(
        "opening_plan_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("open_attribute", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["opening_plans.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "dataset_name", name="uq_opening_plan_entries_dataset"),
    )
    op.create_index("ix_opening_plan_entries_plan_id", "opening_plan_entries", ["plan_id"])
    op.create_table(
        "law_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("citation", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "law_change_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("law_change_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["law_change_id"], ["law_changes.id"]),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("law_change_id", "dataset_id", name="uq_law_change_tasks_dataset"),
    )
    op.create_index("ix_law_change_tasks_law_change_id", "law_change_tasks", ["law_change_id"])
    op.create_index("ix_law_change_tasks_dataset_id", "law_change_tasks", ["dataset_id"])
    op.create_index("ix_law_change_tasks_provider_org_id", "law_change_tasks", ["provider_org_id"])
    op.create_index("ix_law_change_tasks_status", "law_change_tasks", ["status"])
    op.create_table(
        "public_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("provider_org_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("rectified_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["data_products.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["rectified_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_public_reports_provider_org_id", "public_reports", ["provider_org_id"])
    op.create_index("ix_public_reports_reporter_id", "public_reports", ["reporter_id"])
    op.create_index("ix_public_reports_status", "public_reports", ["status"])
    op.create_table(
        "application_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_application_attachments_application_id", "application_attachments", ["application_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_application_attachments_application_id", table_name="application_attachments")
    op.drop_table("application_attachments")
    op.drop_index("ix_public_reports_status", table_name="public_reports")
    op.drop_index("ix_public_reports_reporter_id", table_name="public_reports")
    op.drop_index("ix_public_reports_provider_org_id", table_name="public_reports")
    op.drop_table("public_reports")
    op.drop_index("ix_law_change_tasks_status", table_name="law_change_tasks")
    op.drop_index("ix_law_change_tasks_provider_org_id", table_name="law_change_tasks")
    op.drop_index("ix_law_change_tasks_dataset_id", table_name="law_change_tasks")
    op.drop_index("ix_law_change_tasks_law_change_id", table_name="law_change_tasks")
    op.drop_table("law_change_tasks")
    op.drop_table("law_changes")
    op.drop_index("ix_opening_plan_entries_plan_id", table_name="opening_plan_entries")
    op.drop_table("opening_plan_entries")
    op.drop_index("ix_opening_plans_status", table_name="opening_plans")
    op.drop_table("opening_plans")
