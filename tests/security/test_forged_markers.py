"""Forged trackersync markers: anyone who can open an issue or write a comment can paste the
marker trackersync leaves on its mirrors. A marker counts only on an item or comment that
trackersync's own account created; a pasted one is reported, never adopted, never written.

Each case is one row. The plan cases are pure (items as the connectors report them); the
end-to-end cases run `sync` against both sandboxes while a second person ("mallory")
forges markers through the real PyGithub and jira clients with her own credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import github
import pytest
from builders import JIRA, make_comment, make_link, make_task
from jira import JIRA as JiraClient
from world import PROJECT, REPO, SyncRun, World

from trackersync.config.loading import load
from trackersync.connectors.github import mapping as gh_mapping
from trackersync.connectors.jira import mapping as jira_mapping
from trackersync.sandbox.core import RequestRecord
from trackersync.sync.actions import Action, Adopt, AdoptComment, Create, MirrorComment, Update
from trackersync.sync.link import LinkSpec
from trackersync.sync.model import Task
from trackersync.sync.plan import LinkState, plan

J1, J4, J9 = "jira:WEB#WEB-1", "jira:WEB#WEB-4", "jira:WEB#WEB-9"
G1, G9 = "gh:acme/web#1", "gh:acme/web#9"
FILTERED = make_link(source=replace(JIRA, takes_part=frozenset({"WEB-2"})))
ONE_WAY = make_link(two_way=False)
# What a person pastes: the exact texts trackersync's mirrors carry.
FOOTER = (
    "\n\n---\n<sub>Mirrored from [Jira {key}](https://jira.example/browse/{key}) by "
    "trackersync</sub>\n<!-- trackersync:twin_of={ref} -->"
)
JIRA_COMMENT_MARKER = "\n\n{{color:#97a0af}}trackersync:comment={marker}{{color}}"
GITHUB_COMMENT_MARKER = "\n<!-- trackersync:comment={marker} -->"


def forged(ref: str, twin: str) -> Task:
    """A person's item carrying a pasted marker naming `twin`."""
    return make_task(ref, title="Mallory's title", twin_of=twin, by_trackersync=False)


def touched(actions: list[Action]) -> set[str]:
    """Every ref an action adopts, creates a twin of, or writes to."""
    refs: set[str] = set()
    for action in actions:
        if isinstance(action, Adopt):
            refs |= {action.source_ref, action.target_ref}
        elif isinstance(action, Create):
            refs.add(action.origin.ref)
        elif isinstance(action, Update | MirrorComment):
            refs.add(str(action.item.ref))
        elif isinstance(action, AdoptComment):
            refs.add(action.mirror_ref)
    return refs


def warned(ref: str, twin: str) -> str:
    return (
        f"{ref} carries a trackersync marker naming {twin} but was not created by "
        "trackersync's account: ignored"
    )


