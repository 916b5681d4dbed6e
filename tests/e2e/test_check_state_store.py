"""`check` validates the state store too (reachable, credentials, migratable) and says so;
a database problem is one line on stderr, whichever command meets it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from conftest import POSTGRES_URL, postgres_schema
from world import World

from trackersync.sync.state.store import MIGRATIONS


def head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_current_head()
    assert revision is not None
    return revision


def run(world: World, *args: str) -> tuple[int, str, str]:
    proc = world.cli(*args)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def test_check_reports_the_store_and_creates_nothing(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        code, stdout, stderr = run(world, "check")
        assert code == 0, stderr
        assert f"state store {world.state_url}: not created yet" in stdout
        assert not (tmp_path / "state.db").exists()
        assert run(world, "pull")[0] == 0
        code, stdout, stderr = run(world, "check")
        assert code == 0, stderr
        assert f"state store {world.state_url}: ok (schema {head()})" in stdout
    finally:
        world.close()


@pytest.fixture
def read_only_state() -> Iterator[tuple[str, str]]:
    """A PostgreSQL schema and a URL of a role that may use it but create nothing in it."""
    role = f"ts_ro_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    with postgres_schema() as url:
        schema = url.rsplit("%3D", 1)[1]
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        try:
            yield url.replace("postgres@", f"{role}@", 1), schema
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))
    admin.dispose()


@pytest.mark.parametrize("command", ["check", "pull"])
def test_a_store_that_cannot_be_migrated_is_refused_in_one_line(
    tmp_path: Path, read_only_state: tuple[str, str], command: str
) -> None:
    url, schema = read_only_state
    world = World(tmp_path, state_url=url)
    try:
        code, _, stderr = run(world, command)
        assert code == 3, stderr
        [line] = stderr.strip().splitlines()
        assert "state store" in line
        assert "cannot migrate the schema: permission denied" in line
        engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names(schema=schema) == []
        engine.dispose()
    finally:
        world.close()


@pytest.mark.parametrize("command", ["check", "pull", "sync", "status", "health"])
def test_a_database_that_is_not_there_is_one_line(tmp_path: Path, command: str) -> None:
    missing = POSTGRES_URL.rsplit("/", 1)[0] + f"/nosuch_{uuid.uuid4().hex[:8]}"
    world = World(tmp_path, state_url=missing)
    try:
        code, _, stderr = run(world, command)
        assert code == 3, stderr
        [line] = stderr.strip().splitlines()
        assert "does not exist" in line
    finally:
        world.close()
