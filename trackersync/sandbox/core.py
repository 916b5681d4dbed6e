"""What both sandbox servers share: the clock, the request log, fault knobs, the server.

The sandbox apps are plain WSGI applications (Werkzeug routing and request parsing) served
on 127.0.0.1 from a background thread, so a test or `trackersync demo --serve` can start
one in a line and the real PyGithub and `jira` clients can talk to it over HTTP.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import TracebackType
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FAULT_KEY = "sandbox.fault"  # set in a request's environ when a fault knob answered it

ExchangeObserver = Callable[["SandboxApp", Request, Response], None]
_observers: list[ExchangeObserver] = []


@contextmanager
def observing(observer: ExchangeObserver) -> Iterator[None]:
    """Show `observer` every request any sandbox answers, with its answer, while inside.

    Off unless a caller asks: the test suite installs the API-description referee here
    (tests/spec_referee.py); the demo and the benchmarks run without any observer.
    """
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


class SandboxClock:
    """The server's own clock: real time plus an offset, strictly increasing per change.

    `stamp()` hands out the timestamp of a change, one `resolution` after the previous one
    at least, so every change has a distinct time and a test can edit in a tight loop.
    When stamps would run ahead of real time the whole clock jumps forward, so `now()`
    (sent as the `Date` header) never lags behind the data it serves.
    """

    def __init__(
        self, offset: timedelta = timedelta(0), resolution: timedelta = timedelta(seconds=1)
    ) -> None:
        self.offset = offset
        self.resolution = resolution
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The server time now (UTC, aware)."""
        return datetime.now(UTC) + self.offset

    def stamp(self) -> datetime:
        """A fresh change timestamp, truncated to `resolution` and after every earlier one."""
        with self._lock:
            now = self._truncate(self.now())
            if self._last is not None and now <= self._last:
                target = self._last + self.resolution
                self.offset += target - now
                now = target
            self._last = now
            return now

    def advance(self, delta: timedelta) -> None:
        """Move the server clock forward (e.g. to make items stale)."""
        with self._lock:
            self.offset += delta

    def _truncate(self, moment: datetime) -> datetime:
        step = int(self.resolution.total_seconds() * 1_000_000)
        micros = moment.microsecond + moment.second * 1_000_000
        return moment.replace(second=0, microsecond=0) + timedelta(
            microseconds=micros - micros % step
        )


@dataclass(frozen=True)
class RequestRecord:
    """One request the sandbox answered."""

    method: str
    path: str
    query: str
    status: int
    write: bool


class RequestLog:
    """Every request answered, for tests and benchmarks that count API cost."""

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        """Append one answered request."""
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        """A copy of every record so far."""
        with self._lock:
            return list(self._records)

    def mark(self) -> int:
        """A position to count from later with `since(mark)`."""
        with self._lock:
            return len(self._records)

    def since(self, mark: int = 0) -> list[RequestRecord]:
        """The records after `mark`."""
        with self._lock:
            return self._records[mark:]

    @property
    def reads(self) -> int:
        """How many read requests were answered."""
        return sum(1 for r in self.records if not r.write)

    @property
    def writes(self) -> int:
        """How many write requests were answered."""
        return sum(1 for r in self.records if r.write)

    def count(
        self, method: str | None = None, path_prefix: str = "", status: int | None = None
    ) -> int:
        """Requests matching a method, a path prefix and a status (each optional)."""
        return sum(
            1
            for r in self.records
            if (method is None or r.method == method)
            and r.path.startswith(path_prefix)
            and (status is None or r.status == status)
        )

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()


