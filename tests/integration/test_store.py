"""The state store behaves the same on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from builders import T0, make_comment, make_task

from trackersync.sync.model import Milestone, PullResult
from trackersync.sync.state import StateStore
from trackersync.sync.state.links import LinkStore

SCOPE = "gh:acme/web"


def pulled(*tasks, comments=None, milestones=None, cursor=None) -> PullResult:
    return PullResult(
        scope=SCOPE,
        tasks=list(tasks),
        comments=comments or {},
        milestones=milestones,
        cursor=cursor or {"since": "x"},
    )


def test_reading_an_empty_store_creates_nothing(state_url: str, tmp_path) -> None:
    store = StateStore(state_url)
    assert (store.cursor(SCOPE), store.tasks(), store.milestones(), store.runs()) == (
        {},
        [],
        [],
        [],
    )
    assert store.exists() is False
    assert not (tmp_path / "state.db").exists()


def test_pull_results_round_trip_with_comments_and_cursor(state_url: str) -> None:
    store = StateStore(state_url)
    first = make_task("gh:acme/web#1", labels=("bug",), assignees=("octocat",), milestone="v2.0")
    store.save_pull(pulled(first, comments={"1": [make_comment("10")]}, cursor={"since": "a"}), T0)
    assert store.tasks() == [first.model_copy(update={"comments": (make_comment("10"),)})]
    assert store.cursor(SCOPE) == {"since": "a"}

    edited = first.model_copy(update={"title": "Edited", "updated_at": T0 + timedelta(hours=1)})
    later_comment = make_comment("11", "second", created_at=T0 + timedelta(minutes=5))
    store.save_pull(pulled(edited, comments={"1": [later_comment]}, cursor={"since": "b"}), T0)
    [task] = store.tasks()
    assert task.title == "Edited"
    assert [c.id for c in task.comments] == ["10", "11"]
    assert store.cursor(SCOPE) == {"since": "b"}
    assert list(store.pulls()) == [SCOPE]


def test_milestones_are_replaced_only_when_reread(state_url: str) -> None:
    store = StateStore(state_url)
    v2 = Milestone(scope=SCOPE, id="1", name="v2.0")
    store.save_pull(pulled(milestones=[v2]), T0)
    store.save_pull(pulled(milestones=None), T0)  # a 304: unchanged
    assert store.milestones() == [v2]
    store.save_pull(pulled(milestones=[]), T0)
    assert store.milestones() == []


def test_migrations_are_idempotent_and_versioned(state_url: str) -> None:
    StateStore(state_url).migrate()
    store = StateStore(state_url)
    store.migrate()
    with store.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM ts_alembic_version")).scalar()
    assert version == "0008"


def test_link_state_round_trips(state_url: str) -> None:
    store = StateStore(state_url)
    links = LinkStore(store, "web")
    links.record_intent("jira:WEB#WEB-1", "gh:acme/web", T0)
    assert links.load().intents == {"jira:WEB#WEB-1"}
    links.record_twin(
        "jira:WEB#WEB-1", "gh:acme/web#7", {"title": ("A", "A"), "labels": (["x"], ["x"])}, None
    )
    state = links.load()
    assert state.intents == frozenset()
    assert state.twins == {"jira:WEB#WEB-1": "gh:acme/web#7"}
    assert state.bases[("jira:WEB#WEB-1", "labels")] == (["x"], ["x"])
    links.record_comment("jira:WEB#WEB-1/10", "gh:acme/web#7", "900", "2026-01-01T00:00:00.000000Z")
    assert links.load().comments["jira:WEB#WEB-1/10"].mirror_comment_id == "900"
    assert LinkStore(store, "other").load().twins == {}


def test_bad_state_url_is_a_config_error() -> None:
    from trackersync.errors import ConfigError

    with pytest.raises(ConfigError, match="not a database URL"):
        StateStore("nonsense://")


def test_unreachable_postgres_is_reported_not_raised_raw() -> None:
    from trackersync.errors import Unreachable

    store = StateStore("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(Unreachable, match="state store"):
        store.cursor(SCOPE)


def test_sqlite_ddl_is_transactional_so_a_migration_appears_whole(tmp_path) -> None:
    # A reader racing a first migration must never see the version table without the
    # rest (it did before: sqlite3 commits before each CREATE TABLE on its own).
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")

    def create_then_fail() -> None:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert not sa.inspect(store.engine).has_table("probe")


def test_comments_carried_on_pulled_items_are_stored(state_url: str) -> None:
    # Jira's search returns comments inside the issues: they must be stored all the same.
    store = StateStore(state_url)
    task = make_task("gh:acme/web#1", comments=(make_comment("10"), make_comment("11", "b")))
    store.save_pull(pulled(task), T0)
    [stored] = store.tasks()
    assert [(c.id, c.body) for c in stored.comments] == [("10", "hello"), ("11", "b")]


def test_with_pull_reads_as_the_store_will_after_saving_the_pull(state_url: str) -> None:
    # What a dry run plans from must equal what the real run reads back.
    from trackersync.sync.state.store import with_pull

    store = StateStore(state_url)
    one, two = make_task("gh:acme/web#1"), make_task("gh:acme/web#2")
    store.save_pull(pulled(one, two, comments={"1": [make_comment("10")]}), T0)
    later = T0 + timedelta(hours=1)
    edited = make_comment("10", "edited", updated_at=later)
    second = pulled(
        one.model_copy(update={"title": "Changed", "updated_at": later}),
        make_task("gh:acme/web#3", comments=(make_comment("30", created_at=later),)),
        comments={"1": [edited], "2": [make_comment("20")]},
    )
    predicted = with_pull(store.tasks(SCOPE), second)
    store.save_pull(second, T0)
    assert predicted == store.tasks(SCOPE)
    assert [[c.body for c in t.comments] for t in predicted] == [["edited"], ["hello"], ["hello"]]
