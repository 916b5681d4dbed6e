"""Talks HTTP to Jira through the `jira` library, with our retry layer and error mapping.

The library's own retries are off (`max_retries=0`) and every request goes through
`call_with_retry`. Library methods that would add hidden requests (field-name look-ups
before a search, reloads after an update) are bypassed: those calls use the library's
own session (`jira._session`, which carries the auth and headers) with explicit
endpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from jira import JIRA, JIRAError

from trackersync.connectors.jira.mapping import parse_time
from trackersync.connectors.retry import Failure, RetryPolicy, call_with_retry, repeatable
from trackersync.errors import (
    AuthRefused,
    ConfigError,
    GarbledAnswer,
    ItemFailed,
    MalformedData,
    RateLimited,
    Unreachable,
    WriteUnanswered,
)

PAGE_SIZE = 100
MAX_PAGES = 10_000


@dataclass(frozen=True)
class ServerInfo:
    """What `GET /serverInfo` said, and the server clock read off its `Date` header."""

    deployment: str
    version: str
    base_url: str
    date: datetime
    received: float  # time.monotonic() when the answer arrived
    # The instance's name as its administrators set it ("Jira" unless changed); REST
    # serverInfo carries no server id on Cloud or Data Center, so this and `base_url`
    # are what tells one instance from another.
    title: str = ""

    @property
    def cloud(self) -> bool:
        """Whether this is Jira Cloud (enhanced search) rather than Server/Data Center."""
        return self.deployment.lower() == "cloud"

    def now(self) -> datetime:
        """The server's clock now: its `Date` plus the time elapsed here since then."""
        return self.date + timedelta(seconds=time.monotonic() - self.received)


def classify(exc: BaseException) -> Failure | None:
    """How the retry layer sees a library or transport exception."""
    if isinstance(exc, JIRAError) and exc.status_code is not None:
        headers = dict(exc.response.headers) if exc.response is not None else {}
        remaining = headers.get("X-RateLimit-Remaining")
        return Failure(exc.status_code, headers, rate_limited=remaining == "0")
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return Failure(None)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Failure(None)  # the answer was cut off: as good as none
    return None


