"""Property: any sequence of user edits on both sides, each followed by `sync`, converges,
and one more `sync` writes nothing. Real clients against both sandboxes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import PROJECT, REPO, World

WORDS = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(lambda s: s.strip() or "x")
SIDES = st.sampled_from(["jira", "github"])
CATEGORIES = st.sampled_from(["todo", "in_progress", "done", "canceled"])
LABELS = st.sets(st.sampled_from(["alpha", "beta", "gamma"]), max_size=3)

OPS = st.one_of(
    st.tuples(st.just("title"), SIDES, st.integers(0, 9), WORDS),
    st.tuples(st.just("body"), SIDES, st.integers(0, 9), WORDS),
    st.tuples(st.just("status"), SIDES, st.integers(0, 9), CATEGORIES),
    st.tuples(st.just("labels"), SIDES, st.integers(0, 9), LABELS),
    st.tuples(st.just("comment"), SIDES, st.integers(0, 9), WORDS),
    st.tuples(st.just("new"), SIDES, st.just(0), WORDS),
    st.tuples(st.just("both-titles"), st.just("both"), st.integers(0, 9), WORDS),
)

JIRA_STATUS = {
    "todo": ("To Do", None),
    "in_progress": ("In Progress", None),
    "done": ("Done", None),
    "canceled": ("Done", "Won't Do"),
}
GITHUB_STATE = {
    "todo": ("open", None),
    "in_progress": ("open", None),
    "done": ("closed", "completed"),
    "canceled": ("closed", "not_planned"),
}


def act(world: World, op: tuple) -> None:
    kind, side, index, data = op
    pairs = sorted(world.pairs().items())
    key, number = pairs[index % len(pairs)]
    if kind == "new":
        if side == "jira":
            world.jira.create_issue(PROJECT, data, data)
        else:
            world.github.create_issue(REPO, data, data)
    elif kind == "both-titles":
        world.jira.edit_issue(key, summary=f"{data} j")
        world.github.edit_issue(REPO, int(number), title=f"{data} g")
    elif side == "jira":
        act_jira(world, kind, key, data)
    else:
        act_github(world, kind, int(number), data)


def act_jira(world: World, kind: str, key: str, data) -> None:
    if kind == "title":
        world.jira.edit_issue(key, summary=data)
    elif kind == "body":
        world.jira.edit_issue(key, description=data)
    elif kind == "labels":
        world.jira.edit_issue(key, labels=sorted(data))
    elif kind == "comment":
        world.jira.add_comment(key, data)
    else:
        status, resolution = JIRA_STATUS[data]
        world.jira.transition(key, status, resolution=resolution)


def act_github(world: World, kind: str, number: int, data) -> None:
    if kind == "title":
        world.github.edit_issue(REPO, number, title=data)
    elif kind == "body":
        world.github.edit_issue(REPO, number, body=data)
    elif kind == "labels":
        world.github.edit_issue(REPO, number, labels=sorted(data))
    elif kind == "comment":
        world.github.add_comment(REPO, number, data)
    else:
        state, reason = GITHUB_STATE[data]
        world.github.edit_issue(REPO, number, state=state, state_reason=reason)


def github_category(issue: dict) -> str:
    if issue["state"] == "open":
        return "open"
    return "canceled" if issue["state_reason"] == "not_planned" else "done"


def jira_category(issue: dict) -> str:
    fields = issue["fields"]
    if fields["status"]["statusCategory"]["key"] != "done":
        return "open"
    return "done" if (fields.get("resolution") or {}).get("name") == "Done" else "canceled"


def assert_converged(world: World) -> None:
    jira_tasks, github_tasks = world.tasks()
    pairs = world.pairs()
    assert len(pairs) == len(world.jira_issues()) == len(world.github_issues())
    for key, number in pairs.items():
        jira, github = world.jira.issue(key), world.github.issue(REPO, int(number))
        assert jira["fields"]["summary"] == github["title"]
        assert jira_category(jira) == github_category(github)
        assert sorted(jira["fields"]["labels"]) == sorted(
            label["name"] for label in github["labels"]
        )
    by_ref = {str(t.ref): t for t in [*jira_tasks, *github_tasks]}
    for key, number in pairs.items():
        jira_task, github_task = by_ref[f"jira:{PROJECT}#{key}"], by_ref[f"gh:{REPO}#{number}"]
        assert jira_task.body.strip() == github_task.body.strip()
        assert len(jira_task.comments) == len(github_task.comments)
        assert sorted(c.body.strip() for c in jira_task.comments) == sorted(
            c.body.strip() for c in github_task.comments
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OPS, min_size=1, max_size=6))
def test_random_edits_converge_and_settle(tmp_path_factory, ops: list[tuple]) -> None:
    world = World(Path(tmp_path_factory.mktemp("world")))
    try:
        world.jira.create_issue(PROJECT, "first from jira", "hello")
        world.github.create_issue(REPO, "first from github", "world")
        assert world.sync().failures == []
        for op in ops:
            act(world, op)
            assert world.sync().failures == []
        assert_converged(world)
        assert world.sync().writes == 0
    finally:
        world.close()
