"""What each scope's system was when the store first used it (server, repository, project).

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "ts_identity",
        sa.Column("scope", sa.String(400), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("ts_identity")
