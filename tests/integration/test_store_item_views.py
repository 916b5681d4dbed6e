"""What a no-change cycle reads instead of whole items: each item's compared fields
(`StateStore.item_views`), its status columns (`item_states`), and only the items of pairs
that may have changed, with the same plan as over everything."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from builders import T0, make_comment, make_link, make_task

from trackersync.cycle.links import _plan
from trackersync.cycle.pull import PullReport
from trackersync.sync.link import value
from trackersync.sync.model import PullResult, Status, Task, iso
from trackersync.sync.plan import ItemView, plan
from trackersync.sync.state import StateStore, tables
from trackersync.sync.state.links import LinkStore
from trackersync.sync.status import ItemState

GH, JIRA = "gh:acme/web", "jira:WEB"
LINK = make_link()


def test_item_views_read_what_the_whole_tasks_hold(state_url: str) -> None:
    store = StateStore(state_url)
    saved = [
        make_task(
            "gh:acme/web#1",
            title='Quotes " and \\ back\\slash, ünïcode 🙂',
            body="line\nbreak\ttab and a `code` [link](https://x.test)",
            labels=("bug", "needs review"),
            assignees=("ann", "bob"),
            milestone="v2",
            fix_versions=("v1", "v2"),
            twin_of="jira:WEB#WEB-1",
            by_trackersync=True,
            status=Status(name="In Review", category="in_progress"),
        ),
        make_task("gh:acme/web#2"),
        make_task("gh:acme/web#3", title="commented"),
    ]
    comments = {"3": [make_comment("c1")]}
    store.save_pull(PullResult(scope=GH, tasks=saved, comments=comments), T0)
    # A row stored before `twin_of` existed keeps the marker in `raw` (`Task` moves it).
    legacy = saved[1].model_dump(mode="json", exclude={"comments", "twin_of"})
    legacy.update(ref="gh:acme/web#4", raw={"twin_of": "jira:WEB#WEB-4"})
    with store.begin() as conn:
        row = {"ref": legacy["ref"], "scope": GH, "updated_at": iso(T0), "category": "todo"}
        conn.execute(sa.insert(tables.tasks), [{**row, "data": legacy}])

    views = store.item_views(GH)
    loaded = {str(task.ref): task for task in store.tasks(GH)}
    assert views.keys() == loaded.keys()
    for ref in ("gh:acme/web#1", "gh:acme/web#2", "gh:acme/web#3"):
        assert views[ref] == ItemView.of(loaded[ref])
    assert [c.id for c in views["gh:acme/web#3"].comments] == ["c1"]
    assert loaded["gh:acme/web#4"].twin_of == "jira:WEB#WEB-4"
    assert not views["gh:acme/web#4"].plain  # its marker is where only `Task` looks
    assert store.item_views("jira:NONE") == {}

    assert sorted(store.item_states(), key=lambda s: s.ref) == [
        ItemState.of(task) for task in sorted(loaded.values(), key=lambda t: str(t.ref))
    ]


def _pair(store: StateStore, n: int, **jira: Any) -> tuple[Task, Task]:
    """Pair n stored as a sync leaves it: items, twin, bases equal to both sides."""
    source = make_task(f"jira:WEB#WEB-{n}", **{"body": "text", "labels": ("x",), **jira})
    target = make_task(
        f"gh:acme/web#{n}", body="text", twin_of=str(source.ref), by_trackersync=True
    )
    bases = {
        name: (value(source, name, LINK.source), value(target, name, LINK.target))
        for name in LINK.item_fields
    }
    LinkStore(store, "web").record_twin(
        str(source.ref), str(target.ref), bases, None, mirror_side="target"
    )
    return source, target


def test_a_cycle_builds_tasks_only_for_pairs_that_moved(
    state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(state_url)
    quiet = _pair(store, 1)
    source, target = _pair(store, 2)
    moved = source.model_copy(update={"title": "Edited in Jira"})
    new = make_task("jira:WEB#WEB-3")
    store.save_pull(PullResult(scope=JIRA, tasks=[quiet[0], moved, new]), T0)
    store.save_pull(PullResult(scope=GH, tasks=[quiet[1], target]), T0)
    links = LinkStore(store, "web")
    expected = plan(links.load(), store.tasks(JIRA), store.tasks(GH), LINK)

    built: list[str] = []
    original = StateStore.tasks

    def tasks(self: StateStore, *args: Any, **kwargs: Any) -> list[Task]:
        found = original(self, *args, **kwargs)
        built.extend(str(task.ref) for task in found)
        return found

    monkeypatch.setattr(StateStore, "tasks", tasks)
    decided = _plan(store, links, PullReport(), (JIRA, GH), LINK)
    assert decided == expected
    assert sorted(built) == ["gh:acme/web#2", "jira:WEB#WEB-2", "jira:WEB#WEB-3"]
    assert [a.reason for a in decided.actions] == [
        "jira:WEB#WEB-3 has no twin in gh:acme/web",
        "title changed on jira:WEB#WEB-2",
    ]
