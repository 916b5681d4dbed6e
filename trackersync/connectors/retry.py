"""The one retry layer: which failures are retried, how long to wait, when to give up.

Both client libraries can retry on their own (PyGithub's `GithubRetry`, jira's
`ResilientSession`); connectors switch those off so attempts never multiply, and wrap
every call in `call_with_retry` instead. A connector supplies `classify`, which turns its
library's exception into a `Failure` (status + headers) or None for "not a transport
failure, don't retry".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeVar

import tenacity

from trackersync.errors import GarbledAnswer, RateLimited

T = TypeVar("T")


class Decision(StrEnum):
    """What to do about a failed request."""

    RETRY = "retry"
    FAIL = "fail"


@dataclass(frozen=True)
class Failure:
    """A failed request as the retry layer sees it; status None = no HTTP answer."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    rate_limited: bool = False

    def header(self, name: str) -> str | None:
        """A header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


# Status -> decision, for requests that are safe to repeat. A POST that may have been
# applied before the connection broke is never retried here: creates are made idempotent
# by markers and reconciled on the next run instead.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Writes whose repetition leaves the same result as one success: the same values sent
# again (PUT and PATCH of an item's fields, a property, a comment's text). POST creates
# and transitions are not among them.
REPEATABLE_WRITES = frozenset({"PUT", "PATCH", "DELETE"})


def repeatable(method: str) -> bool:
    """Whether a request with this HTTP method may be retried after a 5xx or no answer."""
    return method.upper() in REPEATABLE_WRITES | {"GET", "HEAD"}


def decide(failure: Failure, *, idempotent: bool) -> Decision:
    """Retry connection errors, 429, 5xx and rate-limit 403s; fail everything else."""
    if failure.status is None:
        return Decision.RETRY if idempotent else Decision.FAIL
    if failure.rate_limited or failure.status == 429:
        return Decision.RETRY
    if failure.status in RETRYABLE_STATUSES:
        return Decision.RETRY if idempotent else Decision.FAIL
    return Decision.FAIL


def failure_of(
    exc: BaseException, classify: Callable[[BaseException], Failure | None]
) -> Failure | None:
    """The connector's view of `exc`; an answer cut off or not JSON counts as no answer
    (retried when the request is safe to repeat, like a 5xx)."""
    if isinstance(exc, GarbledAnswer):
        return Failure(None)
    return classify(exc)


def server_wait(failure: Failure, now: datetime) -> float | None:
    """Seconds the server asked us to wait: `Retry-After`, else the rate-limit reset."""
    retry_after = failure.header("Retry-After")
    if retry_after:
        if retry_after.strip().isdigit():
            return float(retry_after)
        try:
            return max(0.0, (parsedate_to_datetime(retry_after) - now).total_seconds())
        except (TypeError, ValueError):
            return None
    reset = failure.header("X-RateLimit-Reset")
    if reset and (failure.rate_limited or failure.status == 429):
        return _seconds_until_reset(reset, now)
    return None


def _seconds_until_reset(reset: str, now: datetime) -> float | None:
    # GitHub sends epoch seconds, Jira Cloud an ISO 8601 instant.
    try:
        moment = (
            datetime.fromtimestamp(int(reset), UTC)
            if reset.strip().isdigit()
            else datetime.fromisoformat(reset.replace("Z", "+00:00"))
        )
    except ValueError:
        return None
    return max(0.0, (moment - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, backoff and the longest wait worth sleeping through."""

    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    max_wait: float = 60.0
    sleep: Callable[[float], None] = tenacity.nap.sleep


def call_with_retry(
    call: Callable[[], T],
    *,
    system: str,
    classify: Callable[[BaseException], Failure | None],
    idempotent: bool = True,
    policy: RetryPolicy | None = None,
) -> T:
    """Run `call`, retrying transport failures by the policy above.

    A wait longer than `policy.max_wait` (an exhausted hourly budget) raises `RateLimited`
    so the cycle stops cleanly and the next run resumes. Other failures re-raise the
    library's own exception for the connector to translate.
    """
    policy = policy or RetryPolicy()

    def should_retry(state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return False
        failure = failure_of(exc, classify)
        return failure is not None and decide(failure, idempotent=idempotent) is Decision.RETRY

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        failure = failure_of(exc, classify) if exc is not None else None
        asked = server_wait(failure, datetime.now(UTC)) if failure else None
        if asked is not None and asked > policy.max_wait:
            reset = failure.header("X-RateLimit-Reset") if failure else None
            raise RateLimited(system, resume_at=reset) from exc
        exponential = policy.backoff * 2 ** (state.attempt_number - 1)
        return asked if asked is not None else min(policy.backoff_max, exponential)

    retrying = tenacity.Retrying(
        sleep=policy.sleep,
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=wait,
        retry=should_retry,
        reraise=True,
    )
    return retrying(call)
