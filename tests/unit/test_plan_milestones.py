"""Milestones in `plan`: the synced one of several Jira fixVersions, and the due date a
created milestone gets (pure logic, no HTTP)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from builders import GITHUB, JIRA, make_link, make_task

from trackersync.sync.actions import Create, Update
from trackersync.sync.plan import LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"
STEP = LinkState(twins={J1: G1}, bases={(J1, "milestone"): ("m1", "m1")})


def jira_task(*versions: str, minutes: int = 0):
    return make_task(
        J1, milestone=versions[0] if versions else None, fix_versions=versions, minutes=minutes
    )


def updates(jira, github, link_state=STEP, **sides):
    result = plan(link_state, [jira], [github], make_link(fields=("milestone",), **sides))
    return [a for a in result.actions if isinstance(a, Update)]


def test_a_team_version_listed_first_is_no_milestone_change() -> None:
    assert updates(jira_task("team-a", "m1"), make_task(G1, milestone="m1")) == []


def test_the_agreed_version_is_the_one_replaced() -> None:
    (update,) = updates(jira_task("team-a", "m1"), make_task(G1, milestone="m2", minutes=5))
    assert update.side == "source"
    assert update.item.milestone == "m1"  # the connector swaps m1, keeps team-a
    assert update.changes.milestone == "m2"


def test_without_the_agreed_version_the_first_is_the_milestone() -> None:
    (update,) = updates(jira_task("team-a", "m9", minutes=5), make_task(G1, milestone="m1"))
    assert (update.side, update.changes.milestone) == ("target", "team-a")


def test_a_created_milestone_gets_the_due_date_of_its_origin() -> None:
    jira = replace(JIRA, milestone_dues={"2.0": date(2026, 12, 15)})
    source = jira_task("2.0")
    result = plan(LinkState(), [source], [], make_link(source=jira, target=GITHUB))
    (create,) = [a for a in result.actions if isinstance(a, Create)]
    assert (create.fields.milestone, create.fields.milestone_due) == ("2.0", date(2026, 12, 15))


def test_an_update_carries_the_due_date_of_the_winning_side() -> None:
    github = replace(GITHUB, milestone_dues={"m2": date(2027, 1, 31)})
    source, target = jira_task("m1"), make_task(G1, milestone="m2", minutes=5)
    (update,) = updates(source, target, STEP, target=github)
    assert (update.changes.milestone, update.changes.milestone_due) == ("m2", date(2027, 1, 31))
    # Clearing the milestone carries no date.
    (cleared,) = updates(source, make_task(G1, minutes=5), STEP, target=github)
    assert "milestone_due" not in cleared.changes.model_fields_set
