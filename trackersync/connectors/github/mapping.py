"""Pure functions between GitHub's REST JSON and the task model, markers included.

They read only the raw JSON dicts of a listing: touching PyGithub objects built from a
list page would fetch every issue again (see API-NOTES, "hidden requests").

An issue trackersync created ends with a footer: a rule, a visible link back to its
origin and a hidden marker naming the origin's ref. A mirrored comment starts with a
header line naming its author and origin and ends with a hidden marker. Reading strips
both exactly, so `Task.body` / `Comment.body` are what the engine wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from trackersync.errors import MalformedData
from trackersync.sync.model import (
    Comment,
    Milestone,
    Origin,
    Ref,
    Status,
    StatusCategory,
    Task,
)

SYSTEM = "github"
CANCEL_REASONS = frozenset({"not_planned", "duplicate"})
_SEPARATORS = re.compile(r"[\s_\-]+")

JSON = Mapping[str, Any]
# The login trackersync authenticates as, asked only when an item carries a marker.
Login = Callable[[], str]


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
    """Pull requests share the issues listing and carry a `pull_request` object with
    their page; one whose `html_url` is null (seen on real payloads) names no pull
    request, so the item is an issue."""
    pull = item.get("pull_request")
    return isinstance(pull, dict) and bool(pull.get("html_url"))


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


def login_of(item: JSON) -> str | None:
    """The login that created the issue or comment."""
    user = item.get("user")
    login = user.get("login") if isinstance(user, Mapping) else None
    return login if isinstance(login, str) else None


def same_login(one: str | None, other: str | None) -> bool:
    """GitHub logins are case-insensitive."""
    return one is not None and other is not None and one.casefold() == other.casefold()


def written_by(item: JSON, me: Login | None) -> bool:
    """Whether the issue or comment was created by the login `me` names."""
    login = login_of(item)
    return me is not None and login is not None and same_login(login, me())


def issue_to_task(connector: str, repo: str, item: JSON, me: Login | None = None) -> Task:
    """One issue of `repo` as a `Task` (`ref` = `connector:repo#number`).

    `me` gives trackersync's login: a footer marker counts (`by_trackersync`) only on an
    issue that login opened; without `me` no marker does.
    """
    with _shape(f"issue {item.get('number', '?')} of {repo}"):
        milestone = item.get("milestone")
        body = split_footer(item.get("body") or "")
        return Task(
            ref=Ref(connector, repo, str(_number(item, "number"))),
            url=_text(item, "html_url"),
            title=_text(item, "title"),
            body=body.text,
            status=status_of(item),
            assignees=_assignees(item),
            labels=_labels(item),
            milestone=str(milestone["title"]) if milestone else None,
            fix_versions=(str(milestone["title"]),) if milestone else (),
            # GitHub has no blocked state: teams use a "blocked" label.
            blocked=any(name.lower() == "blocked" for name in _labels(item)),
            type=_type_name(item),
            created_at=parse_time(item["created_at"]),
            updated_at=parse_time(item["updated_at"]),
            twin_of=body.twin_of,
            by_trackersync=body.twin_of is not None and written_by(item, me),
            raw={
                "number": item["number"],
                "id": item["id"],
                "node_id": item.get("node_id"),
                "state": item["state"],
                "state_reason": item.get("state_reason"),
                "html_url": item["html_url"],
                # Who opened it: a later pull may take its marker check as done (`_known_ours`).
                "author": login_of(item),
                **body.raw(),
            },
        )


def comment_issue_number(item: JSON) -> str:
    """The number of the issue a comment belongs to, from its `issue_url`."""
    with _shape(f"comment {item.get('id', '?')}"):
        number = str(item["issue_url"]).rstrip("/").rsplit("/", 1)[1]
        if not number.isdigit():
            raise ValueError(f"issue_url does not end in a number: {item['issue_url']!r}")
        return number


def to_comment(item: JSON, me: Login | None = None) -> Comment:
    """One issue comment as a `Comment` (`id` is GitHub's comment id); its marker counts
    (`by_trackersync`) only when the login `me` gives wrote it."""
    with _shape(f"comment {item.get('id', '?')}"):
        user = item.get("user")
        body, mirror_of = split_comment(item.get("body") or "")
        return Comment(
            id=str(_number(item, "id")),
            author=str(user["login"]) if user else None,
            body=body,
            mirror_of=mirror_of,
            by_trackersync=mirror_of is not None and written_by(item, me),
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


# ---------------------------------------------------------------- markers

# The footer an issue created by trackersync ends with. The blank line before the rule
# keeps the rule from turning the last paragraph into a heading; only this exact shape is
# stripped, so a user's own `---` survives. (A leading `^` also matches: a body that was
# only the footer, should a client trim the leading blank lines.)
_FOOTER = re.compile(
    r"(?:\n\n|\r\n\r\n|^)---\r?\n<sub>Mirrored from [^\r\n]* by trackersync</sub>\r?\n"
    r"<!-- trackersync:twin_of=(?P<ref>\S+) -->"
)
_COMMENT_MARKER = re.compile(r"\r?\n<!-- trackersync:comment=(?P<id>\S+) -->\s*\Z")
_COMMENT_HEADER = re.compile(r"\A\*\*[^\r\n]*\*\* on \[[^\r\n]*\]\([^\r\n]*\):\r?\n\r?\n")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>@#|])")


def _escaped(text: str) -> str:
    """Plain text that Markdown shows as is (and that mentions nobody)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _link_target(url: str) -> str:
    # Spaces and parentheses would end a Markdown link target early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def origin_link(origin: Origin) -> str:
    """`[Jira WEB-7](url)`: the origin system and item, linked."""
    try:
        name = Ref.parse(origin.ref).key or origin.ref
    except ValueError:
        name = origin.ref
    return f"[{_escaped(f'{origin.system} {name}')}]({_link_target(origin.url)})"


def footer(origin: Origin) -> str:
    """The link back and the marker appended to the body of an issue trackersync creates."""
    return (
        f"\n\n---\n<sub>Mirrored from {origin_link(origin)} by trackersync</sub>\n"
        f"<!-- trackersync:twin_of={origin.ref} -->"
    )


@dataclass(frozen=True)
class SplitBody:
    """An issue body without its footer; `twin_of`/`footer` are None on a user's issue."""

    text: str
    twin_of: str | None = None
    footer: str | None = None

    def raw(self) -> dict[str, str]:
        """The `Task.raw` entry: the footer to keep when rewriting the body."""
        return {} if self.footer is None else {"footer": self.footer}


def split_footer(text: str) -> SplitBody:
    """`text` without trackersync's footer (the last one), plus the marker it carried."""
    matches = list(_FOOTER.finditer(text))
    if not matches:
        return SplitBody(text)
    match = matches[-1]
    before, after = text[: match.start()], text[match.end() :]
    if after.strip():
        # A user wrote below the footer: keep their text, drop only the footer.
        before = f"{before}\n\n{after.lstrip(chr(13) + chr(10))}"
    return SplitBody(before, match["ref"], match[0])


# GitHub finds mentions and references in the rendered text, where a backslash escape is
# gone: a zero-width space after the `@` or `#` is what keeps a name from linking.
_LINKABLE = re.compile(r"[@\uff20\ufe6b#]|(?i:gh-)|(?i:github\.com/)")


def _inert_name(name: str) -> str:
    """A person's name as Markdown text that mentions and references nothing."""
    # `\&`: an entity such as `&commat;` would spell an `@` after the fact.
    return _LINKABLE.sub(lambda m: m[0] + "\u200b", _escaped(name).replace("&", "\\&"))


def comment_text(body: str, origin: Origin) -> str:
    """A mirrored comment: a header naming author and origin, the body, a hidden marker."""
    author = _inert_name(origin.author or "Someone")
    header = f"**{author}** on {origin_link(origin)}:"
    return f"{header}\n\n{body}\n<!-- trackersync:comment={origin.marker_id} -->"


def split_comment(text: str) -> tuple[str, str | None]:
    """A comment's body without header and marker, and the marker's id (None: a user's)."""
    marker = _COMMENT_MARKER.search(text)
    if marker is None:
        return text, None
    body = text[: marker.start()]
    header = _COMMENT_HEADER.match(body)
    return (body[header.end() :] if header else body), marker["id"]


# ---------------------------------------------------------------- writing

CLOSE_REASON = {StatusCategory.DONE: "completed", StatusCategory.CANCELED: "not_planned"}


def state_edit(current: Status, target: StatusCategory) -> tuple[dict[str, str], bool]:
    """The `state`/`state_reason` that move an issue from `current` to `target`.

    Returns the fields for the edit and whether the issue must first be reopened: GitHub
    changes `state_reason` only together with `state`, so done <-> canceled on a closed
    issue takes a reopen, then a close. Open statuses are one state on GitHub: todo and
    in progress need no edit of each other.
    """
    reason = CLOSE_REASON.get(target)
    if reason is None:
        is_open = current.name == "open"
        return ({} if is_open else {"state": "open", "state_reason": "reopened"}), False
    if current.name == "open":
        return {"state": "closed", "state_reason": reason}, False
    if current.category == target:
        return {}, False
    return {"state": "closed", "state_reason": reason}, True
