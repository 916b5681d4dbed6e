"""The state store on SQLAlchemy: SQLite by default, PostgreSQL for shared state.

Reading never creates anything (a missing store reads as empty), so a run that fails
before its first pull leaves no file and no table behind. The first write migrates the
schema to the newest Alembic revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from trackersync.errors import ConfigError, Unreachable
from trackersync.sync.model import Comment, Milestone, PullResult, Ref, Task, iso
from trackersync.sync.state import tables

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number works; it only has to be the same for every replica.
MIGRATION_LOCK = 7_112_001


class StateStore:
    """Tasks, comments, milestones, cursors and run records of one deployment."""

    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
            # No pool: a run makes a handful of short transactions, and a pooled connection
            # left open would outlive the store (a leak in tests, a held slot on a shared
            # PostgreSQL server).
            self.engine: Engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise ConfigError(
                f"`state: {url}` is not a database URL such as sqlite:///trackersync.db "
                f"or postgresql+psycopg://user@host/db ({exc})",
                key="state",
            ) from None
        self._ready = False
        self._seen = False
        if self.is_sqlite:
            _transactional_ddl(self.engine)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite store."""
        return self.url.get_backend_name() == "sqlite"

    def exists(self) -> bool:
        """Whether the schema is there (without creating a file or a table)."""
        if self._ready or self._seen:
            return True
        database = self.url.database
        if self.is_sqlite and database and database != ":memory:" and not Path(database).exists():
            return False
        with self.connect() as conn:
            # Once there, a schema stays: later reads skip this look-up.
            self._seen = sa.inspect(conn).has_table("ts_alembic_version")
        return self._seen

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent, safe across replicas)."""
        if self._ready:
            return
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        self._ready = True

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection; a database that cannot be reached is `Unreachable` (exit 3)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
                raise self._unreachable(exc) from None
            raise

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction, committed at the end; unreachable as for `connect`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: Exception) -> Unreachable:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Unreachable("state store", self.url.render_as_string(hide_password=True), reason)

    # --- reading -------------------------------------------------------------------------

    def cursor(self, scope: str) -> dict[str, Any]:
        """The stored cursor of a scope, {} before its first pull."""
        if not self.exists():
            return {}
        with self.connect() as conn:
            row = conn.execute(
                sa.select(tables.cursors.c.data).where(tables.cursors.c.scope == scope)
            ).first()
        return dict(row.data) if row else {}

    def pulls(self) -> dict[str, str]:
        """When each scope was last pulled (ISO UTC), by scope."""
        if not self.exists():
            return {}
        with self.connect() as conn:
            rows = conn.execute(sa.select(tables.cursors.c.scope, tables.cursors.c.pulled_at))
            return {row.scope: row.pulled_at for row in rows}

    def tasks(self, scope: str | None = None) -> list[Task]:
        """Stored tasks (of one scope, or all) with their comments, in ref order."""
        if not self.exists():
            return []
        query = sa.select(tables.tasks.c.data).order_by(tables.tasks.c.ref)
        comment_query = sa.select(tables.comments.c.task_ref, tables.comments.c.data)
        if scope is not None:
            query = query.where(tables.tasks.c.scope == scope)
            comment_query = comment_query.join(
                tables.tasks, tables.tasks.c.ref == tables.comments.c.task_ref
            ).where(tables.tasks.c.scope == scope)
        with self.connect() as conn:
            by_task: dict[str, list[Comment]] = {}
            for row in conn.execute(comment_query):
                by_task.setdefault(row.task_ref, []).append(Comment.model_validate(row.data))
            tasks = [Task.model_validate(row.data) for row in conn.execute(query)]
        return [_with_comments(task, by_task.get(str(task.ref), [])) for task in tasks]

    def milestones(self, scope: str | None = None) -> list[Milestone]:
        """Stored milestones / versions (of one scope, or all)."""
        if not self.exists():
            return []
        query = sa.select(tables.milestones.c.data).order_by(
            tables.milestones.c.scope, tables.milestones.c.name
        )
        if scope is not None:
            query = query.where(tables.milestones.c.scope == scope)
        with self.connect() as conn:
            return [Milestone.model_validate(row.data) for row in conn.execute(query)]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent run records, newest first."""
        if not self.exists():
            return []
        query = sa.select(tables.runs).order_by(tables.runs.c.id.desc()).limit(limit)
        with self.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # --- writing -------------------------------------------------------------------------

    def save_pull(self, result: PullResult, pulled_at: datetime) -> None:
        """Store a scope's pulled items and advance its cursor, in one transaction."""
        self.migrate()
        scope = result.scope
        with self.begin() as conn:
            _replace(conn, tables.tasks, "ref", [task_row(t) for t in result.tasks])
            _save_comments(conn, scope, result.comments)
            if result.milestones is not None:
                conn.execute(tables.milestones.delete().where(tables.milestones.c.scope == scope))
                rows = [_milestone_row(m) for m in result.milestones]
                if rows:
                    conn.execute(tables.milestones.insert(), rows)
            conn.execute(tables.cursors.delete().where(tables.cursors.c.scope == scope))
            conn.execute(
                tables.cursors.insert(),
                {"scope": scope, "data": result.cursor, "pulled_at": iso(pulled_at)},
            )

    def save_milestone(self, milestone: Milestone) -> None:
        """Store one milestone as a write returned it (the next pull confirms it)."""
        self.migrate()
        row = _milestone_row(milestone)
        table = tables.milestones
        with self.begin() as conn:
            conn.execute(
                table.delete().where(
                    (table.c.scope == row["scope"]) & (table.c.milestone_id == row["milestone_id"])
                )
            )
            conn.execute(table.insert(), row)

    def record_run(
        self,
        command_name: str,
        started: datetime,
        finished: datetime,
        outcome: str,
        summary: dict[str, Any],
    ) -> None:
        """Append a run record (what the status report and the health check read)."""
        self.migrate()
        with self.begin() as conn:
            conn.execute(
                tables.runs.insert(),
                {
                    "command": command_name,
                    "started_at": iso(started),
                    "finished_at": iso(finished),
                    "outcome": outcome,
                    "summary": summary,
                },
            )


