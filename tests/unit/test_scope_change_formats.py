"""One item moved out, one in: +1 / −1 with titles in every format that shows a status."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from html import unescape

import pytest
from builders import make_task
from rich.console import Console

from trackersync.report import html, mail, text
from trackersync.sync.documents import StatusDocument
from trackersync.sync.publish import render
from trackersync.sync.rollup import Member, RollupInput, compute
from trackersync.sync.status import build_status
from trackersync.sync.work_items import Identities, TwinPair

TODAY = date(2026, 11, 20)
TWINS = Identities([TwinPair("jira:WEB#WEB-1", "gh:acme/web#1", "target")])


def moved() -> StatusDocument:
    """First rollup: WEB-1 (and its GitHub twin), WEB-2, WEB-3. Since then WEB-3 moved to
    2.1, WEB-4 joined 2.0, and the GitHub copy of WEB-1 was edited last."""
    tasks = [
        make_task("jira:WEB#WEB-1", milestone="2.0"),
        make_task("gh:acme/web#1", milestone="v2.0", minutes=90),
        make_task("jira:WEB#WEB-2", milestone="2.0"),
        make_task("jira:WEB#WEB-3", milestone="2.1", title="Old banner"),
        make_task("jira:WEB#WEB-4", milestone="2.0", title="Checkout in one step"),
    ]
    data = RollupInput(
        name="Release 2.0",
        members=[
            Member("jira:WEB", {"fixVersion": "2.0"}),
            Member("gh:acme/web", {"milestone": "v2.0"}),
        ],
        tasks=tasks,
        twins=TWINS,
        today=TODAY,
        baseline=frozenset({"jira:WEB#WEB-1", "jira:WEB#WEB-2", "jira:WEB#WEB-3"}),
    )
    now = datetime(2026, 11, 20, 18, tzinfo=UTC)
    document = build_status(tasks, {}, ["jira:WEB", "gh:acme/web"], [], now, TWINS)
    return document.model_copy(update={"milestones": [compute(data)]})


def terminal(document: StatusDocument) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(text.table(document))
    return console.export_text()


def words(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", page))


FORMATS: dict[str, Callable[[StatusDocument], str]] = {
    "table": terminal,
    "markdown": text.markdown,
    "html": lambda d: words(html.render(d)),
    "json": lambda d: json.dumps(d.model_dump(mode="json")),
    "email-text": mail.plain_text,
    "email-html": lambda d: words(mail.html_body(d)),
    "github-milestone": lambda d: render(d.milestones[0], "markdown"),
}


@pytest.mark.parametrize("name", FORMATS)
def test_the_move_is_one_in_one_out_by_title(name: str) -> None:
    shown = FORMATS[name](moved())
    assert "Checkout in one step" in shown
    assert "Old banner" in shown
    assert "+2" not in shown
    if name != "json":  # the JSON lists the items (below); the others count them too
        assert re.search(r"\+1\b", shown), shown
        assert re.search(r"[−-]1\b", shown), shown
        # WEB-1's GitHub copy, edited last, is not re-listed as added.
        assert "Title of gh:acme/web#1" not in shown.split("cope")[-1]


def test_the_json_lists_exactly_the_two_work_items() -> None:
    scope = moved().milestones[0].scope
    assert [item.title for item in scope.added] == ["Checkout in one step"]
    assert [item.title for item in scope.removed] == ["Old banner"]
