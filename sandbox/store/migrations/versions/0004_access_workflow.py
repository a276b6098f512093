"""access workflow: applications, grants, requests for unopened data, workflow stages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("applicant_org_id", sa.Integer(), nullable=True),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("results_form", sa.Text(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("security_measures", sa.Text(), nullable=False),
        sa.Column("commitment_signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["applicant_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["applicant_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("applications") as batch:
        batch.create_index(batch.f("ix_applications_applicant_id"), ["applicant_id"], unique=False)
        batch.create_index(
            batch.f("ix_applications_provider_org_id"), ["provider_org_id"], unique=False
        )
        batch.create_index(batch.f("ix_applications_status"), ["status"], unique=False)

    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("job_kinds", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreement_version", sa.String(length=64), nullable=True),
        sa.Column("agreement_sha256", sa.String(length=64), nullable=True),
        sa.Column("agreement_text", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["holder_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("grants") as batch:
        batch.create_index(batch.f("ix_grants_holder_id"), ["holder_id"], unique=False)
        batch.create_index(batch.f("ix_grants_provider_org_id"), ["provider_org_id"], unique=False)

    op.create_table(
        "demands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("dataset_name", sa.String(length=200), nullable=False),
        sa.Column("provider_org_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("opened_dataset_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["opened_dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["provider_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("demands") as batch:
        batch.create_index(batch.f("ix_demands_provider_org_id"), ["provider_org_id"], unique=False)
        batch.create_index(batch.f("ix_demands_requester_id"), ["requester_id"], unique=False)
        batch.create_index(batch.f("ix_demands_status"), ["status"], unique=False)

    op.create_table(
        "workflow_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("assignee_role", sa.String(length=32), nullable=False),
        sa.Column("assignee_org_id", sa.Integer(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "assignee_role IN ('authority', 'provider')", name="ck_workflow_stages_assignee_role"
        ),
        sa.ForeignKeyConstraint(["assignee_org_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workflow_stages") as batch:
        batch.create_index(batch.f("ix_workflow_stages_due_on"), ["due_on"], unique=False)
        batch.create_index(
            "ix_workflow_stages_subject", ["subject_type", "subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workflow_stages") as batch:
        batch.drop_index("ix_workflow_stages_subject")
        batch.drop_index(batch.f("ix_workflow_stages_due_on"))
    op.drop_table("workflow_stages")
    with op.batch_alter_table("demands") as batch:
        batch.drop_index(batch.f("ix_demands_status"))
        batch.drop_index(batch.f("ix_demands_requester_id"))
        batch.drop_index(batch.f("ix_demands_provider_org_id"))
    op.drop_table("demands")
    with op.batch_alter_table("grants") as batch:
        batch.drop_index(batch.f("ix_grants_provider_org_id"))
        batch.drop_index(batch.f("ix_grants_holder_id"))
    op.drop_table("grants")
    with op.batch_alter_table("applications") as batch:
        batch.drop_index(batch.f("ix_applications_status"))
        batch.drop_index(batch.f("ix_applications_provider_org_id"))
        batch.drop_index(batch.f("ix_applications_applicant_id"))
    op.drop_table("applications")
