"""budget charges: the job and the DP call each charge paid for

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("budget_charges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("call", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_budget_charges_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_charges_job_id"))
        batch_op.drop_column("call")
        batch_op.drop_column("job_id")
