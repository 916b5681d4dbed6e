"""Pure functions from GitHub's REST JSON to the task model.

They read only the raw JSON dicts of a listing: touching PyGithub objects built from a
list page would fetch every issue again (see API-NOTES, "hidden requests").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from trackersync.errors import MalformedData
from trackersync.sync.model import Comment, Milestone, Ref, Status, StatusCategory, Task

SYSTEM = "github"
CANCEL_REASONS = frozenset({"not_planned", "duplicate"})
_SEPARATORS = re.compile(r"[\s_\-]+")

JSON = Mapping[str, Any]


@contextmanager
def _shape(what: str) -> Iterator[None]:
    """Turn a missing key or a wrong type in API data into `MalformedData`."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedData(SYSTEM, f"{what}: {type(exc).__name__}: {exc}") from exc


def _text(item: JSON, key: str) -> str:
    value = item[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def _number(item: JSON, key: str) -> int:
    value = item[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} is {type(value).__name__}, not an integer")
    return value


def parse_time(text: str) -> datetime:
    """GitHub's `2026-11-25T18:08:40Z` as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """An aware datetime in GitHub's `since` format (UTC, whole seconds, `Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_pull_request(item: JSON) -> bool:
    """Pull requests share the issues listing; only they carry a `pull_request` key."""
    return "pull_request" in item


def _normalised(name: str) -> str:
    return _SEPARATORS.sub("", name).casefold()


def status_of(item: JSON) -> Status:
    """`open`/`closed` plus a category from `state`, `state_reason`, assignees, labels."""
    state = str(item["state"])
    if state == "closed":
        reason = item.get("state_reason")
        category = StatusCategory.CANCELED if reason in CANCEL_REASONS else StatusCategory.DONE
        return Status(name=state, category=category)
    started = bool(_assignees(item)) or any(
        _normalised(name) == "inprogress" for name in _labels(item)
    )
    return Status(
        name=state, category=StatusCategory.IN_PROGRESS if started else StatusCategory.TODO
    )


def _assignees(item: JSON) -> tuple[str, ...]:
    people = item.get("assignees")
    if people is None:
        people = [item["assignee"]] if item.get("assignee") else []
    return tuple(person["login"] for person in people)


def _labels(item: JSON) -> tuple[str, ...]:
    return tuple(
        label["name"] if isinstance(label, Mapping) else str(label)
        for label in item.get("labels") or ()
    )


def _type_name(item: JSON) -> str | None:
    kind = item.get("type")
    return str(kind["name"]) if isinstance(kind, Mapping) and kind.get("name") else None


def issue_to_task(connector: str, repo: str, item: JSON) -> Task:
    """One issue of `repo` as a `Task` (`ref` = `connector:repo#number`)."""
    with _shape(f"issue {item.get('number', '?')} of {repo}"):
        milestone = item.get("milestone")
        return Task(
            ref=Ref(connector, repo, str(_number(item, "number"))),
            url=_text(item, "html_url"),
            title=_text(item, "title"),
            body=item.get("body") or "",
            status=status_of(item),
            assignees=_assignees(item),
            labels=_labels(item),
            milestone=str(milestone["title"]) if milestone else None,
            type=_type_name(item),
            created_at=parse_time(item["created_at"]),
            updated_at=parse_time(item["updated_at"]),
            raw={
                "number": item["number"],
                "id": item["id"],
                "node_id": item.get("node_id"),
                "state": item["state"],
                "state_reason": item.get("state_reason"),
                "html_url": item["html_url"],
            },
        )


def comment_issue_number(item: JSON) -> str:
    """The number of the issue a comment belongs to, from its `issue_url`."""
    with _shape(f"comment {item.get('id', '?')}"):
        number = str(item["issue_url"]).rstrip("/").rsplit("/", 1)[1]
        if not number.isdigit():
            raise ValueError(f"issue_url does not end in a number: {item['issue_url']!r}")
        return number


def to_comment(item: JSON) -> Comment:
    """One issue comment as a `Comment` (`id` is GitHub's comment id)."""
    with _shape(f"comment {item.get('id', '?')}"):
        user = item.get("user")
        return Comment(
            id=str(_number(item, "id")),
            author=str(user["login"]) if user else None,
            body=item.get("body") or "",
            created_at=parse_time(item["created_at"]),
            updated_at=parse_time(item["updated_at"]),
        )


def _due(value: str | None) -> date | None:
    return parse_time(value).date() if value else None


def to_milestone(connector: str, repo: str, item: JSON) -> Milestone:
    """A repository milestone as a `Milestone` (`id` is its number, the key for edits)."""
    with _shape(f"milestone {item.get('number', '?')} of {repo}"):
        return Milestone(
            scope=Ref(connector, repo),
            id=str(_number(item, "number")),
            name=_text(item, "title"),
            description=item.get("description") or "",
            due=_due(item.get("due_on")),
            state=str(item["state"]),
            raw={
                "number": item["number"],
                "id": item["id"],
                "node_id": item.get("node_id"),
                "html_url": item.get("html_url"),
                "open_issues": item.get("open_issues"),
                "closed_issues": item.get("closed_issues"),
                "updated_at": item.get("updated_at"),
            },
        )
