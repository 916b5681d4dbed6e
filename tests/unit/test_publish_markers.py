"""A rollup block is replaced only whole: text a person wrote around or over a broken block
is never deleted, and a repeat after the repair writes nothing."""

from __future__ import annotations

import pytest

from trackersync.sync.publish import MARKERS, TextKind, splice

KINDS: list[TextKind] = ["markdown", "plain", "issue"]


def broken(kind: TextKind, how: str) -> str:
    """A description where a person edited our markers, per `how`."""
    start, end = MARKERS[kind]
    return {
        "end-removed": f"Notes.\n{start}\nold block\nMY TEXT BELOW",
        "start-removed": f"Notes.\nold block\n{end}\nMY TEXT BELOW",
        "end-removed-then-rolled": (
            f"Notes.\n{start}\nold block\nMY TEXT BELOW\n\n{start}\nnewer\n{end}"
        ),
        "both-removed": "Notes.\nold block\nMY TEXT BELOW",
    }[how]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "how", ["end-removed", "start-removed", "end-removed-then-rolled", "both-removed"]
)
def test_user_text_survives_every_later_rollup(kind: TextKind, how: str) -> None:
    text = broken(kind, how)
    once = splice(text, "fresh 1", kind)
    twice = splice(once, "fresh 2", kind)
    for published in (once, twice):
        assert "Notes." in published
        assert "MY TEXT BELOW" in published
        assert "old block" in published
    assert "fresh 1" not in twice
    assert twice.count("fresh 2") == 1
    assert splice(twice, "fresh 2", kind) == twice  # the repeat changes nothing


@pytest.mark.parametrize("kind", KINDS)
def test_a_whole_block_is_replaced_in_place(kind: TextKind) -> None:
    start, end = MARKERS[kind]
    text = f"Above.\n{start}\nold\n{end}\nBelow."
    assert splice(text, "new", kind).replace("\n", "") == f"Above.{start}new{end}Below."
