"""Text PostgreSQL cannot store (NUL, lone surrogates) arrives from trackers; the store keeps
everything else of the item and never fails on it, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import pytest
from builders import T0, make_comment, make_task

from trackersync.sync.model import Milestone, PullResult, Ref
from trackersync.sync.state import StateStore

SCOPE = "gh:acme/web"

# (id, what a tracker sent, what the store keeps)
HOSTILE_TEXT = [
    pytest.param("a\x00b", "ab", id="nul"),
    pytest.param("\x00\x00", "", id="only-nuls"),
    pytest.param("x\ud800y", "xy", id="lone-high-surrogate"),
    pytest.param("x\udfffy", "xy", id="lone-low-surrogate"),
    pytest.param("tab\tnew\nline é 😀", "tab\tnew\nline é 😀", id="ordinary-text-kept"),
]


@pytest.mark.parametrize(("text", "kept"), HOSTILE_TEXT)
def test_every_text_field_is_stored_without_what_the_database_cannot_hold(
    state_url: str, text: str, kept: str
) -> None:
    task = make_task(f"{SCOPE}#1", title=f"T{text}", body=text, labels=(f"l{text}",))
    milestone = Milestone(scope=Ref.parse(SCOPE), id="1", name=f"v{text}", description=text)
    store = StateStore(state_url)
    store.save_pull(
        PullResult(
            scope=SCOPE,
            tasks=[task],
            comments={"1": [make_comment("10", body=text, author=f"A{text}")]},
            milestones=[milestone],
            cursor={"since": text},
        ),
        T0,
    )
    store.record_run("pull", T0, T0, "failed", {"error": text})
    [stored] = store.tasks()
    assert (stored.title, stored.body, stored.labels) == (f"T{kept}", kept, (f"l{kept}",))
    [comment] = stored.comments
    assert (comment.body, comment.author) == (kept, f"A{kept}")
    [saved] = store.milestones()
    assert (saved.name, saved.description) == (f"v{kept}", kept)
    assert store.cursor(SCOPE) == {"since": kept}
    assert store.runs()[0]["summary"] == {"error": kept}
