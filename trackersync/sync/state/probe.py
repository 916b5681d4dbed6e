"""`check`'s look at the state store: reachable, credentials accepted, schema migratable.

Nothing is left behind: the migration is run in a transaction that is rolled back (both
databases roll DDL back), and a SQLite file that does not exist yet is not created.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from trackersync.errors import AuthRefused, ConfigError
from trackersync.sync.state.store import MIGRATIONS, StateStore

VERSION_TABLE = "ts_alembic_version"


def probe(store: StateStore) -> str:
    """One line on the store's health; raises `Unreachable` / `AuthRefused` (exit 3) or
    `ConfigError` (exit 2) when a run could not use it."""
    where = store.url.render_as_string(hide_password=True)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    database = store.url.database
    if store.is_sqlite and database and not Path(database).exists():
        _check_folder(Path(database))
        return f"state store {where}: not created yet; the first pull creates it (schema {head})"
    with store.connect() as conn:
        current = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        try:
            _try_migration(conn, config)
        except DBAPIError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            hint = f"cannot migrate the schema: {reason}"
            raise AuthRefused("state store", where, hint) from None
    if current == head:
        return f"state store {where}: ok (schema {head})"
    later = f"the next write migrates it to {head}"
    return f"state store {where}: ok (schema {current or 'empty'}; {later})"


def _try_migration(conn: Connection, config: AlembicConfig) -> None:
    # The connection is inside the transaction reading the version opened; the migration
    # joins it (see env.py) and everything it did is rolled back here.
    config.attributes["connection"] = conn
    try:
        command.upgrade(config, "head")
    finally:
        conn.rollback()


def _check_folder(database: Path) -> None:
    folder = database.resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise ConfigError(
            f"the SQLite file {database} cannot be created: {folder} is not a writable folder",
            key="state",
        )
