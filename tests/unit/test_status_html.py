"""The HTML status page: escaping, links, burn-up geometry and content from real rollups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pytest
from builders import make_task
from status_fixtures import Tags

from trackersync.report.html import MAX_LISTED, burnup_geometry, safe_url
from trackersync.report.html import render_json as render
from trackersync.sync.model import Task
from trackersync.sync.model import category_counts as counts
from trackersync.sync.rollup import DayPoint, Member, RollupInput, compute
from trackersync.sync.status import STATUS_VERSION

TODAY = date(2026, 11, 20)
GH = Member("gh:acme/web", {"milestone": "v2.0"})


def task(n: int, **overrides: Any) -> Task:
    values = {"milestone": "v2.0", "assignees": ("octocat",), **overrides}
    return make_task(f"gh:acme/web#{n}", **values)


def rollup(tasks: list[Task], history: Iterable[DayPoint] = (), **overrides: Any) -> dict:
    data = RollupInput(
        name=overrides.pop("name", "Release 2.0"),
        members=[GH],
        tasks=tasks,
        twins={},
        today=TODAY,
        history=list(history),
        **overrides,
    )
    return compute(data).model_dump(mode="json")


def document(*rollups: dict, tasks: list[Task] = (), links: list[dict] = ()) -> dict:
    """A `build_status`-shaped document: its counts come from `category_counts`, not by hand."""
    tasks = list(tasks)
    return {
        "version": STATUS_VERSION,
        "generated_at": "2026-11-20T18:00:00.000000Z",
        "totals": counts(tasks),
        "scopes": [{"ref": "gh:acme/web", "last_pull": None, **counts(tasks)}] if tasks else [],
        "links": list(links),
        "milestones": list(rollups),
    }


def history(*done: int, total: int = 20, gap_after: int | None = None) -> list[DayPoint]:
    """Daily points ending the day before TODAY (compute adds today's own point)."""
    days, day = [], TODAY - timedelta(days=len(done))
    for n, value in enumerate(done):
        days.append(DayPoint(day, total, value))
        day += timedelta(days=8 if n == gap_after else 1)
    return days


def as_points(polyline: dict[str, str | None]) -> list[tuple[float, float]]:
    pairs = (pair.split(",") for pair in (polyline["points"] or "").split())
    return [(float(x), float(y)) for x, y in pairs]


# --- links -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://github.com/acme/web/issues/1", True, id="https"),
        pytest.param("http://jira.local:8080/browse/WEB-1", True, id="http-with-port"),
        pytest.param("HTTPS://EXAMPLE.COM/x", True, id="upper-case-scheme"),
        pytest.param("javascript:alert(1)", False, id="javascript"),
        pytest.param("JavaScript:alert(1)", False, id="javascript-mixed-case"),
        pytest.param("java\tscript:alert(1)", False, id="javascript-with-tab"),
        pytest.param(" javascript:alert(1)", False, id="javascript-leading-space"),
        pytest.param("data:text/html,<script>alert(1)</script>", False, id="data"),
        pytest.param("vbscript:msgbox(1)", False, id="vbscript"),
        pytest.param("ftp://example.com/x", False, id="ftp"),
        pytest.param("//evil.example/x", False, id="scheme-relative"),
        pytest.param("/browse/WEB-1", False, id="relative"),
        pytest.param("https://", False, id="no-host"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="none"),
    ],
)
def test_only_absolute_http_urls_become_links(url: Any, expected: bool) -> None:
    assert safe_url(url) == (url if expected else None)
    page = Tags(render(document(rollup([task(1, url=url or "https://x.test/1", assignees=())]))))
    hrefs = [a["href"] for a in page.named("a")]
    assert (url in hrefs) is expected


# --- escaping -------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "</title><iframe src=https://evil.example>",
    "&lt;already escaped&gt; & <b>bold</b>",
]


@pytest.mark.parametrize("text", HOSTILE, ids=["script", "img", "attribute-break", "iframe", "amp"])
def test_strings_from_the_trackers_render_as_text(text: str) -> None:
    items = [task(1, title=text, labels=("blocked",), assignees=())]
    links = [
        {
            "name": text,
            "source": "jira:WEB",
            "target": "gh:acme/web",
            "last_sync": None,
            "errors": [text],
        },
    ]
    page_text = render(document(rollup(items, name=text), tasks=items, links=links))
    page = Tags(page_text)
    assert {tag for tag, _ in page.tags}.isdisjoint({"script", "img", "iframe"})
    assert all(not name.startswith("on") for _, attrs in page.tags for name in attrs)
    # Heading, chart title, the blocked, unassigned and stale lists, the link's name in the
    # table and beside its error, and the error itself: each one text, as it was written.
    assert "".join(page.text).count(text) == 8


