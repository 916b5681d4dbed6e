"""Pure functions from Jira's REST JSON (v2) to the common task model."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from trackersync.connectors.jira.markup import escape_text, to_markdown, to_wiki
from trackersync.errors import MalformedData
from trackersync.sync.model import Comment, Milestone, Ref, Status, StatusCategory, Task

log = logging.getLogger(__name__)
# Resolutions that mean "closed without doing it" rather than "done".
CANCELED_RESOLUTIONS = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "rejected"}
)
# Jira refuses a summary longer than this; a longer title is cut (see `short_title`).
TITLE_LIMIT = 255
ELLIPSIS = "…"
FULL_TITLE = "Full title: "
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
    # Who created the item: a marker counts only on an item the API user created.
    "creator",
    "reporter",
    # Images in a description (`!shot.png!`) link to their attachment's content URL.
    "attachment",
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
# The link back on an issue trackersync created with `back_link: description` (instead of
# a remote link): the description's last paragraph, grey like a comment's marker line.
# The pull takes it off the body, an edit of the body keeps it.
_BACK_LINK = re.compile(
    r"\n*\{color:" + re.escape(MARKER_COLOR) + r"\}Mirrored by trackersync from "
    r"\[[^\n]*\]\{color\}\s*\Z"
)


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
    if not name:
        raise MalformedData(SYSTEM, f"status {status!r} has no name")
    category = CATEGORY_BY_KEY.get(key) if isinstance(key, str) else None
    if category is None:
        # "No Category" (`undefined`) or one added later: a status nobody finished.
        log.warning("status %r has the unknown category %r: read as to do", name, key)
        category = StatusCategory.TODO
    resolution = (fields.get("resolution") or {}).get("name") or ""
    if category is StatusCategory.DONE and resolution.lower() in CANCELED_RESOLUTIONS:
        category = StatusCategory.CANCELED
    return Status(name=name, category=category)


# A user's stable identity: ("accountId", id) on Cloud, ("key", key) or ("name", name)
# on Server/Data Center (a renamed user keeps the key, a new user may get the old name).
Identity = tuple[str, str]
# The API user's identity, asked only when an item or comment carries a marker.
Me = Callable[[], Identity | None]


def identity(user: Any) -> Identity | None:
    """The identity of a user object (`creator`, `author`, `GET /myself`)."""
    if not isinstance(user, dict):
        return None
    for kind in ("accountId", "key", "name"):
        value = user.get(kind)
        if isinstance(value, str) and value:
            return kind, value
    return None


def written_by_me(user: Any, me: Me | None) -> bool:
    """Whether `user` is the API user `me` gives (never when either is unknown)."""
    if me is None:
        return False
    found = identity(user)
    return found is not None and found == me()


def user_id(user: dict[str, Any] | None) -> str | None:
    """The identifier a link's `users` map is keyed by: accountId (Cloud) or name (Server)."""
    if not user:
        return None
    return user.get("accountId") or user.get("name")


def comments_of(
    fields: dict[str, Any], me: Me | None = None, base_url: str = ""
) -> tuple[Comment, ...]:
    """The inline comments, bodies converted to Markdown."""
    page = fields.get("comment") or {}
    people = people_of(fields)
    return tuple(comment_from(raw, me, base_url, people) for raw in page.get("comments") or [])


