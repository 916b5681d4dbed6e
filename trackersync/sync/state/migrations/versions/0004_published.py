"""The last rollup block written into each status issue.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table of published blocks."""
    op.create_table(
        "ts_published",
        sa.Column("target", sa.String(512), primary_key=True),
        sa.Column("block", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("ts_published")
