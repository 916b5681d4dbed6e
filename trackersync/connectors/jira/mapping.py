"""Pure functions from Jira's REST JSON (v2) to the common task model."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from trackersync.connectors.jira.markup import escape_text, to_markdown, to_wiki
from trackersync.errors import MalformedData
from trackersync.sync.model import Comment, Milestone, Ref, Status, StatusCategory, Task

# Resolutions that mean "closed without doing it" rather than "done".
CANCELED_RESOLUTIONS = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "rejected"}
)
CATEGORY_BY_KEY = {
    "new": StatusCategory.TODO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}
# The fields the task model needs; the search asks for exactly these (never `*all`).
FIELDS = (
    "summary",
    "description",
    "status",
    "resolution",
    "assignee",
    "labels",
    "fixVersions",
    "duedate",
    "issuetype",
    "parent",
    "created",
    "updated",
    "comment",
    "issuelinks",
)
SYSTEM = "jira"
# The issue property that carries an item's marker (search returns it inline).
PROPERTY = "trackersync"
# A mirrored comment's last line: small and grey in Jira, parsed back on pull. Wiki has
# no hidden comments, and comment properties do not come back inline with a search.
MARKER_COLOR = "#97a0af"
_COMMENT_MARKER = re.compile(
    r"\n*\{color:" + re.escape(MARKER_COLOR) + r"\}trackersync:comment=(\S+?)\{color\}\s*\Z"
)
_COMMENT_HEADER = re.compile(r"\A\*[^\n]*\* on \[[^\n]*\]:(?:\n\n?|\Z)")


def parse_time(text: str) -> datetime:
    """Read Jira's `2026-11-25T19:08:40.123+0100` (also ISO 8601 with a colon or `Z`)."""
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 - both patterns end in %z
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedData(SYSTEM, f"timestamp {text!r}") from exc
    if moment.tzinfo is None:
        raise MalformedData(SYSTEM, f"timestamp {text!r} has no time zone")
    return moment


def parse_date(text: str | None) -> date | None:
    """A `yyyy-MM-dd` date, or None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MalformedData(SYSTEM, f"date {text!r}") from exc


def status_of(fields: dict[str, Any]) -> Status:
    """Jira's own status name; the category from `statusCategory.key` and the resolution."""
    status = fields.get("status") or {}
    name = status.get("name")
    key = (status.get("statusCategory") or {}).get("key")
    if not name or key not in CATEGORY_BY_KEY:
        raise MalformedData(SYSTEM, f"status {status!r} has no name or category key")
    category = CATEGORY_BY_KEY[key]
    resolution = (fields.get("resolution") or {}).get("name") or ""
    if category is StatusCategory.DONE and resolution.lower() in CANCELED_RESOLUTIONS:
        category = StatusCategory.CANCELED
    return Status(name=name, category=category)


def user_id(user: dict[str, Any] | None) -> str | None:
    """The identifier a link's `users` map is keyed by: accountId (Cloud) or name (Server)."""
    if not user:
        return None
    return user.get("accountId") or user.get("name")


def comments_of(fields: dict[str, Any]) -> tuple[Comment, ...]:
    """The inline comments, bodies converted to Markdown."""
    page = fields.get("comment") or {}
    return tuple(comment_from(raw) for raw in page.get("comments") or [])


def comment_from(raw: dict[str, Any]) -> Comment:
    """One comment; author is the display name; a mirrored one loses header and marker."""
    author = raw.get("author") or {}
    created = parse_time(raw["created"])
    body, mirror_of = split_comment(raw.get("body") or "")
    return Comment(
        id=str(raw["id"]),
        author=author.get("displayName") or user_id(author),
        body=to_markdown(body),
        created_at=created,
        updated_at=parse_time(raw["updated"]) if raw.get("updated") else created,
        mirror_of=mirror_of,
    )


def comment_wiki(
    markdown: str, origin_author: str | None, link: tuple[str, str], marker: str
) -> str:
    """A mirrored comment: a header naming author and origin, the body, the marker line.

    `link` is (text, url) of the origin item; `marker` the origin's `marker_id`.
    """
    author = escape_text(origin_author or "Someone")
    text, url = link
    header = f"*{author}* on [{escape_text(text)}|{_link_url(url)}]:"
    body = to_wiki(markdown)
    footer = f"{{color:{MARKER_COLOR}}}trackersync:comment={marker}{{color}}"
    return f"{header}\n\n{body}\n\n{footer}" if body else f"{header}\n\n{footer}"