def comment_from(
    raw: dict[str, Any],
    me: Me | None = None,
    base_url: str = "",
    people: dict[str, str] | None = None,
) -> Comment:
    """One comment; author is the display name; a mirrored one loses header and marker.

    Its marker counts (`by_trackersync`) only when the API user `me` gives wrote it.
    Mentions read as names (`people`, plus the comment's author), issue keys as links
    under `base_url` (see `markup.to_markdown`).
    """
    author = raw.get("author") or {}
    created = parse_time(raw["created"])
    body, mirror_of = split_comment(raw.get("body") or "")
    return Comment(
        id=str(raw["id"]),
        author=author.get("displayName") or user_id(author),
        body=to_markdown(body, {**people_of({"creator": author}), **(people or {})}, base_url),
        created_at=created,
        updated_at=parse_time(raw["updated"]) if raw.get("updated") else created,
        mirror_of=mirror_of,
        by_trackersync=mirror_of is not None and written_by_me(author, me),
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


def back_link_wiki(description: str, link: tuple[str, str]) -> str:
    """`description` (wiki) ending with the link back: `link` is (text, url) of the origin."""
    text, url = link
    line = (
        f"{{color:{MARKER_COLOR}}}Mirrored by trackersync from "
        f"[{escape_text(text)}|{_link_url(url)}]{{color}}"
    )
    return f"{description}\n\n{line}" if description else line


def split_back_link(wiki: str) -> tuple[str, str]:
    """(the description's own wiki, the link back `back_link_wiki` appended, or "")."""
    found = _BACK_LINK.search(wiki)
    if found is None:
        return wiki, ""
    return wiki[: found.start()], wiki[found.start() :]


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
    me: Me | None = None,
) -> Task:
    """One search result (or `GET /issue`) as a `Task`.

    `me` gives the API user: the marker property counts (`by_trackersync`) only on an
    issue that user created (`creator`; `reporter` where a server sends no creator).
    """
    try:
        fields = raw["fields"]
        key = raw["key"]
        marker = twin_of(raw)
        summary = fields.get("summary") or ""
        own, _back_link = split_back_link(fields.get("description") or "")
        described = to_markdown(own, people_of(fields), base_url, files_of(fields))
        whole = full_title(summary, described)  # a title we cut, kept on top of the body
        return Task(
            ref=Ref(connector, project, key),
            url=f"{base_url.rstrip('/')}/browse/{key}",
            title=summary,
            body=without_full_title(summary, described),
            status=status_of(fields),
            assignees=tuple(filter(None, [user_id(fields.get("assignee"))])),
            labels=tuple(fields.get("labels") or ()),
            milestone=next((v.get("name") for v in fields.get("fixVersions") or []), None),
            due=parse_date(fields.get("duedate")),
            type=(fields.get("issuetype") or {}).get("name"),
            parent=_parent_ref(fields, connector, project),
            created_at=parse_time(fields["created"]),
            updated_at=parse_time(fields["updated"]),
            comments=comments_of(fields, me, base_url),
            twin_of=marker,
            by_trackersync=marker is not None and written_by_me(creator_of(fields), me),
            fix_versions=tuple(v["name"] for v in fields.get("fixVersions") or [] if v.get("name")),
            blocked=_blocked(fields, flagged_field),
            raw=_raw_extras(raw, fields, flagged_field) | ({"full_title": whole} if whole else {}),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedData(SYSTEM, f"issue {raw.get('key', '?')}: missing {exc}") from exc


def people_of(fields: dict[str, Any]) -> dict[str, str]:
    """Display names by account id (Cloud) or user name (Server) of the people an issue
    names, so that a mention reads as a name rather than an id."""
    page = fields.get("comment") or {}
    users = [fields.get(name) for name in ("assignee", "reporter", "creator")]
    users += [comment.get("author") for comment in page.get("comments") or []]
    people: dict[str, str] = {}
    for user in users:
        if isinstance(user, dict) and user.get("displayName"):
            for key in ("accountId", "name"):
                if user.get(key):
                    people[str(user[key])] = str(user["displayName"])
    return people


def files_of(fields: dict[str, Any]) -> dict[str, str]:
    """Attachment content URLs by file name (what `!name!` in a description shows)."""
    return {
        str(item["filename"]): str(item["content"])
        for item in fields.get("attachment") or []
        if isinstance(item, dict) and item.get("filename") and item.get("content")
    }


def creator_of(fields: dict[str, Any]) -> Any:
    """Who created the issue: `creator`, or `reporter` where a server sends no creator
    (whoever creates an issue may set its reporter to anyone; the creator, never)."""
    return fields["creator"] if "creator" in fields else fields.get("reporter")


def _parent_ref(fields: dict[str, Any], connector: str, project: str) -> str | None:
    parent = fields.get("parent") or {}
    key = parent.get("key")
    if not key:
        return None
    # A parent may live in another project: its scope is the key's prefix.
    scope = key.rsplit("-", 1)[0] if "-" in key else project
    return str(Ref(connector, scope, key))


def _blocked(fields: dict[str, Any], flagged_field: str | None) -> bool:
    """Flagged (the "Flagged" custom field is set), an "is blocked by" link, or a label."""
    flagged = bool(fields.get(flagged_field)) if flagged_field else False
    blocked_by = any(
        link["type"] == "Blocks" and link["direction"] == "inward" for link in links_of(fields)
    )
    labelled = any(str(label).lower() == "blocked" for label in fields.get("labels") or ())
    return flagged or blocked_by or labelled


def short_title(title: str) -> str:
    """A title within Jira's summary limit: cut with an ellipsis when longer."""
    if len(title) <= TITLE_LIMIT:
        return title
    return title[: TITLE_LIMIT - len(ELLIPSIS)] + ELLIPSIS


def with_full_title(title: str, body: str) -> str:
    """The Markdown body to write: the whole title on top when the summary is cut."""
    if short_title(title) == title:
        return body
    return f"{FULL_TITLE}{title}\n\n{body}" if body else f"{FULL_TITLE}{title}"


def full_title(summary: str, body: str) -> str | None:
    """The whole title kept on top of `body` when `summary` is a cut one, else None."""
    if not summary.endswith(ELLIPSIS) or not body.startswith(FULL_TITLE):
        return None
    whole = body.partition("\n\n")[0][len(FULL_TITLE) :]
    return whole if short_title(whole) == summary else None


def without_full_title(summary: str, body: str) -> str:
    """`body` without the whole title `with_full_title` put on top."""
    if full_title(summary, body) is None:
        return body
    return body.partition("\n\n")[2]


def _raw_extras(
    raw: dict[str, Any], fields: dict[str, Any], flagged_field: str | None
) -> dict[str, Any]:
    status = fields.get("status") or {}
    # What the description's Markdown was made with, to convert its blocks alike.
    context = {"people": people_of(fields), "files": files_of(fields)}
    return {
        **{name: found for name, found in context.items() if found},
        "id": str(raw.get("id", "")),
        "key": raw.get("key"),
        "statusCategory": (status.get("statusCategory") or {}).get("key"),
        "resolution": (fields.get("resolution") or {}).get("name"),
        "issuelinks": links_of(fields),
        "flagged": bool(fields.get(flagged_field)) if flagged_field else False,
        "description_wiki": fields.get("description") or "",
    }


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
