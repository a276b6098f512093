"""catalog_governance: security grades, publication review of versions, quality
assessments and update reminders

Versions registered before this migration were already public, so they are marked passed;
datasets carry no approved grade yet, so the strictest grade's level holds for them until
the authority approves one (fail closed).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("proposed_grade", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("grade_decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("grade_decided_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_datasets_grade_decided_by_users", "users", ["grade_decided_by"], ["id"]
        )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review_status", sa.String(length=16), nullable=False, server_default="passed"
            )
        )
        batch_op.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            "fk_dataset_versions_reviewed_by_users", "users", ["reviewed_by"], ["id"]
        )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.alter_column("review_status", server_default=None)
        batch_op.alter_column("review_note", server_default=None)
    op.create_table(
        "quality_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_version", sa.Integer(), nullable=True),
        sa.Column("answer_report", sa.JSON(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("concluded_by", sa.Integer(), nullable=True),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["concluded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "year", name="uq_quality_assessments_year"),
    )
    op.create_index("ix_quality_assessments_dataset_id", "quality_assessments", ["dataset_id"])
    op.create_index("ix_quality_assessments_status", "quality_assessments", ["status"])
    op.create_table(
        "update_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lapses_on", sa.Date(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "lapses_on", name="uq_update_reminders_lapse"),
    )
    op.create_index("ix_update_reminders_dataset_id", "update_reminders", ["dataset_id"])


def downgrade() -> None:
    op.drop_index("ix_update_reminders_dataset_id", table_name="update_reminders")
    op.drop_table("update_reminders")
    op.drop_index("ix_quality_assessments_status", table_name="quality_assessments")
    op.drop_index("ix_quality_assessments_dataset_id", table_name="quality_assessments")
    op.drop_table("quality_assessments")
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_dataset_versions_reviewed_by_users", type_="foreignkey")
        batch_op.drop_column("review_note")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("review_status")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_constraint("fk_datasets_grade_decided_by_users", type_="foreignkey")
        batch_op.drop_column("grade_decided_at")
        batch_op.drop_column("grade_decided_by")
        batch_op.drop_column("proposed_grade")
        batch_op.drop_column("grade")