@dataclass
class Faults:
    """Fault knobs; all off by default. Change them at any time, even while serving."""

    latency: float = 0.0
    throttle_every: int = 0
    retry_after: int = 1
    error_rate: float = 0.0
    error_status: int = 502
    seed: int = 0
    secondary_limit: int = 0
    pause_after_writes: int = 0
    # The next `garbled_next` requests are answered 200 with `garbled_body`: an answer cut
    # off mid-JSON (a proxy or a dropped connection), or not JSON at all.
    garbled_next: int = 0
    garbled_body: str = '{"message": "cut off mid-'
    # The next `echo_next` requests are refused (400) with an error body that quotes the
    # request's headers, credentials included, as some proxies and servers do.
    echo_next: int = 0
    # Transient write failures, off by default: the next `failed_writes` writes answer
    # `error_status` unapplied; the next `lost_answers` successful writes are applied and
    # then answered `error_status` (a gateway giving up after the server did the work).
    failed_writes: int = 0
    lost_answers: int = 0
    paused: threading.Event = field(default_factory=threading.Event, repr=False)
    release: threading.Event = field(default_factory=threading.Event, repr=False)
    _counter: int = field(default=0, repr=False)
    _writes: int = field(default=0, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    def after_write(self) -> None:
        """Hold the response of write number `pause_after_writes` until `release` is set.

        The write is already applied on the server: a test can kill the client here, in
        the window where a create happened but the client never heard of it.
        """
        self._writes += 1
        if self.pause_after_writes and self._writes == self.pause_after_writes:
            self.paused.set()
            self.release.wait(timeout=60)

    def spoil_write(self, knob: str) -> Response | None:
        """The error for a write when knob `failed_writes` or `lost_answers` is still set."""
        left = int(getattr(self, knob))
        if left <= 0:
            return None
        setattr(self, knob, left - 1)
        return json_response({"message": "Server error"}, self.error_status)

    def next_fault(self, request: Request | None = None) -> Response | None:
        """The fault to answer this request with, or None to serve it normally."""
        if self.latency:
            time.sleep(self.latency)
        self._counter += 1
        if self.throttle_every and self._counter % self.throttle_every == 0:
            return json_response(
                {"message": "Too many requests"},
                429,
                headers={"Retry-After": str(self.retry_after)},
            )
        if self.error_rate and self._random.random() < self.error_rate:
            return json_response({"message": "Server error"}, self.error_status)
        if self.garbled_next > 0:
            self.garbled_next -= 1
            return Response(self.garbled_body, status=200, mimetype="application/json")
        if self.echo_next > 0 and request is not None:
            self.echo_next -= 1
            sent = ", ".join(f"{name}: {value}" for name, value in request.headers.items())
            message = f"Bad request; you sent {sent}"
            return json_response({"message": message, "errorMessages": [message]}, 400)
        return None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the given status and headers."""
    body = json.dumps(data, separators=(",", ":")) if data is not None else ""
    response = Response(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_date(moment: datetime) -> str:
    """RFC 7231 date, as servers send in `Date`."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class SandboxApp:
    """Base WSGI app: routing, auth hook, faults, `Date` header, request log, one lock.

    Subclasses set `url_map` (endpoints are method names), implement `authenticate`, and
    list in `read_only_posts` the POST endpoints that only read (e.g. Jira's search).
    """

    url_map: Map
    read_only_posts: frozenset[str] = frozenset()

    def __init__(self, clock: SandboxClock | None = None, faults: Faults | None = None) -> None:
        self.clock = clock or SandboxClock()
        self.faults = faults or Faults()
        self.log = RequestLog()
        self.lock = threading.RLock()

    def authenticate(self, request: Request) -> Response | None:
        """Return an error response when the request's credentials are wrong."""
        raise NotImplementedError

    def pre_dispatch(self, request: Request, endpoint: str) -> Response | None:  # noqa: ARG002
        """A hook for system-specific refusals (e.g. GitHub's secondary rate limit)."""
        return None

    def finish(self, request: Request, response: Response) -> Response:  # noqa: ARG002
        """A hook to add system-specific headers to every response."""
        return response

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = Request(environ)
        response, endpoint = self._respond(request)
        response.headers["Date"] = http_date(self.clock.now())
        response = self.finish(request, response)
        for observer in list(_observers):
            observer(self, request, response)
        write = request.method in WRITE_METHODS and endpoint not in self.read_only_posts
        if write and response.status_code < 400:
            self.faults.after_write()
        self.log.add(
            RequestRecord(
                request.method,
                request.path,
                request.query_string.decode("latin-1"),
                response.status_code,
                write,
            )
        )
        return response(environ, start_response)

    def _respond(self, request: Request) -> tuple[Response, str]:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return json_response({"message": "Not Found"}, 404), ""
        except HTTPException as exc:
            return json_response({"message": exc.description}, exc.code or 400), ""
        write = request.method in WRITE_METHODS and endpoint not in self.read_only_posts
        fault = self.faults.next_fault(request)
        if fault is None and write:
            fault = self.faults.spoil_write("failed_writes")
        if fault is not None:
            request.environ[FAULT_KEY] = True
        fault = fault or self.authenticate(request)
        if fault is None:
            fault = self.pre_dispatch(request, str(endpoint))
        if fault is not None:
            return fault, str(endpoint)
        with self.lock:
            response = getattr(self, str(endpoint))(request, **args)
        applied = write and response.status_code < 400
        lost = self.faults.spoil_write("lost_answers") if applied else None
        if lost is not None:
            request.environ[FAULT_KEY] = True
            return lost, str(endpoint)
        return response, str(endpoint)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the request log is what tests read), and no `Date` header
    of its own: the app sends its clock's, which tests move to simulate clock skew."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Say nothing."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line and `Server`, without the real-time `Date`."""
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())


class SandboxServer:
    """Serves a sandbox app on 127.0.0.1 (port 0 = any free port) from a thread."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        # A short poll interval keeps shutdown (once per test) fast.
        self._thread = threading.Thread(
            target=lambda: self._server.serve_forever(poll_interval=0.05), daemon=True
        )

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> SandboxServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