def split_comment(wiki: str) -> tuple[str, str | None]:
    """(body wiki, marker id) of a comment; the marker is None for a user's own comment."""
    marker = _COMMENT_MARKER.search(wiki)
    if marker is None:
        return wiki, None
    body = _COMMENT_HEADER.sub("", wiki[: marker.start()], count=1)
    return body, marker[1]


def _link_url(url: str) -> str:
    # `|` and `]` end a wiki link; spaces end a URL.
    return url.replace("|", "%7C").replace("]", "%5D").replace(" ", "%20")


def links_of(fields: dict[str, Any]) -> list[dict[str, str]]:
    """Issue links summarised as `{type, direction, key}` (e.g. "Blocks", inward, WEB-3)."""
    summary = []
    for link in fields.get("issuelinks") or []:
        kind = (link.get("type") or {}).get("name", "")
        for direction in ("inward", "outward"):
            other = link.get(f"{direction}Issue")
            if other and other.get("key"):
                summary.append({"type": kind, "direction": direction, "key": other["key"]})
    return summary


def task_from_issue(
    raw: dict[str, Any],
    *,
    connector: str,
    project: str,
    base_url: str,
    flagged_field: str | None = None,
) -> Task:
    """One search result (or `GET /issue`) as a `Task`."""
    try:
        fields = raw["fields"]
        key = raw["key"]
        return Task(
            ref=Ref(connector, project, key),
            url=f"{base_url.rstrip('/')}/browse/{key}",
            title=fields.get("summary") or "",
            body=to_markdown(fields.get("description")),
            status=status_of(fields),
            assignees=tuple(filter(None, [user_id(fields.get("assignee"))])),
            labels=tuple(fields.get("labels") or ()),
            milestone=next((v.get("name") for v in fields.get("fixVersions") or []), None),
            due=parse_date(fields.get("duedate")),
            type=(fields.get("issuetype") or {}).get("name"),
            parent=_parent_ref(fields, connector, project),
            created_at=parse_time(fields["created"]),
            updated_at=parse_time(fields["updated"]),
            comments=comments_of(fields),
            raw=_raw_extras(raw, fields, flagged_field),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedData(SYSTEM, f"issue {raw.get('key', '?')}: missing {exc}") from exc


def _parent_ref(fields: dict[str, Any], connector: str, project: str) -> str | None:
    parent = fields.get("parent") or {}
    key = parent.get("key")
    if not key:
        return None
    # A parent may live in another project: its scope is the key's prefix.
    scope = key.rsplit("-", 1)[0] if "-" in key else project
    return str(Ref(connector, scope, key))


def _raw_extras(
    raw: dict[str, Any], fields: dict[str, Any], flagged_field: str | None
) -> dict[str, Any]:
    status = fields.get("status") or {}
    return {
        "id": str(raw.get("id", "")),
        "key": raw.get("key"),
        "statusCategory": (status.get("statusCategory") or {}).get("key"),
        "resolution": (fields.get("resolution") or {}).get("name"),
        "issuelinks": links_of(fields),
        "flagged": bool(fields.get(flagged_field)) if flagged_field else False,
        "description_wiki": fields.get("description") or "",
        **_marker(raw),
    }


def _marker(raw: dict[str, Any]) -> dict[str, Any]:
    """`{"twin_of": ref}` from the issue property, when the item carries one."""
    found = twin_of(raw)
    return {"twin_of": found} if found else {}


def twin_of(raw: dict[str, Any]) -> str | None:
    """The origin ref in an issue's marker property (`properties=trackersync`), if any."""
    value = (raw.get("properties") or {}).get(PROPERTY)
    found = value.get("twin_of") if isinstance(value, dict) else None
    return found if isinstance(found, str) and found else None


def milestone_from_version(raw: dict[str, Any], *, connector: str, project: str) -> Milestone:
    """A Jira version (fixVersion) as a `Milestone`; released → closed."""
    try:
        return Milestone(
            scope=Ref(connector, project),
            id=str(raw["id"]),
            name=raw["name"],
            description=raw.get("description") or "",
            due=parse_date(raw.get("releaseDate")),
            state="closed" if raw.get("released") else "open",
            raw={"archived": bool(raw.get("archived")), "released": bool(raw.get("released"))},
        )
    except (KeyError, TypeError) as exc:
        raise MalformedData(SYSTEM, f"version {raw!r}: missing {exc}") from exc
