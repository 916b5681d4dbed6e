"""Which side of a pair is the mirror trackersync created (its marker is kept there).

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column; pairs recorded before it stay unknown (None)."""
    with op.batch_alter_table("ts_twins") as batch:
        batch.add_column(sa.Column("mirror_side", sa.String(8), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("ts_twins") as batch:
        batch.drop_column("mirror_side")
