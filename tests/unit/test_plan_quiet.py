"""The fast path of a no-change cycle: pairs proven quiet (`quiet_pair`) are left out of
`plan`, and leaving them out must never change the plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from builders import GITHUB, JIRA, make_comment, make_link, make_task

from trackersync.sync.actions import Update
from trackersync.sync.link import LinkSpec, value
from trackersync.sync.model import Status, StatusCategory, Task, iso
from trackersync.sync.plan import (
    CommentTwin,
    ItemView,
    LinkState,
    Plan,
    plan,
    quiet_pair,
    split_quiet,
)

LINK = make_link(
    source=replace(
        JIRA,
        status_overrides={"Review": StatusCategory.IN_PROGRESS},
        milestones=frozenset({"v2"}),
    ),
    target=replace(GITHUB, milestones=frozenset({"2.0"})),
    milestones={"v2": "2.0"},
    users={"ann": "ann"},
)
CHANGES: dict[str, Any] = {
    "title": "Edited",
    "body": "edited text",
    "status": Status(name="Done", category=StatusCategory.DONE),
    "labels": ("bug", "new"),
    "assignees": ("ann",),
    "milestone": "v3",
}


def refs(n: int) -> tuple[str, str]:
    return f"jira:WEB#WEB-{n}", f"gh:acme/web#{n}"


def in_step(n: int, link: LinkSpec = LINK, **source: Any) -> tuple[Task, Task, dict[str, Any]]:
    """Pair n as the last sync left it: a mirror on GitHub, bases equal to both sides."""
    jira_ref, gh_ref = refs(n)
    s = make_task(jira_ref, **{"body": "text", "labels": ("bug",), **source})
    t = make_task(gh_ref, body="text", labels=("bug",), twin_of=jira_ref, by_trackersync=True)
    bases = {
        name: (value(s, name, link.source), value(t, name, link.target))
        for name in link.item_fields
    }
    return s, t, bases


def fast_plan(
    state: LinkState, sources: list[Task], targets: list[Task], link: LinkSpec
) -> tuple[Plan, frozenset[str]]:
    """`plan` as `cycle.links` runs it on a store: quiet pairs split off first."""
    views = {str(task.ref): ItemView.of(task) for task in [*sources, *targets]}
    grouped: dict[str, dict[str, tuple[Any, Any]]] = {}
    for (ref, name), pair in state.bases.items():
        grouped.setdefault(ref, {})[name] = pair
    quiet, kept = split_quiet(replace(state, bases={}), views, sorted(grouped.items()), link)
    rest = [[t for t in tasks if str(t.ref) not in quiet] for tasks in (sources, targets)]
    return plan(replace(state, bases=kept), rest[0], rest[1], link), quiet


def test_a_pair_equal_to_its_bases_is_quiet_and_plans_nothing() -> None:
    s, t, bases = in_step(1, labels=("bug",), status=Status(name="Review", category="todo"))
    views = {str(s.ref): ItemView.of(s), str(t.ref): ItemView.of(t)}
    assert quiet_pair(str(s.ref), str(t.ref), views, bases, "target", LINK)
    state = LinkState(twins={str(s.ref): str(t.ref)}, mirror_sides={str(s.ref): "target"})
    state = replace(state, bases={(str(s.ref), name): pair for name, pair in bases.items()})
    assert plan(state, [s], [t], LINK) == Plan()
    assert fast_plan(state, [s], [t], LINK) == (Plan(), frozenset({str(s.ref), str(t.ref)}))


@pytest.mark.parametrize("side", ["source", "target"])
@pytest.mark.parametrize("name", list(CHANGES))
def test_a_pair_with_one_field_off_its_base_still_plans_the_write(side: str, name: str) -> None:
    s, t, bases = in_step(1)
    edited = {"source": s, "target": t}
    edited[side] = edited[side].model_copy(update={name: CHANGES[name]})
    s, t = edited["source"], edited["target"]
    views = {str(s.ref): ItemView.of(s), str(t.ref): ItemView.of(t)}
    assert not quiet_pair(str(s.ref), str(t.ref), views, bases, "target", LINK)
    state = LinkState(
        twins={str(s.ref): str(t.ref)},
        bases={(str(s.ref), field): pair for field, pair in bases.items()},
        mirror_sides={str(s.ref): "target"},
    )
    full = plan(state, [s], [t], LINK)
    written = {a.side: a.changes.model_fields_set for a in full.actions if isinstance(a, Update)}
    assert name in written["target" if side == "source" else "source"]
    assert fast_plan(state, [s], [t], LINK) == (full, frozenset())


def test_leaving_quiet_pairs_out_never_changes_the_plan() -> None:
    """Every way a pair can be not quite in step, next to quiet ones: the same plan."""
    sources: list[Task] = []
    targets: list[Task] = []
    state = LinkState()
    twins, bases, sides = {}, {}, {}

    def add(n: int, s: Task | None, t: Task | None, pair_bases: dict[str, Any]) -> None:
        jira_ref, gh_ref = refs(n)
        twins[jira_ref] = gh_ref
        sides[jira_ref] = "target"
        bases.update({(jira_ref, name): pair for name, pair in pair_bases.items()})
        sources.extend([s] if s else [])
        targets.extend([t] if t else [])

    for n in (1, 2):  # quiet, one with a status its side maps (`status_overrides`)
        status = Status(name="Review", category="todo") if n == 2 else None
        add(n, *in_step(n, **({"status": status} if status else {})))
    s, t, b = in_step(3, fix_versions=("v1", "v2"), milestone="v1")  # milestone from fixVersions
    add(3, s, t, b)
    s, t, b = in_step(4)
    add(4, s.model_copy(update={"title": "Edited"}), t, b)  # the source moved
    s, t, b = in_step(5)
    add(5, s, t.model_copy(update={"labels": ("bug", "ui")}), b)  # a label added (set merge)
    s, t, b = in_step(6, labels=("a", "b"))
    add(6, s, t, {**b, "labels": (["b", "a"], b["labels"][1])})  # base unsorted: a rebase
    s, t, b = in_step(7)
    add(7, s, t, {k: v for k, v in b.items() if k != "milestone"})  # a field never based
    s, t, b = in_step(8)
    add(8, s.model_copy(update={"twin_of": "gh:acme/web#99"}), t, b)  # untrusted marker
    s, t, b = in_step(9)
    add(9, s, t.model_copy(update={"twin_of": None, "by_trackersync": False}), b)  # lost
    s, t, b = in_step(10)
    add(10, s.model_copy(update={"comments": (make_comment("c1"),)}), t, b)  # not mirrored
    # Comments mirrored at their version (17), edited since (18), pasted marker (19), and
    # edited but with its mirror gone (20: `_comment_action` does nothing either).
    comment_twins = {}
    for n in (17, 18, 19, 20):
        s, t, b = in_step(n)
        origin = make_comment(f"c{n}")
        marker = f"{refs(n)[0]}/c{n}"
        mirror = make_comment(f"m{n}", mirror_of=marker, by_trackersync=n != 19)
        edited = origin.model_copy(update={"updated_at": origin.updated_at + timedelta(hours=1)})
        add(
            n,
            s.model_copy(update={"comments": (edited if n in (18, 20) else origin,)}),
            t.model_copy(update={"comments": () if n == 20 else (mirror,)}),
            b,
        )
        comment_twins[marker] = CommentTwin(refs(n)[1], f"m{n}", iso(origin.updated_at))
    s, t, b = in_step(11)
    add(11, s, t.model_copy(update={"status": Status(name="open", category="in_progress")}), b)
    s, t, b = in_step(12)
    add(12, None, t, b)  # the source was not pulled
    s, t, b = in_step(13)
    add(13, s, t, b)
    twins[refs(14)[0]] = refs(13)[1]  # a second source paired with #13: never left out
    sources.append(make_task(refs(14)[0]))
    sources.append(make_task("jira:WEB#WEB-15"))  # unpaired: a create
    targets.append(make_task("gh:acme/web#16", twin_of="jira:WEB#WEB-15", by_trackersync=True))

    state = replace(state, twins=twins, bases=bases, mirror_sides=sides, comments=comment_twins)
    full = plan(state, sources, targets, LINK)
    fast, quiet = fast_plan(state, sources, targets, LINK)
    assert fast == full
    assert quiet == {ref for n in (1, 2, 3, 17, 20) for ref in refs(n)}
    assert full.actions  # the scenario is not empty
    assert full.warnings
