"""The state store on SQLAlchemy: SQLite by default, PostgreSQL for shared state.

Reading never creates anything (a missing store reads as empty), so a run that fails
before its first pull leaves no file and no table behind. The first write migrates the
schema to the newest Alembic revision.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from trackersync.errors import AuthRefused, ConfigError, Unreachable
from trackersync.redact import redact_json
from trackersync.sync.model import (
    Comment,
    Milestone,
    PullResult,
    Ref,
    Status,
    StatusCategory,
    Task,
    iso,
)
from trackersync.sync.plan import CommentView, ItemView
from trackersync.sync.state import tables
from trackersync.sync.state.upsert import upsert
from trackersync.sync.status import ItemState

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
            self.engine: Engine = sa.create_engine(
                self.url, poolclass=sa.pool.NullPool, json_serializer=_storable_json
            )
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise ConfigError(
                f"`state: {url}` is not a database URL such as sqlite:///trackersync.db "
                f"or postgresql+psycopg://user@host/db ({exc})",
                key="state",
            ) from None
        self._ready = False
        self._seen = False
        _drop_unstorable(self.engine)
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
        try:
            with self.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK}
                    )
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except DBAPIError as exc:  # e.g. a role without CREATE: the credentials' rights
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            where = self.url.render_as_string(hide_password=True)
            hint = f"cannot migrate the schema: {reason}"
            raise AuthRefused("state store", where, hint) from None
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

    def updated_at(self, scope: str, keys: Sequence[str]) -> dict[str, str]:
        """The stored `updated_at` (ISO UTC) of the items `keys` of `scope`, by key: what
        the last pull or our own write left. Two short columns, no task is loaded."""
        if not keys or not self.exists():
            return {}
        refs = {f"{scope}#{key}": key for key in keys}
        query = sa.select(tables.tasks.c.ref, tables.tasks.c.updated_at).where(
            tables.tasks.c.ref.in_(list(refs))
        )
        with self.connect() as conn:
            return {refs[row.ref]: row.updated_at for row in conn.execute(query)}

    def pulls(self) -> dict[str, str]:
        """When each scope was last pulled (ISO UTC), by scope."""
        if not self.exists():
            return {}
        with self.connect() as conn:
            rows = conn.execute(sa.select(tables.cursors.c.scope, tables.cursors.c.pulled_at))
            return {row.scope: row.pulled_at for row in rows}

    def tasks(self, scope: str | None = None, only: Iterable[str] | None = None) -> list[Task]:
        """Stored tasks (of one scope, or all) with their comments, in ref order; `only`
        limits them to these refs (read by key: a few of 200k items cost a few)."""
        if not self.exists():
            return []
        share = _Sharing()
        if only is None:
            return self._tasks(scope, None, share)
        refs = sorted(set(only))
        chunks = (refs[start : start + 500] for start in range(0, len(refs), 500))
        return [task for chunk in chunks for task in self._tasks(scope, chunk, share)]

    def _tasks(self, scope: str | None, refs: list[str] | None, share: _Sharing) -> list[Task]:
        # The JSON text goes straight to pydantic's parser: decoding it to dicts first
        # (SQLAlchemy's JSON type) costs twice the CPU and a transient copy of every row.
        data = sa.cast(tables.tasks.c.data, sa.Text)
        query = sa.select(tables.tasks.c.ref, data).order_by(tables.tasks.c.ref)
        comment_data = sa.cast(tables.comments.c.data, sa.Text)
        comment_query = sa.select(tables.comments.c.task_ref, comment_data)
        if scope is not None:
            query = query.where(tables.tasks.c.scope == scope)
            comment_query = comment_query.join(
                tables.tasks, tables.tasks.c.ref == tables.comments.c.task_ref
            ).where(tables.tasks.c.scope == scope)
        if refs is not None:
            query = query.where(tables.tasks.c.ref.in_(refs))
            comment_query = comment_query.where(tables.comments.c.task_ref.in_(refs))
        with self.connect() as conn:
            by_task: dict[str, list[Comment]] = {}
            for ref, text in conn.execute(comment_query):
                by_task.setdefault(ref, []).append(Comment.model_validate_json(text))
            rows = conn.execute(query)
            return [share(_stored_task(text, by_task.get(ref))) for ref, text in rows]

    def item_states(self) -> list[ItemState]:
        """Every stored item's ref, scope, status category and update time, from the
        indexed columns alone: what the status document counts, without a `Task`."""
        if not self.exists():
            return []
        table = tables.tasks
        query = sa.select(table.c.ref, table.c.scope, table.c.category, table.c.updated_at)
        parse = datetime.fromisoformat
        with self.connect() as conn:
            return [
                ItemState(ref, scope, sys.intern(category), parse(updated_at))
                for ref, scope, category, updated_at in conn.execute(query)
            ]

    def item_views(self, scope: str) -> dict[str, ItemView]:
        """What `plan` compares of each stored item of `scope`, by ref, without a `Task`.

        Read as JSON paths by the database (SQLite's json_extract, PostgreSQL's ->>): a
        fifth of what parsing every row and building its `Task` costs. A value of an
        unexpected shape makes its item's view not `plain` (planned whole, as always).
        """
        if not self.exists():
            return {}
        data = tables.tasks.c.data
        text = ("title", "body", "milestone", "twin_of", ("status", "name"), ("status", "category"))
        lists = ("labels", "assignees", "fix_versions")
        query = sa.select(
            tables.tasks.c.ref,
            *(data[path].as_string() for path in (*text, *lists, ("raw", "twin_of"))),
            data["by_trackersync"].as_boolean(),
        ).where(tables.tasks.c.scope == scope)
        comment = tables.comments.c
        comment_query = (
            sa.select(
                comment.task_ref,
                comment.comment_id,
                comment.updated_at,
                comment.data["mirror_of"].as_string(),
                comment.data["by_trackersync"].as_boolean(),
            )
            .join(tables.tasks, tables.tasks.c.ref == comment.task_ref)
            .where(tables.tasks.c.scope == scope)
        )
        views: dict[str, ItemView] = {}
        read = _ViewReader()
        with self.connect() as conn:
            comments: dict[str, list[CommentView]] = {}
            for ref, comment_id, updated, mirror_of, trusted in conn.execute(comment_query):
                view = CommentView(comment_id, updated, mirror_of, bool(trusted))
                comments.setdefault(ref, []).append(view)
            for row in conn.execute(query):
                found = comments.get(row[0])
                views[row[0]] = read(row, tuple(sorted(found)) if found else ())
        return views

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
        """Store a scope's pulled items and advance its cursor, in one transaction.

        Comments are saved from `result.comments` alone (it already holds any a connector
        left on `Task.comments`, see `PullResult`); task rows never carry them.
        """
        self.migrate()
        scope = result.scope
        with self.begin() as conn:
            upsert(conn, tables.tasks, [task_row(t) for t in result.tasks])
            _save_comments(conn, scope, result.comments)
            if result.milestones is not None:
                _save_milestones(conn, scope, result.milestones)
            cursor = {"scope": scope, "data": result.cursor, "pulled_at": iso(pulled_at)}
            upsert(conn, tables.cursors, [cursor])

    def save_milestone(self, milestone: Milestone) -> None:
        """Store one milestone as a write returned it (the next pull confirms it)."""
        self.migrate()
        with self.begin() as conn:
            upsert(conn, tables.milestones, [_milestone_row(milestone)])

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
                    # Errors in a summary quote trackers' answers: no secret is kept.
                    "summary": redact_json(summary),
                },
            )


# What PostgreSQL text and JSON cannot hold: NUL, and UTF-16 surrogates without a pair.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """`value` with every string (at any depth) stripped of what the database cannot store.

    Trackers do send such text; dropping those code points keeps the rest of the item and
    makes SQLite and PostgreSQL store the same thing.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable(item) for item in value)
    return value


