"""N:M links: an item trackersync created for one link is not copied on by another."""

from __future__ import annotations

from dataclasses import replace

from builders import GITHUB, make_link, make_task

from trackersync.sync.actions import Create
from trackersync.sync.model import Ref
from trackersync.sync.plan import LinkState, plan

# Link "docs": gh:acme/web -> gh:acme/docs. Link "web" (not planned here) pairs
# jira:WEB with gh:acme/web, so gh:acme/web#1 is its mirror of jira:WEB#WEB-1.
DOCS = make_link(
    name="docs",
    source=GITHUB,
    target=replace(GITHUB, scope=Ref("gh", "acme/docs")),
)
MIRROR, ORIGINAL = "gh:acme/web#1", "gh:acme/web#2"


def created(state: LinkState, *tasks, chain: bool = False) -> list[str]:
    result = plan(state, list(tasks), [], replace(DOCS, chain=chain))
    return [a.origin.ref for a in result.actions if isinstance(a, Create)]


def test_a_mirror_another_link_recorded_is_not_chained_on() -> None:
    state = LinkState(mirrors_elsewhere=frozenset({MIRROR}))
    assert created(state, make_task(MIRROR), make_task(ORIGINAL)) == [ORIGINAL]


def test_a_mirror_known_by_its_trusted_marker_is_not_chained_on() -> None:
    """The state store was lost: the marker alone says the item is another link's mirror."""
    mirror = make_task(MIRROR, twin_of="jira:WEB#WEB-1", by_trackersync=True)
    assert created(LinkState(), mirror, make_task(ORIGINAL)) == [ORIGINAL]


def test_chain_true_mirrors_the_mirrors_too() -> None:
    state = LinkState(mirrors_elsewhere=frozenset({MIRROR}))
    mirror = make_task(MIRROR, twin_of="jira:WEB#WEB-1", by_trackersync=True)
    assert created(state, mirror, make_task(ORIGINAL), chain=True) == [MIRROR, ORIGINAL]