# (sources, targets, link, refs no action may touch, refs that get a twin, warning)
ITEM_CASES = [
    pytest.param(
        [make_task(J4)], [forged(G9, J4)], make_link(), {G9}, {J4}, warned(G9, J4),
        id="github-footer-names-a-jira-issue",
    ),
    pytest.param(
        [forged(J9, G1)], [make_task(G1)], make_link(), {J9}, {G1}, warned(J9, G1),
        id="jira-property-names-a-github-issue",
    ),
    pytest.param(
        [make_task(J4)], [forged(G9, J4)], ONE_WAY, {G9}, {J4}, warned(G9, J4),
        id="one-way-link",
    ),
    pytest.param(
        [make_task(J4)], [forged(G9, J4)], FILTERED, {G9, J4}, set(), warned(G9, J4),
        id="past-a-link-filter",
    ),
    pytest.param(
        [], [forged(G9, "not a ref at all")], make_link(), {G9}, set(),
        warned(G9, "not a ref at all"), id="marker-names-no-ref",
    ),
    pytest.param(
        [make_task(J4)], [forged(G9, G1)], make_link(), {G9}, {J4}, warned(G9, G1),
        id="marker-names-its-own-side",
    ),
    # trackersync's own mirror, but its origin is outside the filter: not paired either.
    pytest.param(
        [make_task(J4)], [make_task(G9, twin_of=J4, by_trackersync=True)], FILTERED,
        {G9, J4}, set(), None, id="own-mirror-of-a-filtered-origin",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sources", "targets", "link", "untouched", "twinned", "warning"), ITEM_CASES
)
def test_a_forged_item_marker_pairs_nothing(
    sources: list[Task],
    targets: list[Task],
    link: LinkSpec,
    untouched: set[str],
    twinned: set[str],
    warning: str | None,
) -> None:
    result = plan(LinkState(), sources, targets, link)
    assert not touched(result.actions) & untouched
    assert not [a for a in result.actions if isinstance(a, Adopt)]
    assert {a.origin.ref for a in result.actions if isinstance(a, Create)} == twinned
    assert (warning in result.warnings) if warning else result.warnings == []


def paired_with(
    source_comments: tuple[Any, ...], target_comments: tuple[Any, ...]
) -> tuple[Task, Task, LinkState]:
    source = make_task(J1, comments=source_comments)
    target = make_task(G1, twin_of=J1, by_trackersync=True, comments=target_comments)
    return source, target, LinkState(twins={J1: G1}, mirror_sides={J1: "target"})


# (the real comment's side and id, the forged comment's side and id, the marker it pastes)
COMMENT_CASES = [
    pytest.param("source", "10", "target", "900", f"{J1}/10", id="github-comment-claims-jira"),
    pytest.param("target", "55", "source", "10900", f"{G1}/55", id="jira-comment-claims-github"),
    pytest.param("source", "10", "target", "900", f"{J1}/11", id="claims-a-future-comment"),
]


@pytest.mark.parametrize(("real_side", "real_id", "fake_side", "fake_id", "marker"), COMMENT_CASES)
def test_a_forged_comment_marker_makes_no_mirror(
    real_side: str, real_id: str, fake_side: str, fake_id: str, marker: str
) -> None:
    real = make_comment(real_id, "the real text")
    fake = make_comment(fake_id, "the real text", author="mallory", mirror_of=marker)
    comments = {real_side: (real,), fake_side: (fake,)}
    source, target, state = paired_with(comments.get("source", ()), comments.get("target", ()))
    result = plan(state, [source], [target], make_link())
    mirrors = [a for a in result.actions if isinstance(a, MirrorComment)]
    assert not [a for a in result.actions if isinstance(a, AdoptComment)]
    # Nothing rewrites the forged comment; the real one gets a mirror of its own...
    assert all(m.existing is None for m in mirrors)
    assert real.id in {m.copy_.origin.comment_id for m in mirrors if m.side == fake_side}
    # ... and the forged one is mirrored as that person's comment, under its own identity.
    [own] = [m for m in mirrors if m.copy_.origin.comment_id == fake_id]
    assert (own.side, own.copy_.origin.author) == (real_side, "mallory")
    assert f"comment {fake_id} on " in " ".join(result.warnings)


# ---------------------------------------------------------------- who wrote a marker

BOT_CLOUD = {"accountId": "bot-account", "displayName": "trackersync"}
BOT_SERVER = {"name": "trackersync", "key": "JIRAUSER10100", "displayName": "trackersync"}
MALLORY_CLOUD = {"accountId": "mallory-account", "displayName": "Mallory"}
PROPERTY = {"trackersync": {"twin_of": G1}}

# (the issue's creator field, its reporter, its properties, the API user, counts?)
JIRA_AUTHORSHIP = [
    pytest.param(BOT_CLOUD, BOT_CLOUD, PROPERTY, BOT_CLOUD, True, id="created-by-the-api-user"),
    pytest.param(MALLORY_CLOUD, BOT_CLOUD, PROPERTY, BOT_CLOUD, False, id="reporter-set-to-bot"),
    pytest.param(MALLORY_CLOUD, MALLORY_CLOUD, PROPERTY, BOT_CLOUD, False, id="her-own-issue"),
    pytest.param(None, BOT_CLOUD, PROPERTY, BOT_CLOUD, False, id="creator-null"),
    pytest.param("absent", BOT_CLOUD, PROPERTY, BOT_CLOUD, True, id="no-creator-field-reporter"),
    pytest.param(BOT_CLOUD, BOT_CLOUD, {}, BOT_CLOUD, False, id="no-property"),
    pytest.param(BOT_SERVER, BOT_SERVER, PROPERTY, BOT_SERVER, True, id="server-same-key"),
    pytest.param(
        {**BOT_SERVER, "key": "JIRAUSER10999"}, BOT_SERVER, PROPERTY, BOT_SERVER, False,
        id="server-new-user-with-the-bots-old-name",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("creator", "reporter", "properties", "me", "counts"), JIRA_AUTHORSHIP)
def test_a_jira_marker_counts_only_on_an_issue_the_api_user_created(
    creator: Any, reporter: Any, properties: dict[str, Any], me: dict[str, Any], counts: bool
) -> None:
    fields = {**jira_fixture_fields(), "reporter": reporter}
    if creator != "absent":
        fields["creator"] = creator
    raw = {"id": "10001", "key": "WEB-9", "fields": fields, "properties": properties}
    api_user = jira_mapping.identity(me)
    task = jira_mapping.task_from_issue(
        raw, connector="jira", project="WEB", base_url="https://x", me=lambda: api_user
    )
    assert task.by_trackersync is counts


# (the comment's author, the API user, counts?)
JIRA_COMMENT_AUTHORSHIP = [
    pytest.param(BOT_CLOUD, BOT_CLOUD, True, id="cloud-bot"),
    pytest.param(MALLORY_CLOUD, BOT_CLOUD, False, id="cloud-mallory"),
    pytest.param(BOT_SERVER, BOT_SERVER, True, id="server-bot"),
    pytest.param(
        {"name": "trackersync", "key": "JIRAUSER2"}, BOT_SERVER, False, id="server-rename"
    ),
    pytest.param(None, BOT_CLOUD, False, id="no-author"),
]


@pytest.mark.parametrize(("author", "me", "counts"), JIRA_COMMENT_AUTHORSHIP)
def test_a_jira_comment_marker_counts_only_from_the_api_user(
    author: Any, me: dict[str, Any], counts: bool
) -> None:
    body = "*Pat* on [GitHub acme/web#1|https://x]:\n\nhi" + JIRA_COMMENT_MARKER.format(
        marker=f"{G1}/55"
    )
    raw = {"id": "10900", "author": author, "body": body, "created": "2026-11-25T19:08:40.123+0100"}
    api_user = jira_mapping.identity(me)
    comment = jira_mapping.comment_from(raw, lambda: api_user)
    assert (comment.mirror_of, comment.by_trackersync) == (f"{G1}/55", counts)


# (the issue's author as GitHub sends it, the token's login, counts?)
GITHUB_AUTHORSHIP = [
    pytest.param({"login": "trackersync-bot"}, "trackersync-bot", True, id="same-login"),
    pytest.param({"login": "TrackerSync-Bot"}, "trackersync-bot", True, id="logins-ignore-case"),
    pytest.param({"login": "mallory"}, "trackersync-bot", False, id="her-issue"),
    pytest.param(None, "trackersync-bot", False, id="ghost-user"),
]


@pytest.mark.parametrize(("user", "login", "counts"), GITHUB_AUTHORSHIP)
def test_a_github_marker_counts_only_from_the_tokens_login(
    user: Any, login: str, counts: bool
) -> None:
    body = "text" + FOOTER.format(key="WEB-4", ref=J4)
    item = {**github_fixture_issue(), "user": user, "body": body}
    task = gh_mapping.issue_to_task("gh", "acme/web", item, lambda: login)
    comment_body = "hi" + GITHUB_COMMENT_MARKER.format(marker=f"{J4}/10")
    note = {**github_fixture_comment(), "user": user, "body": comment_body}
    comment = gh_mapping.to_comment(note, lambda: login)
    assert (task.twin_of, task.by_trackersync) == (J4, counts)
    assert (comment.mirror_of, comment.by_trackersync) == (f"{J4}/10", counts)


def jira_fixture_fields() -> dict[str, Any]:
    return {
        "summary": "Theirs",
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "created": "2026-11-25T19:08:40.123+0100",
        "updated": "2026-11-25T19:09:00.456+0100",
    }


def github_fixture_issue() -> dict[str, Any]:
    return {
        "number": 9,
        "id": 9009,
        "html_url": "https://github.com/acme/web/issues/9",
        "title": "Theirs",
        "state": "open",
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
    }


def github_fixture_comment() -> dict[str, Any]:
    return {
        "id": 900,
        "issue_url": "https://api.github.com/repos/acme/web/issues/9",
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
    }


# ---------------------------------------------------------------- end to end

MALLORY_GH = ("mallory", "mallory-github-token")
MALLORY_JIRA = ("5b10ffff0000000000ma11ry", "Mallory", "mallory@example.com", "mallory-jira-tok")


@dataclass
class Mallory:
    """A second person on both systems, with her own credentials and real clients."""

    world: World
    repo: Any  # github.Repository.Repository
    jira: JiraClient

    def forge_issue(self, twin: str) -> str:
        """Her GitHub issue with a pasted footer naming `twin`; returns its ref."""
        key = twin.rsplit("#", 1)[1]
        issue = self.repo.create_issue(
            "Mallory's issue", "Sync me" + FOOTER.format(key=key, ref=twin)
        )
        return f"gh:{REPO}#{issue.number}"

    def forge_jira_issue(self, twin: str) -> str:
        """Her Jira issue with the marker property set by her, naming `twin`."""
        fields = {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}}
        issue = self.jira.create_issue(fields={**fields, "summary": "Mallory's issue"})
        self.jira.add_issue_property(issue.key, "trackersync", {"twin_of": twin})
        return f"jira:{PROJECT}#{issue.key}"

    def retitle(self, ref: str) -> None:
        key = ref.rsplit("#", 1)[1]
        if ref.startswith("gh:"):
            self.repo.get_issue(int(key)).edit(title="Mallory's new title")
        else:
            self.jira.issue(key).update(fields={"summary": "Mallory's new title"})


@pytest.fixture
def mallory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Mallory]:
    world = World(tmp_path, link_extra=getattr(request, "param", ""))
    login, gh_token = MALLORY_GH
    world.github.add_person(login, gh_token)
    account, name, email, jira_token = MALLORY_JIRA
    world.jira.add_user(account, name, email=email, token=jira_token)
    settings = load(world.config)
    gh = github.Github(
        base_url=settings.connectors["gh"].url,
        auth=github.Auth.Token(gh_token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        lazy=True,
    )
    jira = JiraClient(
        server=settings.connectors["jira"].url,
        basic_auth=(email, jira_token),
        get_server_info=False,
        max_retries=0,
        timeout=10,
    )
    try:
        yield Mallory(world, gh.get_repo(REPO), jira)
    finally:
        jira.close()
        gh.close()
        world.close()


def writes_to(records: list[RequestRecord], ref: str) -> list[str]:
    """The write requests that touched item `ref` (its comments and properties too)."""
    key = ref.rsplit("#", 1)[1]
    path = re.compile(rf"/(issues|issue)/{re.escape(key)}(/|$)")
    return [f"{r.method} {r.path}" for r in records if r.write and path.search(r.path)]


def synced(world: World) -> tuple[SyncRun, list[RequestRecord]]:
    """One `sync`, and the requests it made (trackersync's alone)."""
    marks = (world.github.log.mark(), world.jira.log.mark())
    run = world.sync()
    return run, [*world.github.log.since(marks[0]), *world.jira.log.since(marks[1])]


def title_of(world: World, ref: str) -> str:
    key = ref.rsplit("#", 1)[1]
    if ref.startswith("gh:"):
        return str(world.github.issue(REPO, int(key))["title"])
    return str(world.jira.issue(key)["fields"]["summary"])


FILTER = "    filter:\n      source: 'labels = public'\n      target: {labels: [jira]}\n"


def confidential(world: World, on: str) -> str:
    """A person's item the forger wants to reach (not public, no `jira` label)."""
    if on == "jira":
        return f"jira:{PROJECT}#{world.jira.create_issue(PROJECT, 'Confidential')['key']}"
    return f"gh:{REPO}#{world.github.create_issue(REPO, 'Confidential')['number']}"


# (where mallory forges, the link's extra config)
E2E_ITEM_CASES = [
    pytest.param("github", "", id="github-footer"),
    pytest.param("jira", "", id="jira-property"),
    pytest.param("github", FILTER, id="github-footer-past-a-filter"),
    pytest.param("jira", FILTER, id="jira-property-past-a-filter"),
]


@pytest.mark.parametrize(("forged_on", "mallory"), E2E_ITEM_CASES, indirect=["mallory"])
def test_a_forged_marker_is_never_adopted_nor_written(mallory: Mallory, forged_on: str) -> None:
    world = mallory.world
    victim = confidential(world, "jira" if forged_on == "github" else "github")
    forge = mallory.forge_issue if forged_on == "github" else mallory.forge_jira_issue
    hers = forge(victim)

    first, records = synced(world)
    mallory.retitle(hers)
    second, more = synced(world)

    records += more
    assert (first.failures, second.failures) == ([], [])
    assert writes_to(records, hers) == writes_to(records, victim) == []
    assert title_of(world, victim) == "Confidential"
    assert title_of(world, hers) == "Mallory's new title"
    assert hers.rsplit("#", 1)[1] not in {*world.pairs(), *world.pairs().values()}
    for run in (first, second):
        [outcome] = run.outcomes
        assert warned(hers, victim) in outcome.summary()["warnings"]


def mirror_of(world: World, origin: str) -> str:
    """The ref of the twin trackersync created for `origin`."""
    pairs = world.pairs()
    key = origin.rsplit("#", 1)[1]
    if origin.startswith("jira:"):
        return f"gh:{REPO}#{pairs[key]}"
    return f"jira:{PROJECT}#{next(k for k, n in pairs.items() if n == key)}"


def comment(world: World, ref: str, body: str) -> str:
    """A person comments on `ref`; the comment's id."""
    key = ref.rsplit("#", 1)[1]
    if ref.startswith("gh:"):
        return str(world.github.add_comment(REPO, int(key), body)["id"])
    return str(world.jira.add_comment(key, body)["id"])


def forge_comment(mallory: Mallory, ref: str, marker: str) -> str:
    """Mallory comments on `ref`, pasting a mirrored comment's header and `marker`."""
    key = ref.rsplit("#", 1)[1]
    if ref.startswith("gh:"):
        body = "**Pat** on [Jira X](https://x):\n\nattacker text" + GITHUB_COMMENT_MARKER
        return str(mallory.repo.get_issue(int(key)).create_comment(body.format(marker=marker)).id)
    body = "*octocat* on [GitHub X|https://x]:\n\nattacker text" + JIRA_COMMENT_MARKER
    return str(mallory.jira.add_comment(key, body.format(marker=marker)).id)


def stored(world: World, ref: str) -> Task:
    jira, gh = world.tasks()
    return next(task for task in [*jira, *gh] if str(task.ref) == ref)


@pytest.mark.parametrize("origin_on", ["jira", "github"])
def test_a_forged_comment_marker_is_mirrored_as_her_own_comment(
    mallory: Mallory, origin_on: str
) -> None:
    world = mallory.world
    origin = confidential(world, origin_on)
    assert world.sync().failures == []
    mirror = mirror_of(world, origin)
    real = f"{origin}/{comment(world, origin, 'the real text')}"
    hers = forge_comment(mallory, mirror, real)
    run, records = synced(world)
    again, more = synced(world)  # and once more: nothing moves back and forth

    records += more
    assert (run.failures, again.writes) == ([], 0)
    assert not [r for r in records if r.write and r.path.endswith(f"/{hers}")]
    on_mirror = [c for c in stored(world, mirror).comments if c.by_trackersync]
    assert [(c.mirror_of, c.body) for c in on_mirror] == [(real, "the real text")]
    on_origin = [c for c in stored(world, origin).comments if c.by_trackersync]
    assert [(c.mirror_of, c.body.strip()) for c in on_origin] == [
        (f"{mirror}/{hers}", "attacker text")
    ]
    [outcome] = run.outcomes
    assert any(f"comment {hers} on {mirror}" in w for w in outcome.summary()["warnings"])
