"""oversight: complaints with evidence, dataset suspensions, objections, usage and risk
reports (and the grant's report interval), data products

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("grants") as batch:
        batch.add_column(
            sa.Column(
                "report_interval_days", sa.Integer(), nullable=False, server_default=sa.text("90")
            )
        )

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("new_version", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["complainant_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaints") as batch:
        batch.create_index(
            batch.f("ix_complaints_complainant_id"), ["complainant_id"], unique=False
        )
        batch.create_index(batch.f("ix_complaints_dataset_id"), ["dataset_id"], unique=False)
        batch.create_index(
            batch.f("ix_complaints_provider_org_id"), ["provider_org_id"], unique=False
        )
        batch.create_index(batch.f("ix_complaints_status"), ["status"], unique=False)

    op.create_table(
        "complaint_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("complaint_evidence") as batch:
        batch.create_index(
            batch.f("ix_complaint_evidence_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "dataset_suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suspended_by", sa.Integer(), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("new_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["suspended_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dataset_suspensions") as batch:
        batch.create_index(
            "ix_dataset_suspensions_in_force", ["dataset_id", "in_force"], unique=False
        )

    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objector_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version_at_filing", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("corrected_version", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["objector_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objections") as batch:
        batch.create_index(batch.f("ix_objections_dataset_id"), ["dataset_id"], unique=False)
        batch.create_index(batch.f("ix_objections_objector_id"), ["objector_id"], unique=False)
        batch.create_index(
            batch.f("ix_objections_provider_org_id"), ["provider_org_id"], unique=False
        )
        batch.create_index(batch.f("ix_objections_status"), ["status"], unique=False)

    op.create_table(
        "usage_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("usage_reports") as batch:
        batch.create_index("ix_usage_reports_grant_kind", ["grant_id", "kind"], unique=False)

    op.create_table(
        "data_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["grants.id"]),
        sa.ForeignKeyConstraint(["publisher_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("data_products") as batch:
        batch.create_index(batch.f("ix_data_products_publisher_id"), ["publisher_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_products") as batch:
        batch.drop_index(batch.f("ix_data_products_publisher_id"))
    op.drop_table("data_products")
    with op.batch_alter_table("usage_reports") as batch:
        batch.drop_index("ix_usage_reports_grant_kind")
    op.drop_table("usage_reports")
    with op.batch_alter_table("objections") as batch:
        batch.drop_index(batch.f("ix_objections_status"))
        batch.drop_index(batch.f("ix_objections_provider_org_id"))
        batch.drop_index(batch.f("ix_objections_objector_id"))
        batch.drop_index(batch.f("ix_objections_dataset_id"))
    op.drop_table("objections")
    with op.batch_alter_table("dataset_suspensions") as batch:
        batch.drop_index("ix_dataset_suspensions_in_force")
    op.drop_table("dataset_suspensions")
    with op.batch_alter_table("complaint_evidence") as batch:
        batch.drop_index(batch.f("ix_complaint_evidence_complaint_id"))
    op.drop_table("complaint_evidence")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index(batch.f("ix_complaints_status"))
        batch.drop_index(batch.f("ix_complaints_provider_org_id"))
        batch.drop_index(batch.f("ix_complaints_dataset_id"))
        batch.drop_index(batch.f("ix_complaints_complainant_id"))
    op.drop_table("complaints")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("report_interval_days")
