"""PyGithub, configured for trackersync, behind one retry layer and one error boundary.

PyGithub's own retry (`GithubRetry`) and its client-side sleep between reads are switched
off: `call_with_retry` is the one retry layer, and reads against a local sandbox should not
be slowed. Writes keep PyGithub's `seconds_between_writes` (the config's `write_interval`),
which spaces them as GitHub's secondary limits ask, and are retried only when GitHub
refused them outright (429, or 403 with `retry-after`): a POST that may have been applied
is never repeated. Writes go through `Requester.requestJson` as well, since the issue
objects' `edit()` cannot clear a milestone by name and `create_issue` wants objects that
cost a GET each. Reads go through `Requester.requestJson` rather than PyGithub objects because
(a) it can send `If-None-Match` for conditional requests, which `PaginatedList` cannot,
and (b) objects built from list pages fetch themselves again when touched (a hidden GET per
issue). Every library error is translated here into trackersync's errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.Requester import Requester

from trackersync.connectors.base import RateBudget
from trackersync.connectors.retry import Failure, RetryPolicy, call_with_retry, repeatable
from trackersync.errors import (
    AuthRefused,
    GarbledAnswer,
    ItemFailed,
    MalformedData,
    RateLimited,
    TrackersyncError,
    Unreachable,
    WriteUnanswered,
)

SYSTEM = "github"
PER_PAGE = 100


class NotVisible(ItemFailed):
    """A repository or item answered 404: it does not exist or the token cannot see it."""


@dataclass(frozen=True)
class Page:
    """One answered GET: status, lower-cased headers and the decoded JSON (None on 304)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    data: Any = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional request."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """The validator to send as `If-None-Match` next time."""
        return self.headers.get("etag")

    @property
    def date(self) -> datetime | None:
        """The server's clock at the time of the answer (`Date`)."""
        text = self.headers.get("date")
        try:
            return parsedate_to_datetime(text).astimezone(UTC) if text else None
        except (TypeError, ValueError):
            return None

    @property
    def next_url(self) -> str | None:
        """The `rel="next"` URL of the `Link` header, as the server wrote it."""
        return parse_links(self.headers.get("link", "")).get("next")


def parse_links(header: str) -> dict[str, str]:
    """`<url>; rel="next", <url>; rel="last"` -> {"next": url, "last": url}."""
    links: dict[str, str] = {}
    for part in header.split(","):
        target, _, params = part.strip().partition(";")
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "rel" and target.startswith("<") and target.endswith(">"):
                links[value.strip('"')] = target[1:-1]
    return links


def classify(exc: BaseException) -> Failure | None:
    """Turn a PyGithub/requests exception into what the retry layer decides on."""
    if isinstance(exc, GithubException):
        headers = {str(k): str(v) for k, v in (exc.headers or {}).items()}
        failure = Failure(exc.status, headers)
        return Failure(exc.status, headers, rate_limited=_is_rate_limit(exc.status, failure))
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return Failure(None)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Failure(None)  # the answer was cut off: as good as none
    return None


def _is_rate_limit(status: int, failure: Failure) -> bool:
    # GitHub answers an exhausted budget (remaining 0) and a secondary limit (retry-after)
    # with 403 or 429; any other 403 is a permission problem, not worth retrying.
    if status not in (403, 429):
        return False
    return failure.header("x-ratelimit-remaining") == "0" or bool(failure.header("retry-after"))


