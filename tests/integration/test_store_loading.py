"""Loading a store shares what is equal among items (memory at 100k pairs) without
letting one loaded item's change show in another."""

from __future__ import annotations

from builders import T0, make_comment, make_task

from trackersync.sync.model import PullResult
from trackersync.sync.state import StateStore
from trackersync.sync.state.links import LinkStore

SCOPE = "gh:acme/web"


def test_loaded_tasks_equal_the_saved_ones_and_copies_stay_apart(state_url: str) -> None:
    store = StateStore(state_url)
    saved = [
        make_task("gh:acme/web#1", labels=("bug",), category="in_progress"),
        make_task("gh:acme/web#2", labels=("bug",), category="in_progress", twin_of="x"),
        make_task("gh:acme/web#3", category="done", raw={"number": 3}),
    ]
    comments = {"2": [make_comment("21", created_at=T0.replace(hour=13)), make_comment("20")]}
    store.save_pull(PullResult(scope=SCOPE, tasks=saved, comments=comments), T0)
    loaded = store.tasks()
    ordered = (make_comment("20"), make_comment("21", created_at=T0.replace(hour=13)))
    assert loaded == [saved[0], saved[1].model_copy(update={"comments": ordered}), saved[2]]
    assert [t.model_fields_set for t in loaded] == [t.model_fields_set for t in store.tasks()]

    edited = loaded[0].model_copy(update={"title": "Edited"})
    assert edited.title == "Edited"
    assert loaded[1].title == "Title of gh:acme/web#2"
    assert loaded[0].model_fields_set == store.tasks()[0].model_fields_set


def test_equal_bases_load_as_values_of_their_own(state_url: str) -> None:
    links = LinkStore(StateStore(state_url), "web")
    bases = {"labels": (["x"], ["x"]), "status": ("todo", "todo"), "milestone": (None, "v2")}
    for n in (1, 2):
        links.record_twin(f"jira:WEB#WEB-{n}", f"gh:acme/web#{n}", bases, None)
    state = links.load()
    first = state.bases[("jira:WEB#WEB-1", "labels")]
    second = state.bases[("jira:WEB#WEB-2", "labels")]
    assert first == second == (["x"], ["x"])
    first[0].append("y")  # a caller treating a base list as its own changes no other base
    assert (first[1], second) == (["x"], (["x"], ["x"]))
    assert state.bases[("jira:WEB#WEB-2", "milestone")] == (None, "v2")
    assert state.bases[("jira:WEB#WEB-1", "status")] == ("todo", "todo")
