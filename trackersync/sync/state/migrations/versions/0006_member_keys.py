"""The items a query-selected milestone member (`jql="..."`) matched at the last rollup.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "ts_member_keys",
        sa.Column("milestone", sa.String(400), primary_key=True),
        sa.Column("member", sa.String(1000), primary_key=True),
        sa.Column("keys", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("ts_member_keys")
