"""A pair found by marker (a lost state store) is adopted as it stands: nothing written."""

from __future__ import annotations

from builders import make_comment, make_link, make_task

from trackersync.sync.actions import Adopt, AdoptComment, Update
from trackersync.sync.plan import LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"


def found_pair():
    """A Jira original and its GitHub mirror whose values no longer read back equal."""
    origin = make_task(
        J1,
        body="{color:red}red{color} text",
        assignees=("acc-unmapped",),
        comments=(make_comment("10", "+ins+ text"),),
    )
    mirror = make_task(
        G1,
        title=origin.title,
        body="red text",
        twin_of=J1,
        by_trackersync=True,
        comments=(make_comment("900", "ins text", mirror_of=f"{J1}/10", by_trackersync=True),),
        minutes=5,  # the mirror is newer: "newest wins" would have rewritten the origin
    )
    return origin, mirror


def test_a_pair_found_by_marker_is_adopted_with_its_comments_and_writes_nothing() -> None:
    origin, mirror = found_pair()
    result = plan(LinkState(), [origin], [mirror], make_link())
    assert [type(a) for a in result.actions] == [Adopt, AdoptComment]
    assert result.writes == []
    [adopt] = [a for a in result.actions if isinstance(a, Adopt)]
    assert adopt.bases["body"] == ("{color:red}red{color} text", "red text")
    assert adopt.bases["assignees"] == (["acc-unmapped"], [])


def test_after_adoption_only_later_edits_move() -> None:
    origin, mirror = found_pair()
    [adopt, _] = plan(LinkState(), [origin], [mirror], make_link()).actions
    assert isinstance(adopt, Adopt)
    bases = {(J1, name): pair for name, pair in adopt.bases.items()}
    state = LinkState(twins={J1: G1}, bases=bases, mirror_sides={J1: "target"})
    edited = mirror.model_copy(update={"title": "Renamed on GitHub"})
    result = plan(state, [origin], [edited], make_link())
    assert [(a.side, a.changes.model_dump(exclude_unset=True)) for a in result.writes] == [
        ("source", {"title": "Renamed on GitHub"})
    ]
    assert all(isinstance(a, Update) for a in result.writes)
