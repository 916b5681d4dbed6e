"""The `Connector` interface a tracker plugin implements.

A plugin ships a `Connector` subclass with a `type` name and a pydantic `Config`, and
registers it under the `trackersync.connectors` entry-point group.
"""

from __future__ import annotations

import builtins
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from trackersync.errors import ConfigError
from trackersync.sync.model import Comment, Milestone, Origin, PullResult, Task, TaskFields

log = logging.getLogger(__name__)

__all__ = [
    "CheckReport",
    "Connector",
    "ConnectorConfig",
    "Duration",
    "HttpUrl",
    "MARKER_AUTHORS",
    "PullResult",
    "RateBudget",
    "ScopeReport",
    "StoredItems",
    "StoredUpdates",
    "authorship_cursor",
    "parse_duration",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> timedelta:
    """Read `1s`, `250ms`, `15m`, `2h`, `1d` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError("expected a duration such as 1s, 250ms, 15m or 2h")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def parse_http_url(value: Any) -> str:
    """An http(s) URL with a host (and a valid port), as every tracker API is reached."""
    text = str(value).strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it validates it
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host")
    return text


HttpUrl = Annotated[str, BeforeValidator(parse_http_url)]


# Cursors written since pulls record who wrote each marker (`by_trackersync`) say so with
# this key. Items stored before carry no authorship: a cursor without the key makes the
# pull read the whole scope once, so every stored marker gets its author checked.
MARKER_AUTHORS = "marker_authors"


# Item keys -> the `updated_at` (ISO UTC) the state store holds for those it has.
StoredUpdates = Callable[[Sequence[str]], Mapping[str, str]]
# Item keys -> the tasks (with their comments) the state store holds for those it has.
StoredItems = Callable[[Sequence[str]], Mapping[str, Task]]


def authorship_cursor(cursor: Mapping[str, Any]) -> Mapping[str, Any]:
    """`cursor`, or {} (a full pull) when it predates authorship checks."""
    return cursor if cursor.get(MARKER_AUTHORS) == 1 else {}


class ConnectorConfig(BaseModel):
    """Keys every connector section has; subclasses add their scopes and options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    url: HttpUrl
    token_env: str
    timeout: Duration = timedelta(seconds=30)

    def scope_names(self) -> list[str]:
        """The scopes (repos, projects) this section configures; every connector overrides."""
        raise NotImplementedError(f"{type(self).__name__} does not list its scopes")

    def secret(self, env: Mapping[str, str], variable: str, *, key: str) -> str:
        """Read a secret from the environment variable the config names."""
        value = env.get(variable, "")
        if not value:
            raise ConfigError(
                f"environment variable {variable} is not set; export it with the secret "
                f"(named by `{key}`)",
            )
        return value


class RateBudget(BaseModel):
    """What is left of an API budget (None where the system does not say)."""

    remaining: int | None = None
    limit: int | None = None
    resets_at: str | None = None


class ScopeReport(BaseModel):
    """One configured scope as `check` saw it."""

    scope: str
    visible: bool
    detail: str = ""


class CheckReport(BaseModel):
    """The outcome of `Connector.check()`."""

    connector: str
    user: str
    server: str = ""
    scopes: list[ScopeReport] = Field(default_factory=list)
    rate: RateBudget = Field(default_factory=RateBudget)


class Connector(ABC):
    """A tracker. One instance per configured connector section, used for one run."""

    type: ClassVar[str]
    Config: ClassVar[builtins.type[ConnectorConfig]]

    # What the system can represent; the engine adapts mirrored values to it.
    display_name: ClassVar[str] = "tracker"
    labels_allow_spaces: ClassVar[bool] = True
    distinct_open_statuses: ClassVar[bool] = True
    at_mentions: ClassVar[bool] = False
    renders_html: ClassVar[bool] = False
    text_limit: ClassVar[int] = 32_000
    # How a milestone / version description is rendered ("markdown" or "plain"), and its
    # size limit in bytes: rollups are published there.
    milestone_text: ClassVar[str] = "plain"
    milestone_text_limit: ClassVar[int] = 16_384

    def __init__(self, name: str, config: ConnectorConfig, env: Mapping[str, str]) -> None:
        self.name = name
        self.config = config
        self.env = env

    @property
    def scopes(self) -> list[str]:
        """The scopes (repos, projects) this connector is configured for."""
        return self.config.scope_names()

    @abstractmethod
    def check(self) -> CheckReport:
        """Authenticate, list what the configured scopes look like, report the budget.

        Raises `AuthRefused` or `Unreachable` when the system cannot be used.
        """

    @abstractmethod
    def pull(self, scope: str, cursor: Mapping[str, Any]) -> PullResult:
        """Fetch what changed in `scope` since `cursor` ({} for a first pull).

        Comments travel by one path, `PullResult.comments`: every comment new or edited
        since `cursor`, keyed by the item key, also when its item did not change (then it
        is not in `tasks`). A system whose API returns comments inside the items may leave
        them on `Task.comments` instead; `PullResult` folds those into `comments` when it
        is built. The store saves `comments` alone and the engine plans from the store.
        """

    def use_stored(self, scope: str, stored: StoredUpdates) -> None:  # noqa: B027 - optional
        """Called before `pull(scope, ...)`: how to ask the state store which version of
        an item it holds (what the last pull, or our own write, left there). A connector
        whose listing cannot leave out items it already knows (a time-window search that
        returns our own writes, or the overlap) may skip mapping one it reads again at
        exactly the stored `updated`: the store keeps it as it is. Default: ignored."""
        del scope, stored

    def use_stored_items(self, scope: str, items: StoredItems) -> None:  # noqa: B027
        """Called before `pull(scope, ...)`, like `use_stored`: how to load the tasks the
        state store holds (with their comments). A connector that can tell an item read
        again is exactly the one stored (not by its time: after our own write the stored
        time may be an estimate) may return that task instead of mapping the item again.
        Default: ignored."""
        del scope, items

    def identity(self, scope: str) -> dict[str, str] | None:
        """Which system `scope` lives on, as plain text values: the server's URL and
        whatever tells this server, repository or project apart from a reseeded or other
        one at the same place (ids). The state store records it on first use and refuses
        to run against another. Called once per scope and run, before `pull`; it should
        cost at most one request. None (the default) means: not checked.
        """
        del scope
        return None

    def reuse(self, memo: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """`run --every` hands every cycle's connectors the same `memo`, which lives as
        long as the process: what a connector keeps there (who the API user is, which
        server and project it talks to) its successors need not read again each cycle.
        Default: nothing is kept."""
        del memo

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold nothing
        """Release sessions; called once at the end of a run."""

    def clock_offset(self) -> timedelta | None:
        """How far the server's clock runs ahead of this machine's (its `Date` header
        minus the local time it arrived), as measured during this run; None when unknown.
        "Newest wins" compares two servers' timestamps corrected by it."""
        return None

    # --- writing (used by `sync`; see docs/connectors.md for the marker contract) --------
    #
    # Every write returns the item or comment exactly as the next `pull` will show it
    # (same mapping), so the engine can record what it wrote and never mistake its own
    # write for a user's edit. Items and comments created by trackersync carry a durable
    # marker back to their origin; `pull` reports it as `Task.twin_of` (the origin's ref
    # text) and `Comment.mirror_of` (the origin's `Origin.marker_id`), and strips marker
    # and link-back text from `body`. Anyone can paste a marker, so `pull` also sets
    # `by_trackersync` on every marked item and comment: True only when the account the
    # connector authenticates as created it (the engine trusts no other marker).

    def create_item(self, scope: str, fields: TaskFields, origin: Origin) -> Task:
        """Create an item in `scope` with a marker and a visible link back to `origin`."""
        raise NotImplementedError(f"{self.type} connector cannot create items")

    def update_item(self, item: Task, changes: TaskFields, marker: Origin | None = None) -> Task:
        """Write every set field of `changes` in one edit (plus a transition if needed).

        `marker` is given when `item` is a mirror whose marker went missing (a person
        removed it): write it back, in the same edit where the system allows.
        """
        raise NotImplementedError(f"{self.type} connector cannot edit items")

    def create_comment(self, item: Task, body: str, origin: Origin) -> Comment:
        """Add a mirrored comment naming its author and origin, with a marker."""
        raise NotImplementedError(f"{self.type} connector cannot comment")

    def update_comment(self, item: Task, comment: Comment, body: str, origin: Origin) -> Comment:
        """Rewrite a mirrored comment after its origin was edited."""
        raise NotImplementedError(f"{self.type} connector cannot edit comments")

    def find_twin(self, scope: str, origin: str) -> Task | None:
        """After a crash: the item in `scope` whose marker names `origin`, if any."""
        raise NotImplementedError(f"{self.type} connector cannot look up markers")

    def filter_keys(self, scope: str, query: str | dict[str, Any]) -> set[str]:
        """The keys of the items in `scope` that a link's `filter` lets take part."""
        raise NotImplementedError(f"{self.type} connector cannot filter")

    def update_milestone(self, milestone: Milestone, description: str) -> Milestone:
        """Replace a milestone's / version's description; return it as a pull would show it."""
        raise NotImplementedError(f"{self.type} connector cannot publish rollups")

    def update_milestone_due(self, milestone: Milestone, due: date | None) -> Milestone:
        """Set (`due` None: clear) a milestone's / version's due date; return it as a pull
        would show it. Default, for connectors written before dates were synced: nothing is
        written, a warning says so, and the milestone comes back as it was (the engine then
        takes that date as agreed and does not ask again every cycle)."""
        log.warning(
            "%s connector cannot set due dates: %s:%s keeps %s (wanted %s)",
            self.type,
            milestone.scope,
            milestone.name,
            milestone.due,
            due,
        )
        return milestone
