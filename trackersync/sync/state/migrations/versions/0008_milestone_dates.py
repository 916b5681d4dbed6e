"""The due dates each link's milestone pairs last agreed on (issue 9 §3.4).

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "ts_milestone_dates",
        sa.Column("link", sa.String(200), primary_key=True),
        sa.Column("source", sa.String(400), primary_key=True),
        sa.Column("target", sa.String(400), primary_key=True),
        sa.Column("source_due", sa.String(10), nullable=True),
        sa.Column("target_due", sa.String(10), nullable=True),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("ts_milestone_dates")