class GitHubClient:
    """Authenticated GETs against one GitHub (or GHE) API root; counts its requests."""

    def __init__(  # noqa: PLR0913 - every knob comes from the connector config
        self,
        *,
        url: str,
        token: str,
        token_env: str,
        timeout: timedelta,
        write_interval: timedelta,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token_env = token_env
        self.retry_policy = retry_policy
        self.requests = 0
        self.last_headers: Mapping[str, str] = {}
        # The server's `Date` minus local time at receipt, from the last GET that sent one.
        self.clock_offset: timedelta | None = None
        self.github = Github(
            base_url=self.url,
            auth=Auth.Token(token),
            per_page=PER_PAGE,
            timeout=max(1, math.ceil(timeout.total_seconds())),
            retry=None,
            seconds_between_requests=0,
            seconds_between_writes=write_interval.total_seconds(),
            lazy=True,
        )

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, etag: str | None = None
    ) -> Page:
        """GET `path` (relative to the API root, or an absolute `Link` URL), retried."""
        with self._boundary():
            return call_with_retry(
                lambda: self._get_once(path, dict(params or {}), etag),
                system=SYSTEM,
                classify=classify,
                policy=self.retry_policy,
            )

    def send(self, verb: str, path: str, body: Mapping[str, Any]) -> Any:
        """POST/PATCH `body` as JSON to `path`; the decoded answer. A PATCH (the same
        values again) is retried on 5xx or no answer, a POST is not."""
        with self._boundary(write=True, again=repeatable(verb)):
            return call_with_retry(
                lambda: self._send_once(verb, path, dict(body)),
                system=SYSTEM,
                classify=classify,
                idempotent=repeatable(verb),
                policy=self.retry_policy,
            )

    def pages(self, first: Page) -> Iterator[Page]:
        """`first`, then every page its `Link` header leads to (never building page URLs)."""
        page, visited = first, set[str]()
        yield page
        while page.next_url:
            if page.next_url in visited:
                raise MalformedData(SYSTEM, f"pagination loop at {page.next_url}")
            visited.add(page.next_url)
            page = self.get(page.next_url)
            yield page

    def rate_budget(self) -> RateBudget:
        """The primary budget as the last response's `x-ratelimit-*` headers told it."""
        headers = self.last_headers
        reset = headers.get("x-ratelimit-reset")
        resets_at = (
            datetime.fromtimestamp(int(reset), UTC).isoformat()
            if reset and reset.isdigit()
            else None
        )
        return RateBudget(
            remaining=_int_or_none(headers.get("x-ratelimit-remaining")),
            limit=_int_or_none(headers.get("x-ratelimit-limit")),
            resets_at=resets_at,
        )

    def close(self) -> None:
        """Close the HTTP connections."""
        self.github.close()

    def _get_once(self, path: str, params: dict[str, Any], etag: str | None) -> Page:
        headers = {"If-None-Match": etag} if etag else {}
        self.requests += 1
        status, raw_headers, body = self.github.requester.requestJson(
            "GET", path, parameters=params, headers=headers
        )
        lowered = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        self.last_headers = lowered
        server_date = Page(status, lowered).date
        if server_date is not None:
            self.clock_offset = server_date - datetime.now(UTC)
        if status == 304:
            return Page(status, lowered)
        data = _decode(body, path)
        if status >= 400:
            output = data if isinstance(data, dict) else {"message": str(body)[:200]}
            raise Requester.createException(status, lowered, output)
        return Page(status, lowered, data)

    def _send_once(self, verb: str, path: str, body: dict[str, Any]) -> Any:
        self.requests += 1
        status, raw_headers, text = self.github.requester.requestJson(verb, path, input=body)
        lowered = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        self.last_headers = lowered
        data = _decode(text, path)
        if status >= 400:
            output = data if isinstance(data, dict) else {"message": str(text)[:200]}
            raise Requester.createException(status, lowered, output)
        return data

    @contextmanager
    def _boundary(self, *, write: bool = False, again: bool = False) -> Iterator[None]:
        """Translate library errors into trackersync's (never carrying the token).

        A write that answered 5xx or not at all may have been applied: only that item
        fails (`WriteUnanswered`), the next run reconciles it by marker. A refused
        connection sent nothing and stops the link as unreachable."""
        note = "after retries" if again else "not repeated"
        try:
            yield
        except TrackersyncError:
            raise
        except GithubException as exc:
            if write and exc.status >= 500:
                raise WriteUnanswered(self.url, f"HTTP {exc.status} on a write ({note})") from exc
            raise self._translate(exc) from exc
        except requests.exceptions.Timeout as exc:
            reason = f"timed out ({type(exc).__name__})"
            if write:
                raise WriteUnanswered(self.url, f"{reason} on a write ({note})") from exc
            raise Unreachable(SYSTEM, self.url, reason) from exc
        except requests.exceptions.ConnectionError as exc:
            reason = f"connection failed ({_reason(exc)})"
            if write and "Refused" not in reason:
                raise WriteUnanswered(self.url, f"{reason} on a write ({note})") from exc
            raise Unreachable(SYSTEM, self.url, reason) from exc
        except requests.exceptions.RequestException as exc:
            raise Unreachable(SYSTEM, self.url, type(exc).__name__) from exc

    def _translate(self, exc: GithubException) -> TrackersyncError:
        message = _message(exc)
        if exc.status == 401:
            hint = f"check the token in ${self.token_env} ({message or 'Bad credentials'})"
            return AuthRefused(SYSTEM, self.url, hint)
        failure = classify(exc)
        if failure is not None and failure.rate_limited:
            return RateLimited(SYSTEM, resume_at=failure.header("x-ratelimit-reset"))
        if exc.status == 403:
            hint = f"the token in ${self.token_env} may not access this ({message})"
            return AuthRefused(SYSTEM, self.url, hint)
        if exc.status == 404:
            return NotVisible(self.url, "not found, or not visible to the token")
        if exc.status >= 500:
            return Unreachable(SYSTEM, self.url, f"HTTP {exc.status} after retries")
        return ItemFailed(self.url, f"HTTP {exc.status}: {message}")


def _decode(body: str, path: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise GarbledAnswer(SYSTEM, f"{path} did not answer JSON") from exc


def _message(exc: GithubException) -> str:
    data = exc.data
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _reason(exc: BaseException) -> str:
    # The innermost cause names the real problem (refused, DNS) without request headers.
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return type(exc).__name__


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None
