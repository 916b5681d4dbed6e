"""The sandbox's JQL subset: parsing, errors, and evaluation against records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from trackersync.sandbox import jql

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 18, 0, 30, tzinfo=UTC)  # 19:00:30 in Berlin


@dataclass
class Record:
    key: str
    project: str = "WEB"
    labels: list[str] = field(default_factory=list)
    status: str = "To Do"
    updated: datetime = NOW


def values(record: Record, name: str) -> list[object]:
    return {
        "project": [record.project],
        "key": [record.key],
        "labels": record.labels,
        "status": [record.status],
        "updated": [record.updated],
    }[name]


def select(text: str, records: list[Record]) -> list[str]:
    query = jql.parse(text)
    predicate = jql.compile_where(query.where, jql.DateContext(BERLIN, NOW), values)
    return [r.key for r in records if predicate(r)]


RECORDS = [
    Record("WEB-1", labels=["public", "ui"], status="Done"),
    Record("WEB-2", labels=["internal"], updated=datetime(2026, 11, 25, 17, 50, tzinfo=UTC)),
    Record("API-1", project="API", labels=["public"], status="In Progress"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("project = WEB", ["WEB-1", "WEB-2"], id="project-equals"),
        pytest.param('project in (API, "WEB")', ["WEB-1", "WEB-2", "API-1"], id="project-in"),
        pytest.param("key = web-2", ["WEB-2"], id="key-case-insensitive"),
        pytest.param("key in (WEB-1, API-1)", ["WEB-1", "API-1"], id="key-in"),
        pytest.param("labels = public", ["WEB-1", "API-1"], id="labels-equals"),
        pytest.param("labels not in (public)", ["WEB-2"], id="labels-not-in"),
        pytest.param('status = "In Progress"', ["API-1"], id="status-quoted"),
        pytest.param("project = WEB AND labels = ui", ["WEB-1"], id="and"),
        pytest.param("labels = ui OR project = API", ["WEB-1", "API-1"], id="or"),
        pytest.param(
            "project = WEB AND (labels = internal OR status = Done)",
            ["WEB-1", "WEB-2"],
            id="parentheses",
        ),
        pytest.param("NOT project = WEB", ["API-1"], id="not"),
        pytest.param("labels is EMPTY", [], id="is-empty"),
        pytest.param('updated >= "-5m"', ["WEB-1", "API-1"], id="relative-minutes"),
        pytest.param('updated >= "-1h"', ["WEB-1", "WEB-2", "API-1"], id="relative-hours"),
        pytest.param('updated < "-5m"', ["WEB-2"], id="relative-less"),
        pytest.param('updated >= "2026/11/25 19:00"', ["WEB-1", "API-1"], id="slash-user-zone"),
        pytest.param('updated >= "2026-11-25 18:51"', ["WEB-1", "API-1"], id="dash-user-zone"),
        pytest.param('updated > "2026-11-25"', ["WEB-1", "WEB-2", "API-1"], id="date-only"),
        pytest.param('updated <= "2026-11-25 18:50"', ["WEB-2"], id="less-or-equal"),
        pytest.param("", ["WEB-1", "WEB-2", "API-1"], id="empty-query"),
    ],
)
def test_selects(text: str, expected: list[str]) -> None:
    assert select(text, RECORDS) == expected


@pytest.mark.parametrize(
    ("text", "order"),
    [
        pytest.param("ORDER BY updated", (("updated", False),), id="default-asc"),
        pytest.param(
            "project = WEB order by updated ASC, key DESC",
            (("updated", False), ("key", True)),
            id="two-terms",
        ),
        pytest.param("project = WEB ORDER BY issuekey", (("key", False),), id="alias"),
    ],
)
def test_order_by(text: str, order: tuple[tuple[str, bool], ...]) -> None:
    assert jql.parse(text).order == order


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("project = ", "expecting a value", id="missing-value"),
        pytest.param("project WEB", "expecting an operator", id="missing-operator"),
        pytest.param("sprint = 5", "Field 'sprint' does not exist", id="unknown-field"),
        pytest.param("(project = WEB", r"expecting \)", id="unclosed-parenthesis"),
        pytest.param("project = WEB ORDER updated", "expecting 'by'", id="order-without-by"),
        pytest.param("project = WEB project = API", "unexpected 'project'", id="missing-and"),
        pytest.param(
            "project ~ WEB", "operator '~' is not supported by the 'project'", id="unsupported-operator"
        ),
        pytest.param(
            'summary = "x"', "operator '=' is not supported by the 'summary'", id="text-equals"
        ),
    ],
)
def test_rejects(text: str, message: str) -> None:
    with pytest.raises(jql.JqlError, match=message):
        jql.parse(text)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        pytest.param("-15m", datetime(2026, 11, 25, 17, 45, tzinfo=UTC), id="minutes-floored"),
        pytest.param("-2h", datetime(2026, 11, 25, 16, 0, tzinfo=UTC), id="hours"),
        pytest.param("-1d", datetime(2026, 11, 24, 18, 0, tzinfo=UTC), id="days"),
        pytest.param("-1w", datetime(2026, 11, 18, 18, 0, tzinfo=UTC), id="weeks"),
        pytest.param("2026/11/25 19:08", datetime(2026, 11, 25, 18, 8, tzinfo=UTC), id="slash"),
        pytest.param("2026-07-01 12:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC), id="summer"),
        pytest.param("2026-11-25", datetime(2026, 11, 24, 23, 0, tzinfo=UTC), id="date"),
    ],
)
def test_date_literals(literal: str, expected: datetime) -> None:
    assert jql.to_instant(literal, jql.DateContext(BERLIN, NOW)) == expected


def test_bad_date_literal_is_a_jql_error() -> None:
    query = jql.parse('updated >= "yesterday"')
    with pytest.raises(jql.JqlError, match="Date value 'yesterday'"):
        jql.compile_where(query.where, jql.DateContext(BERLIN, NOW), values)
