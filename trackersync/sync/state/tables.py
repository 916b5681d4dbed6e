"""Table definitions. Timestamps are ISO-8601 UTC strings so they sort and compare the same
on SQLite and PostgreSQL; whole objects are kept as JSON next to the few indexed columns."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

tasks = Table(
    "ts_tasks",
    metadata,
    Column("ref", String(512), primary_key=True),
    Column("scope", String(400), nullable=False, index=True),
    Column("updated_at", String(40), nullable=False),
    Column("category", String(16), nullable=False),
    Column("data", JSON, nullable=False),
)

comments = Table(
    "ts_comments",
    metadata,
    Column("task_ref", String(512), primary_key=True),
    Column("comment_id", String(128), primary_key=True),
    Column("updated_at", String(40), nullable=False),
    Column("data", JSON, nullable=False),
)

milestones = Table(
    "ts_milestones",
    metadata,
    Column("scope", String(400), primary_key=True),
    Column("milestone_id", String(128), primary_key=True),
    Column("name", String(400), nullable=False),
    Column("data", JSON, nullable=False),
)

cursors = Table(
    "ts_cursors",
    metadata,
    Column("scope", String(400), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("pulled_at", String(40), nullable=False),
)

runs = Table(
    "ts_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("command", String(32), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("summary", JSON, nullable=False),
)

twins = Table(
    "ts_twins",
    metadata,
    Column("link", String(200), primary_key=True),
    Column("source_ref", String(512), primary_key=True),
    Column("target_ref", String(512), nullable=False),
    Column("mirror_side", String(8), nullable=True),
)

bases = Table(
    "ts_bases",
    metadata,
    Column("link", String(200), primary_key=True),
    Column("source_ref", String(512), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("source_value", JSON, nullable=True),
    Column("target_value", JSON, nullable=True),
)

comment_twins = Table(
    "ts_comment_twins",
    metadata,
    Column("link", String(200), primary_key=True),
    Column("origin_id", String(700), primary_key=True),
    Column("mirror_ref", String(512), nullable=False),
    Column("mirror_comment_id", String(128), nullable=False),
    Column("origin_updated", String(40), nullable=False),
)

intents = Table(
    "ts_intents",
    metadata,
    Column("link", String(200), primary_key=True),
    Column("origin_id", String(700), primary_key=True),
    Column("target", String(512), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

rollup_days = Table(
    "ts_rollup_days",
    metadata,
    Column("milestone", String(400), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
)

rollup_baselines = Table(
    "ts_rollup_baselines",
    metadata,
    Column("milestone", String(400), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("refs", JSON, nullable=False),
)

published = Table(
    "ts_published",
    metadata,
    Column("target", String(512), primary_key=True),
    Column("block", Text, nullable=False),
)

member_keys = Table(
    "ts_member_keys",
    metadata,
    Column("milestone", String(400), primary_key=True),
    Column("member", String(1000), primary_key=True),
    Column("keys", JSON, nullable=False),
)

identities = Table(
    "ts_identity",
    metadata,
    Column("scope", String(400), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

# Per link and milestone pair (source name, target name): the due dates both sides last
# agreed on (ISO dates, None for none), so that a later change tells which side moved.
milestone_dates = Table(
    "ts_milestone_dates",
    metadata,
    Column("link", String(200), primary_key=True),
    Column("source", String(400), primary_key=True),
    Column("target", String(400), primary_key=True),
    Column("source_due", String(10), nullable=True),
    Column("target_due", String(10), nullable=True),
)