def _storable_json(value: Any) -> str:
    return json.dumps(storable(value))


def _drop_unstorable(engine: Engine) -> None:
    """Every parameter of every statement goes through `storable`; JSON columns go through it
    in `_storable_json` before serialising (escaped as text, a NUL would slip through here)."""

    @sa.event.listens_for(engine, "before_cursor_execute", retval=True)
    def _scrub(
        _conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> tuple[str, Any]:
        return statement, storable(parameters)


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


def _stored_task(text: str, comments: list[Comment] | None) -> Task:
    """A task from its stored JSON, with its comments built in (no copy per task)."""
    if not comments:
        return Task.model_validate_json(text)
    ordered = tuple(sorted(comments, key=lambda c: (c.created_at, c.id)))
    return Task.model_validate({**json.loads(text), "comments": ordered})


class _ViewReader:
    """Builds `ItemView`s from `item_views`' rows, sharing equal statuses and lists."""

    def __init__(self) -> None:
        self._statuses: dict[tuple[str | None, str | None], Status | None] = {}
        self._lists: dict[str, tuple[str, ...] | None] = {}

    def __call__(self, row: Sequence[Any], comments: tuple[CommentView, ...]) -> ItemView:
        _, title, body, milestone, twin_of, name, category = row[:7]
        labels, assignees, fix_versions = (self._list(text) for text in row[7:10])
        raw_twin_of, by_trackersync = row[10:12]
        status = self._status(name, category)
        values = (title, body, status, labels, assignees, fix_versions)
        plain = raw_twin_of is None and None not in values
        return ItemView(
            title=title or "",
            body=body or "",
            status=status or _UNKNOWN_STATUS,
            labels=labels or (),
            assignees=assignees or (),
            milestone=milestone,
            fix_versions=fix_versions or (),
            twin_of=twin_of,
            by_trackersync=bool(by_trackersync),
            comments=comments,
            plain=plain,
        )

    def _status(self, name: str | None, category: str | None) -> Status | None:
        """The status (shared); None when either part is missing or not valid."""
        key = (name, category)
        if key not in self._statuses:
            status = None
            if name is not None and category is not None:
                try:
                    status = Status(name=name, category=StatusCategory(category))
                except ValueError:
                    status = None
            self._statuses[key] = status
        return self._statuses[key]

    def _list(self, text: str | None) -> tuple[str, ...] | None:
        """A JSON list of strings; None for anything else (or nothing)."""
        if text is None:
            return None
        if text not in self._lists:
            try:
                found = json.loads(text)
            except ValueError:
                found = None
            ok = isinstance(found, list) and all(isinstance(item, str) for item in found)
            self._lists[text] = tuple(found) if ok else None
        return self._lists[text]


_UNKNOWN_STATUS = Status(name="", category=StatusCategory.TODO)


class _Sharing:
    """Makes loaded tasks share what is equal among them: a store of 200k items loads
    200k equal statuses and field-name sets (a third of a task's memory) otherwise.

    Both are immutable in use: `Status` is frozen, and pydantic copies a model's
    field-name set before changing it (`model_copy`)."""

    def __init__(self) -> None:
        self._field_sets: dict[frozenset[str], set[str]] = {}
        self._statuses: dict[Status, Status] = {}

    def __call__(self, task: Task) -> Task:
        names = task.__pydantic_fields_set__
        shared = self._field_sets.setdefault(frozenset(names), names)
        object.__setattr__(task, "__pydantic_fields_set__", shared)
        # Frozen models refuse setattr; a field's value lives in the instance's __dict__.
        task.__dict__["status"] = self._statuses.setdefault(task.status, task.status)
        return task


def _with_comments(task: Task, comments: list[Comment]) -> Task:
    if not comments:
        return task
    ordered = tuple(sorted(comments, key=lambda c: (c.created_at, c.id)))
    return task.model_copy(update={"comments": ordered})


def with_pull(stored: list[Task], result: PullResult) -> list[Task]:
    """What `tasks(result.scope)` returns once `save_pull(result)` has run, computed in
    memory from `stored` (that scope's `tasks()` before): how a dry run sees the store.

    Mirrors `save_pull`: a pulled item replaces the stored one but the comments stored
    for it stay; the pull's `comments` replace or join them by id.
    """
    kept = {str(task.ref): list(task.comments) for task in stored}
    items = {str(task.ref): task for task in stored}
    items.update({str(task.ref): task for task in result.tasks})
    scope_ref = Ref.parse(result.scope)
    for key, comments in result.comments.items():
        ref = str(scope_ref.item(key))
        fresh = {c.id for c in comments}
        kept[ref] = [c for c in kept.get(ref, []) if c.id not in fresh] + list(comments)
    return [_with_comments(items[ref], kept.get(ref, [])) for ref in sorted(items)]


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
    upsert(conn, tables.comments, rows)


def _save_milestones(conn: Connection, scope: str, milestones: list[Milestone]) -> None:
    """A scope's milestones become exactly `milestones`: the others of that scope go."""
    rows = [_milestone_row(m) for m in milestones]
    table = tables.milestones
    gone = table.c.milestone_id.not_in([row["milestone_id"] for row in rows])
    conn.execute(table.delete().where((table.c.scope == scope) & gone))
    upsert(conn, table, rows)
