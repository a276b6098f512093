"""jobs: the author's request that a held log and errors be reviewed, and its outcome

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_review", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("log_review_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("log_released_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("log_released_at")
        batch_op.drop_column("log_review_reason")
        batch_op.drop_column("log_review")
