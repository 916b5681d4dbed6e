"""The HTML status page in a real headless Chromium: rendered DOM and screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from status_fixtures import find_chromium, release_document, run_chromium, screenshot

from trackersync.report.html import render


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


def status_document() -> dict:
    return release_document().model_dump(mode="json")


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "status.html"
    path.write_text(render(release_document()), encoding="utf-8")
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
    data = screenshot(chromium, tmp_path, page, f"status-{name}", width)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == width  # the IHDR width
    assert len(data) > 20_000  # a blank page of this size compresses to a few kB


def test_chromium_shows_work_items_and_the_scope_change_by_title(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    dom = run_chromium(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout
    text = re.sub(r"<[^>]+>", "", dom)
    # 30 copies, WEB-1 and gh#1 are one piece of work: 29 work items.
    assert "work items 29" in text
    assert "At risk: 1 blocked item; 1 overdue item;" in text
    assert "Jira story 12 with a rather long title" in text  # added since the first rollup