def test_the_page_fetches_and_runs_nothing() -> None:
    items = [task(n, category="done" if n < 3 else "todo") for n in range(1, 6)]
    page_text = render(document(rollup(items, history(0, 1, 2)), tasks=items))
    page = Tags(page_text)
    assert page.named("script") == []
    assert page.named("link") == []
    assert [a for _, a in page.tags if "src" in a] == []
    assert "url(" not in page_text
    assert "@import" not in page_text
    [viewport] = [m for m in page.named("meta") if m.get("name") == "viewport"]
    assert "width=device-width" in (viewport["content"] or "")


# --- the burn-up geometry --------------------------------------------------------------


@pytest.mark.parametrize(
    "done",
    [
        pytest.param((0, 2, 4, 6, 8, 10), id="steady"),
        pytest.param((3, 3, 3, 3), id="flat"),
        pytest.param((0, 0, 20), id="all-done"),
        pytest.param((5, 7), id="two-days"),
    ],
)
def test_the_done_lines_last_point_is_where_the_numbers_say(done: tuple[int, ...]) -> None:
    points = [p.as_json() for p in history(*done)]
    g = burnup_geometry(points)
    assert g is not None
    top_value = g.y_ticks[-1][1]
    assert top_value >= 20
    assert g.y_ticks[0] == (g.bottom, 0)
    last_x, last_y = g.done[-1]
    assert last_x == pytest.approx(g.right)
    assert last_y == pytest.approx(g.bottom - done[-1] / top_value * (g.bottom - g.top), abs=0.1)
    assert g.done[0][0] == pytest.approx(g.left)
    assert [y for _, y in g.scope] == [
        pytest.approx(g.bottom - 20 / top_value * (g.bottom - g.top), abs=0.1)
    ] * len(done)


def test_days_map_linearly_so_a_gap_stays_a_gap() -> None:
    # Days 0, 1, then 8 days later: the middle point sits at 1/9 of the width.
    g = burnup_geometry([p.as_json() for p in history(1, 2, 3, gap_after=1)])
    assert g is not None
    xs = [x for x, _ in g.done]
    assert (xs[1] - xs[0]) / (xs[2] - xs[0]) == pytest.approx(1 / 9, abs=0.01)


def test_done_never_rises_above_scope() -> None:
    points = [DayPoint(TODAY - timedelta(days=9 - i), 10 + i, i * i // 9) for i in range(10)]
    g = burnup_geometry([p.as_json() for p in points])
    assert g is not None
    # SVG y grows downwards: done below or on the scope line.
    assert all(done[1] >= scope[1] for done, scope in zip(g.done, g.scope, strict=True))
    assert all(g.top <= y <= g.bottom for _, y in g.scope + g.done)


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        pytest.param(0, [0, 1], id="nothing"),
        pytest.param(3, [0, 1, 2, 3], id="three"),
        pytest.param(7, [0, 2, 4, 6, 8], id="seven"),
        pytest.param(20, [0, 5, 10, 15, 20], id="twenty"),
        pytest.param(137, [0, 50, 100, 150], id="hundred-and-some"),
    ],
)
def test_y_axis_labels_are_round_and_cover_the_data(largest: int, ticks: list[int]) -> None:
    g = burnup_geometry([{"day": "2026-11-20", "total": largest, "done": 0}])
    assert g is not None
    assert [value for _, value in g.y_ticks] == ticks


def test_a_single_day_sits_in_the_middle_with_one_label() -> None:
    g = burnup_geometry([{"day": "2026-11-20", "total": 4, "done": 1}])
    assert g is not None
    assert g.done == [(pytest.approx((g.left + g.right) / 2, abs=0.1), g.done[0][1])]
    assert [label for _, label in g.x_ticks] == ["Nov 20"]


def test_an_empty_history_has_no_chart_but_the_card_renders() -> None:
    assert burnup_geometry([]) is None
    milestone = {**rollup([task(1)]), "history": []}
    page = Tags(render(document(milestone)))
    assert page.named("svg") == []
    assert "No burn-up history yet." in "".join(page.text)


