"""Link state: twins, per-field bases, mirrored comments, create intents.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the link tables."""
    op.create_table(
        "ts_twins",
        sa.Column("link", sa.String(200), primary_key=True),
        sa.Column("source_ref", sa.String(512), primary_key=True),
        sa.Column("target_ref", sa.String(512), nullable=False),
        sa.UniqueConstraint("link", "target_ref", name="ts_twins_target"),
    )
    op.create_table(
        "ts_bases",
        sa.Column("link", sa.String(200), primary_key=True),
        sa.Column("source_ref", sa.String(512), primary_key=True),
        sa.Column("field", sa.String(32), primary_key=True),
        sa.Column("source_value", sa.JSON, nullable=True),
        sa.Column("target_value", sa.JSON, nullable=True),
    )
    op.create_table(
        "ts_comment_twins",
        sa.Column("link", sa.String(200), primary_key=True),
        sa.Column("origin_id", sa.String(700), primary_key=True),
        sa.Column("mirror_ref", sa.String(512), nullable=False),
        sa.Column("mirror_comment_id", sa.String(128), nullable=False),
        sa.Column("origin_updated", sa.String(40), nullable=False),
    )
    op.create_table(
        "ts_intents",
        sa.Column("link", sa.String(200), primary_key=True),
        sa.Column("origin_id", sa.String(700), primary_key=True),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    """Drop the link tables."""
    for table in ("ts_intents", "ts_comment_twins", "ts_bases", "ts_twins"):
        op.drop_table(table)
