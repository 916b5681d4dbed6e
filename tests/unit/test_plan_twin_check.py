"""Before writing to a stored twin, `plan` checks the item at that key still is that twin."""

from __future__ import annotations

import pytest
from builders import make_comment, make_link, make_task

from trackersync.sync.actions import MirrorComment, Update
from trackersync.sync.plan import LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"
FIELDS = ("title", "body", "status", "labels", "assignees", "milestone")


def state(mirror_side: str | None = "target") -> LinkState:
    sides = {J1: mirror_side} if mirror_side else {}
    # Bases from when the pair was in step: the title has since moved on the Jira side.
    bases = {(J1, name): (None, None) for name in FIELDS}
    bases[(J1, "title")] = ("Old", "Old")
    bases[(J1, "body")] = ("", "")
    bases[(J1, "status")] = ("todo", "todo")
    bases[(J1, "labels")] = ([], [])
    bases[(J1, "assignees")] = ([], [])
    return LinkState(twins={J1: G1}, bases=bases, mirror_sides=sides)


# (marker on the mirror, written by trackersync's account?, which side trackersync
#  created, the pair is synced?, the warning names)
CASES = [
    (J1, True, "target", True, None),
    ("jira:WEB#WEB-7", True, "target", False, "is trackersync's twin of jira:WEB#WEB-7"),
    (J1, False, "target", False, "was not created by trackersync's account"),
    ("jira:WEB#WEB-7", False, "target", False, "was not created by trackersync's account"),
    # The marker is gone: a person may have rewritten the body; it is written back.
    (None, False, "target", True, None),
    # Paired before the created side was recorded: nothing to check against.
    ("jira:WEB#WEB-7", True, None, True, None),
    # trackersync created the Jira side (a GitHub origin): that side is checked.
    ("gh:acme/web#5", True, "source", False, "is trackersync's twin of gh:acme/web#5"),
]


@pytest.mark.parametrize(("marker", "ours", "side", "synced", "why"), CASES)
def test_a_twin_key_holding_another_item_is_not_written(
    marker: str | None, ours: bool, side: str | None, synced: bool, why: str | None
) -> None:
    mirror_ref, origin_ref = (G1, J1) if side != "source" else (J1, G1)
    mirror_marker = {"twin_of": marker, "by_trackersync": ours}
    source = make_task(J1, title="New", **(mirror_marker if mirror_ref == J1 else {}))
    target = make_task(G1, title="Old", **(mirror_marker if mirror_ref == G1 else {}))
    if side == "source":
        # The GitHub origin moved its title instead; the Jira mirror kept the old one.
        source = source.model_copy(update={"title": "Old"})
        target = target.model_copy(update={"title": "New"})
    source = source.model_copy(update={"comments": (make_comment("c1", "A comment"),)})
    result = plan(state(side), [source], [target], make_link())
    writes = [a for a in result.actions if isinstance(a, Update | MirrorComment)]
    assert bool(writes) is synced
    skipped = [w for w in result.warnings if "are paired but not synced" in w]
    if why is None:
        assert skipped == []
    else:
        [warning] = skipped
        assert warning.startswith(f"{J1} and {G1} are paired but not synced: {mirror_ref} ")
        assert why in warning
        assert origin_ref in warning
