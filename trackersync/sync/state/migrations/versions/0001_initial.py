"""Initial schema: tasks, comments, milestones, cursors, runs.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the first tables."""
    op.create_table(
        "ts_tasks",
        sa.Column("ref", sa.String(512), primary_key=True),
        sa.Column("scope", sa.String(400), nullable=False, index=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "ts_comments",
        sa.Column("task_ref", sa.String(512), primary_key=True),
        sa.Column("comment_id", sa.String(128), primary_key=True),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "ts_milestones",
        sa.Column("scope", sa.String(400), primary_key=True),
        sa.Column("milestone_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "ts_cursors",
        sa.Column("scope", sa.String(400), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("pulled_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "ts_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop everything."""
    for table in ("ts_runs", "ts_cursors", "ts_milestones", "ts_comments", "ts_tasks"):
        op.drop_table(table)
