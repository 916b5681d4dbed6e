"""A realistic status document (two milestones, twins, hostile titles) and a headless
Chromium to render what trackersync writes for people: the HTML page and the mail."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from builders import T0, make_task

from trackersync.sync.documents import LinkStatus, StatusDocument
from trackersync.sync.model import Task
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute
from trackersync.sync.status import build_status
from trackersync.sync.work_items import Identities, TwinPair

TODAY = date(2026, 11, 20)
GH = Member("gh:acme/web", {"milestone": "v2.0"})
JIRA = Member("jira:WEB", {"fixVersion": "2.0"})
TWINS = Identities([TwinPair("jira:WEB#WEB-1", "gh:acme/web#1", "target")])
HOSTILE_TITLE = "<script>document.title='pwned'</script> & <b>bold</b>"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str:
    """Debian's chromium; skipped locally when missing, a failure on CI."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI (.ci/run) installs Debian's chromium")
        pytest.skip("needs a browser: install Debian's chromium (apt-get install chromium)")
    return found


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def screenshot(chromium: str, tmp_path: Path, page: Path, name: str, width: int) -> bytes:
    """A PNG of `page` at `width` CSS pixels (tall enough for a whole card)."""
    shot = tmp_path / f"{name}-{width}.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={width},1600",
        "--hide-scrollbars",
        page.as_uri(),
    )
    return shot.read_bytes()


def release_tasks() -> list[Task]:
    """30 items on both trackers: a mix of states, owners, due dates and blockers."""
    tasks = []
    for n in range(1, 19):
        category = "done" if n <= 8 else "in_progress" if n <= 12 else "todo"
        extra = {"labels": ("blocked",)} if n == 13 else {}
        tasks.append(
            make_task(
                f"gh:acme/web#{n}",
                milestone="v2.0",
                category=category,
                assignees=() if n in (14, 15) else ("octocat",),
                title=f"Web task {n}: make the checkout page faster",
                updated_at=T0 + timedelta(days=n),
                **extra,
            )
        )
    for n in range(1, 13):
        category = "done" if n <= 4 else "canceled" if n == 5 else "todo"
        tasks.append(
            make_task(
                f"jira:WEB#WEB-{n}",
                milestone="2.0",
                category=category,
                assignees=("acc-1",),
                due=date(2026, 11, 10) if n == 9 else None,
                title=f"Jira story {n} with a rather long title that has to wrap on a phone",
            )
        )
    return tasks


def release_history() -> list[DayPoint]:
    start = TODAY - timedelta(days=18)
    return [DayPoint(start + timedelta(days=i), 24 + i // 6, i * 11 // 18) for i in range(18)]


def release_document() -> StatusDocument:
    """Release 2.0 (twins, risks, a scope change) and a hostile hotfix milestone."""
    tasks = release_tasks()
    main = RollupInput(
        name="Release 2.0",
        members=[GH, JIRA],
        tasks=tasks,
        twins=TWINS,
        today=TODAY,
        due=date(2026, 12, 15),
        history=release_history(),
        baseline=frozenset(str(t.ref) for t in tasks[:26]) | {"gh:acme/web#99"},
    )
    hotfix_task = make_task(
        "gh:acme/web#40",
        milestone="v2.0.1",
        title=HOSTILE_TITLE,
        url="javascript:alert(1)",
        labels=("blocked",),
    )
    hotfix = RollupInput(
        name="Hotfix 2.0.1 <i>urgent</i>",
        members=[Member("gh:acme/web", {"milestone": "v2.0.1"})],
        tasks=[hotfix_task],
        twins={},
        today=TODAY,
        due=date(2026, 11, 18),
    )
    links = [
        LinkStatus(
            name="web",
            source="jira:WEB",
            target="gh:acme/web",
            last_sync="2026-11-20T17:59:59.000000Z",
        ),
        LinkStatus(
            name="api",
            source="jira:API",
            target="gh:acme/api",
            errors=["jira:API#API-3: transition 'Done' not available <from Blocked>"],
        ),
    ]
    now = datetime(2026, 11, 20, 18, tzinfo=UTC)
    pulls = dict.fromkeys(["gh:acme/web", "jira:WEB"], "2026-11-20T17:59:58.120000Z")
    document = build_status(tasks, pulls, ["gh:acme/web", "jira:WEB"], links, now, TWINS)
    return document.model_copy(update={"milestones": [compute(main), compute(hotfix)]})


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the page's visible text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def with_class(self, tag: str, css: str) -> list[dict[str, str | None]]:
        return [a for a in self.named(tag) if css in (a.get("class") or "").split()]
