"""Rollups: the daily burn-up history and each milestone's first scope.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the rollup tables."""
    op.create_table(
        "ts_rollup_days",
        sa.Column("milestone", sa.String(400), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
    )
    op.create_table(
        "ts_rollup_baselines",
        sa.Column("milestone", sa.String(400), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("refs", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop the rollup tables."""
    op.drop_table("ts_rollup_baselines")
    op.drop_table("ts_rollup_days")
