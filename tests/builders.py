"""Builders for tests of pure logic: `make_task(**overrides)` and friends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from trackersync.sync.link import LinkSpec, Side
from trackersync.sync.model import Comment, Ref, Status, StatusCategory, Task

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

GITHUB = Side(
    Ref("gh", "acme/web"),
    system="GitHub",
    distinct_open_statuses=False,
    at_mentions=True,
    renders_html=True,
)
JIRA = Side(Ref("jira", "WEB"), system="Jira", labels_allow_spaces=False, text_limit=32_000)


def make_link(**overrides: Any) -> LinkSpec:
    values: dict[str, Any] = {"name": "web", "source": JIRA, "target": GITHUB}
    values.update(overrides)
    return LinkSpec(**values)


def make_task(ref: str, **overrides: Any) -> Task:
    category = StatusCategory(overrides.pop("category", "todo"))
    values: dict[str, Any] = {
        "ref": ref,
        "url": f"https://example.com/{ref}",
        "title": f"Title of {ref}",
        "body": "",
        "status": Status(name=category.value, category=category),
        "created_at": T0,
        "updated_at": T0 + timedelta(minutes=overrides.pop("minutes", 0)),
    }
    values.update(overrides)
    return Task(**values)


def make_comment(comment_id: str, body: str = "hello", **overrides: Any) -> Comment:
    values: dict[str, Any] = {
        "id": comment_id,
        "author": "Pat",
        "body": body,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return Comment(**values)