def _transactional_ddl(engine: Engine) -> None:
    """Make SQLite transactions cover DDL too, as SQLAlchemy's pysqlite notes advise.

    The sqlite3 module commits before every CREATE TABLE on its own; a migration would
    then become visible table by table, and a process reading meanwhile would find the
    version table but not the rest. With the driver's own handling off and an explicit
    BEGIN, a migration appears whole or not at all.
    """

    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _with_comments(task: Task, comments: list[Comment]) -> Task:
    if not comments:
        return task
    ordered = tuple(sorted(comments, key=lambda c: (c.created_at, c.id)))
    return task.model_copy(update={"comments": ordered})


def task_row(task: Task) -> dict[str, Any]:
    data = task.model_dump(mode="json", exclude={"comments"})
    return {
        "ref": str(task.ref),
        "scope": str(task.ref.scope_ref),
        "updated_at": iso(task.updated_at),
        "category": task.status.category.value,
        "data": data,
    }


def _milestone_row(milestone: Milestone) -> dict[str, Any]:
    return {
        "scope": str(milestone.scope),
        "milestone_id": milestone.id,
        "name": milestone.name,
        "data": milestone.model_dump(mode="json"),
    }


def _save_comments(conn: Connection, scope: str, comments: dict[str, list[Comment]]) -> None:
    scope_ref = Ref.parse(scope)
    rows = [
        {
            "task_ref": str(scope_ref.item(key)),
            "comment_id": comment.id,
            "updated_at": iso(comment.updated_at),
            "data": comment.model_dump(mode="json"),
        }
        for key, items in comments.items()
        for comment in items
    ]
    table = tables.comments
    for chunk in _chunks(rows, 500):
        keys = [(row["task_ref"], row["comment_id"]) for row in chunk]
        conn.execute(
            table.delete().where(sa.tuple_(table.c.task_ref, table.c.comment_id).in_(keys))
        )
        conn.execute(table.insert(), chunk)


def _replace(conn: Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
    # Delete-then-insert in one transaction is an upsert every dialect understands.
    for chunk in _chunks(rows, 500):
        conn.execute(table.delete().where(table.c[key].in_([row[key] for row in chunk])))
        conn.execute(table.insert(), chunk)


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