def test_the_rendered_chart_draws_the_geometry() -> None:
    items = [task(n, category="done" if n <= 9 else "todo") for n in range(1, 21)]
    milestone = rollup(items, history(0, 2, 4, 6, 8))
    page = Tags(render(document(milestone)))
    [svg] = page.named("svg")
    assert svg["role"] == "img"
    assert "9 of 20 items done" in (svg["aria-label"] or "")
    [done] = page.with_class("polyline", "done")
    g = burnup_geometry(milestone["history"])
    assert g is not None
    assert as_points(done) == [(pytest.approx(x), pytest.approx(y)) for x, y in g.done]
    assert len(page.named("title")) == 2  # the page's and the chart's


# --- content --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "due", "verdict", "css"),
    [
        pytest.param([task(1, category="done")], None, "on track", "ok", id="all-done"),
        pytest.param([task(1, labels=("blocked",))], None, "at risk", "warn", id="blocked"),
        pytest.param([task(1)], TODAY - timedelta(days=1), "off track", "bad", id="past-due"),
    ],
)
def test_health_is_shown_in_words_and_colour(items, due, verdict, css) -> None:
    milestone = rollup(items, due=due)
    assert milestone["health"]["verdict"] == verdict
    page = Tags(render(document(milestone)))
    [badge] = page.with_class("span", "badge")
    assert css in (badge["class"] or "")
    text = "".join(page.text)
    assert verdict in text
    assert all(reason in text for reason in milestone["health"]["reasons"])


def test_a_card_shows_percent_counts_forecast_scope_and_risks() -> None:
    items = [
        task(1, category="done"),
        task(2, category="in_progress"),
        task(3, due=TODAY - timedelta(days=2)),
        task(4, assignees=()),
        task(5, category="canceled"),
    ]
    baseline = frozenset({"gh:acme/web#1", "gh:acme/web#2", "gh:acme/web#9"})
    milestone = rollup(items, history(0, 0, 1), baseline=baseline)
    text = "".join(Tags(render(document(milestone, tasks=items))).text)
    assert f"{milestone['percent_done']:g}%" in text
    assert milestone["forecast"]["note"] in text
    assert milestone["forecast"]["basis"] in text
    assert "gh:acme/web#9" in text  # removed from scope
    for name in ("overdue", "unassigned", "stale"):
        assert f"{name.capitalize()} ({len(milestone[name])})" in text
    [bar] = [d for d in Tags(render(document(milestone))).named("div") if d.get("role")]
    assert bar["aria-valuenow"] == f"{milestone['percent_done']:g}"


def test_long_risk_lists_are_cut_with_a_count() -> None:
    items = [task(n, assignees=()) for n in range(1, MAX_LISTED + 8)]
    page = Tags(render(document(rollup(items))))
    assert "and 7 more" in "".join(page.text)
    assert len(page.named("a")) == 2 * MAX_LISTED  # the unassigned and stale lists


@pytest.mark.parametrize(
    ("last_sync", "shown"),
    [
        pytest.param(None, "never", id="never"),
        pytest.param("2026-11-20T17:59:59.000000Z", "2026-11-20 17:59 UTC", id="iso"),
        pytest.param(
            {"at": "2026-11-19T08:00:00+00:00", "errors": []},
            "2026-11-19 08:00 UTC",
            id="run-log-entry",
        ),
    ],
)
def test_links_table_shows_last_sync_and_errors(last_sync: Any, shown: str) -> None:
    link = {
        "name": "web",
        "source": "jira:WEB",
        "target": "gh:acme/web",
        "last_sync": last_sync,
        "errors": ["WEB-3: no transition to Done"],
    }
    text = "".join(Tags(render(document(links=[link]))).text)
    assert shown in text
    assert "web: WEB-3: no transition to Done" in text


def test_scopes_table_has_a_row_per_scope_and_the_totals() -> None:
    items = [task(1, category="done"), task(2), task(3, category="canceled")]
    page = Tags(render(document(tasks=items)))
    cells = "|".join(page.text)
    assert "gh:acme/web" in cells
    assert "work items" in cells  # the last row counts work items, twins once
    assert len(page.named("tr")) == 1 + 1 + 1  # header, one scope, total


def test_an_empty_document_still_renders() -> None:
    page_text = render(document())
    assert page_text.startswith("<!DOCTYPE html>")
    text = "".join(Tags(page_text).text)
    assert "No milestones configured." in text
    assert "No links configured." in text
    assert "2026-11-20 18:00 UTC" in text


def test_a_minimal_document_without_optional_sections_renders() -> None:
    text = "".join(Tags(render({"version": STATUS_VERSION, "generated_at": None})).text)
    assert "Generated unknown" in text
