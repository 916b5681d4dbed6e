"""The HTML status page in a real headless Chromium: rendered DOM and screenshots."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import T0, make_task

from trackersync.report.html import render
from trackersync.sync.model import Task
from trackersync.sync.model import category_counts as counts
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute
from trackersync.sync.status import STATUS_VERSION

TODAY = date(2026, 11, 20)
GH = Member("gh:acme/web", {"milestone": "v2.0"})
JIRA = Member("jira:WEB", {"fixVersion": "2.0"})
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


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI (.ci/run) installs Debian's chromium")
        pytest.skip("needs a browser: install Debian's chromium (apt-get install chromium)")
    return found


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
    return [DayPoint(start + timedelta(days=i), 24 + i // 6, i * 11 // 18) for i in range(0, 18, 1)]


def rollups() -> list[dict]:
    tasks = release_tasks()
    main = RollupInput(
        name="Release 2.0",
        members=[GH, JIRA],
        tasks=tasks,
        twins={"jira:WEB#WEB-1": "gh:acme/web#1"},
        today=TODAY,
        due=date(2026, 12, 15),
        history=release_history(),
        baseline=frozenset(str(t.ref) for t in tasks[:26]) | {"gh:acme/web#99"},
    )
    hotfix_task = make_task(
        "gh:acme/web#40",
        milestone="v2.0.1",
        title="<script>document.title='pwned'</script> & <b>bold</b>",
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
    return [compute(main), compute(hotfix)]


def status_document() -> dict:
    tasks = release_tasks()
    scopes = ["gh:acme/web", "jira:WEB"]
    by_scope = {s: [t for t in tasks if str(t.ref.scope_ref) == s] for s in scopes}
    return {
        "version": STATUS_VERSION,
        "generated_at": "2026-11-20T18:00:00.000000Z",
        "totals": counts(tasks),
        "scopes": [
            {"ref": s, "last_pull": "2026-11-20T17:59:58.120000Z", **counts(by_scope[s])}
            for s in scopes
        ],
        "links": [
            {
                "name": "web",
                "source": "jira:WEB",
                "target": "gh:acme/web",
                "last_sync": "2026-11-20T17:59:59.000000Z",
                "errors": [],
            },
            {
                "name": "api",
                "source": "jira:API",
                "target": "gh:acme/api",
                "last_sync": None,
                "errors": ["jira:API#API-3: transition 'Done' not available <from Blocked>"],
            },
        ],
        "milestones": rollups(),
    }


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "status.html"
    path.write_text(render(status_document()), encoding="utf-8")
    return path


def test_chromium_renders_cards_charts_and_escaped_titles(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    dom = run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout
    [main, hotfix] = status_document()["milestones"]
    assert "Release 2.0" in dom
    assert f"{main['percent_done']:g}%" in dom
    assert main["health"]["verdict"] in dom
    assert len(re.findall(r"<svg\b", dom)) == 2
    assert len(re.findall(r'<polyline class="done"', dom)) == 2
    assert len(re.findall(r'<polyline class="scope"', dom)) == 2
    # The user's markup arrives as text: no script ran (the title is ours) and no <i> or <b>.
    assert "<title>trackersync status</title>" in dom
    assert "&lt;script&gt;document.title" in dom
    assert "Hotfix 2.0.1 &lt;i&gt;urgent&lt;/i&gt;" in dom
    assert "javascript:" not in dom
    assert hotfix["health"]["verdict"] == "off track"


@pytest.mark.parametrize(("name", "width"), [("phone", 390), ("desk", 1280)])
def test_screenshots_are_taken(
    chromium: str, page: Path, tmp_path: Path, name: str, width: int
) -> None:
    shot = tmp_path / f"status-{name}.png"
    run_chromium(
        chromium,
        tmp_path,
        f"--screenshot={shot}",
        f"--window-size={width},1600",
        "--hide-scrollbars",
        page.as_uri(),
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == width  # the IHDR width
    assert len(data) > 20_000  # a blank page of this size compresses to a few kB