class JiraClient:
    """One authenticated session to one Jira; counts the requests it makes."""

    def __init__(
        self,
        *,
        system: str,
        url: str,
        credentials: tuple[str, str] | str,
        auth_hint: str,
        timeout: float,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.system = system
        self.url = url.rstrip("/")
        self.auth_hint = auth_hint
        self.policy = policy
        self.requests = 0
        self.last_headers: Mapping[str, str] = {}
        self._info: ServerInfo | None = None
        auth: dict[str, Any] = (
            {"basic_auth": credentials}
            if isinstance(credentials, tuple)
            else {"token_auth": credentials}
        )
        # get_server_info=False: no request at construction; we read serverInfo ourselves
        # (once per run) because we need its Date header too.
        self.jira = JIRA(
            server=self.url, get_server_info=False, max_retries=0, timeout=timeout, **auth
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self.jira.close()

    @property
    def known_info(self) -> ServerInfo | None:
        """serverInfo if this client read (or adopted) it, else None."""
        return self._info

    def adopt(self, info: ServerInfo) -> None:
        """Take serverInfo as an earlier client of this process read it: its clock runs
        on from that answer (`ServerInfo.now`), so it need not be asked again."""
        self._info = info

    def server_info(self) -> ServerInfo:
        """`GET /serverInfo`, once per client: deployment type and the server clock."""
        if self._info is None:
            data, headers = self.get("serverInfo")
            self._info = ServerInfo(
                deployment=str(data.get("deploymentType") or "Server"),
                version=str(data.get("version") or ""),
                base_url=str(data.get("baseUrl") or self.url),
                date=_server_clock(data, headers),
                received=time.monotonic(),
                title=str(data.get("serverTitle") or ""),
            )
        return self._info

    def get(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, Mapping[str, str]]:
        """GET a REST path (relative to `/rest/api/2/`): (JSON, headers)."""
        url = self.jira._get_url(path)  # noqa: SLF001 - the library's own URL builder
        return self._send(lambda: self.jira._session.get(url, params=params), url)  # noqa: SLF001

    def post_read(self, path: str, body: Mapping[str, Any]) -> tuple[Any, Mapping[str, str]]:
        """POST that only reads (search): safe to retry."""
        url = self.jira._get_url(path)  # noqa: SLF001
        return self._send(lambda: self.jira._session.post(url, json=dict(body)), url)  # noqa: SLF001

    def write(self, method: str, path: str, body: Mapping[str, Any], *, ref: str) -> Any:
        """One write (POST/PUT) of item `ref`; a PUT is retried on 5xx or a broken
        connection (it sends the same values again), a POST never.

        A refusal of the item (400, 404, 409, ...) is `ItemFailed` naming `ref`; a 5xx or
        lost answer after that is `WriteUnanswered`: the run goes on and the next one
        retries. The engine reconciles a lost create by marker. Only a refused connection
        (nothing was sent) stops the link as unreachable.
        """
        url = self.jira._get_url(path)  # noqa: SLF001 - the library's own URL builder
        session = self.jira._session  # noqa: SLF001 - explicit endpoints, no hidden GETs
        again = repeatable(method)
        try:
            data, _headers = self._send(
                lambda: session.request(method, url, json=dict(body)), url, idempotent=again
            )
        except ConfigError as exc:
            raise ItemFailed(ref, f"{method} {path}: {exc}") from exc
        except Unreachable as exc:
            if exc.reason == "connection refused":
                raise
            note = "after retries" if again else "a write: not repeated"
            raise WriteUnanswered(ref, f"{exc.reason} on {method} {path} ({note})") from exc
        return data

    def _send(
        self, call: Callable[[], requests.Response], url: str, *, idempotent: bool = True
    ) -> tuple[Any, Mapping[str, str]]:
        def counted() -> tuple[requests.Response, Any]:
            self.requests += 1
            response = call()
            # Decoded inside the retried call: a cut-off answer is retried like a 5xx.
            return response, _decoded(response, self.system, url)

        try:
            response, data = call_with_retry(
                counted,
                system=self.system,
                classify=classify,
                idempotent=idempotent,
                policy=self.policy,
            )
        except JIRAError as exc:
            raise self._translate(exc, url) from exc
        except requests.RequestException as exc:
            raise Unreachable(self.system, self.url, _reason(exc)) from exc
        self.last_headers = response.headers
        return data, response.headers

    def _translate(self, exc: JIRAError, url: str) -> Exception:
        status = exc.status_code or 0
        headers = exc.response.headers if exc.response is not None else {}
        # The message text is Jira's own error list; str(exc) would include our headers.
        detail = (exc.text or "").strip()[:300]
        auth_path = url.endswith(("/serverInfo", "/myself"))
        if status == 401 or (
            status == 403 and (auth_path or "X-Authentication-Denied-Reason" in headers)
        ):
            return AuthRefused(self.system, self.url, self.auth_hint)
        if status == 429:
            return RateLimited(self.system, resume_at=headers.get("X-RateLimit-Reset"))
        if status >= 500:
            return Unreachable(self.system, self.url, f"HTTP {status} from {url}: {detail}")
        return ConfigError(f"{self.system}: {url} answered HTTP {status}: {detail}")

    def search(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        cloud: bool,
        properties: Sequence[str] = (),
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """Every issue matching `jql`, page by page (Cloud: nextPageToken, Server: startAt).

        `properties` (≤ 5 issue property keys) come back inline with each issue.
        `max_pages` stops early on purpose (a look at the newest items only).
        """
        pages = self.search_pages(
            jql,
            fields,
            cloud=cloud,
            properties=properties,
            page_size=page_size,
            max_pages=max_pages,
        )
        for page, _more in pages:
            yield from page

    def search_pages(
        self,
        jql: str,
        fields: Sequence[str],
        *,
        cloud: bool,
        properties: Sequence[str] = (),
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> Generator[tuple[list[dict[str, Any]], bool], None, None]:
        """`search` page by page: (issues, whether another page follows)."""
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
        if properties:
            body["properties"] = list(properties)
        if cloud:
            return self._token_pages(body, max_pages)
        return self._offset_pages(body, max_pages)

    def _token_pages(
        self, body: dict[str, Any], max_pages: int
    ) -> Generator[tuple[list[dict[str, Any]], bool], None, None]:
        tokens: set[str] = set()
        for _ in range(max_pages):
            data, _headers = self.post_read("search/jql", body)
            token = data.get("nextPageToken") if isinstance(data, dict) else None
            more = bool(token) and data.get("isLast") is not True
            yield _issues(data, self.system), more
            if not more:
                return
            if token in tokens:
                raise MalformedData(self.system, f"search repeated nextPageToken {token!r}")
            tokens.add(str(token))
            body["nextPageToken"] = token
        if max_pages == MAX_PAGES:
            raise MalformedData(self.system, f"search did not end after {MAX_PAGES} pages")

    def _offset_pages(
        self, body: dict[str, Any], max_pages: int
    ) -> Generator[tuple[list[dict[str, Any]], bool], None, None]:
        start = 0
        for _ in range(max_pages):
            data, _headers = self.post_read("search", {**body, "startAt": start})
            issues = _issues(data, self.system)
            start += len(issues)
            more = bool(issues) and start < int(data.get("total") or 0)
            yield issues, more
            if not more:
                return
        if max_pages == MAX_PAGES:
            raise MalformedData(self.system, f"search did not end after {MAX_PAGES} pages")

    def comments(self, key: str, start: int) -> list[dict[str, Any]]:
        """The comments of `key` from `start` on (when the inline page was cut short)."""
        found: list[dict[str, Any]] = []
        while True:
            params = {"startAt": start + len(found), "maxResults": PAGE_SIZE}
            data, _headers = self.get(f"issue/{key}/comment", params)
            page = data.get("comments") or []
            found.extend(page)
            if not page or start + len(found) >= int(data.get("total") or 0):
                return found


def _decoded(response: requests.Response, system: str, url: str) -> Any:
    try:
        return response.json() if response.content else {}
    except ValueError as exc:
        raise GarbledAnswer(system, f"{url} did not answer JSON") from exc


def _issues(data: Any, system: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
        raise MalformedData(system, "search answer has no `issues` list")
    return data["issues"]


def _server_clock(data: Mapping[str, Any], headers: Mapping[str, str]) -> datetime:
    """The server's clock: `serverTime` (milliseconds) if sent, else the `Date` header."""
    server_time = data.get("serverTime")
    if isinstance(server_time, str) and server_time:
        return parse_time(server_time).astimezone(UTC)
    value = headers.get("Date")
    if not value:
        # Without either there is no server clock; the data's own `updated` values still
        # carry the cursor, this only sizes the first overlap window.
        return datetime.now(UTC)
    # Two Date headers arrive joined by a comma; the last one is the application's.
    last = value.split("GMT,")[-1].strip()
    try:
        return parsedate_to_datetime(last).astimezone(UTC)
    except (TypeError, ValueError) as exc:
        raise MalformedData("jira", f"Date header {value!r}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return f"{type(exc).__name__}: {text[:200]}"
