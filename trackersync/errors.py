"""Errors ordered by how a user recovers from them; the CLI maps each to an exit code."""

from __future__ import annotations

from trackersync.redact import redact


class TrackersyncError(Exception):
    """Base of every error trackersync raises on purpose.

    Its message is shown, logged and stored in run records, so secrets are masked here,
    once for every subclass (a URL with credentials, an error body echoing our headers).
    """

    exit_code = 1

    def __init__(self, message: str = "") -> None:
        super().__init__(redact(message))


class ConfigError(TrackersyncError):
    """The configuration or the command line is wrong: fix it and rerun (exit 2)."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class Unreachable(TrackersyncError):
    """A system could not be reached (DNS, refused, timeout, 5xx after retries) (exit 3)."""

    exit_code = 3

    def __init__(self, system: str, url: str, reason: str) -> None:
        self.system = system
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"{system}: cannot reach {url}: {reason}")


class AuthRefused(TrackersyncError):
    """A system refused the credentials (401/403 on authentication) (exit 3)."""

    exit_code = 3

    def __init__(self, system: str, url: str, hint: str) -> None:
        self.system = system
        self.url = redact(url)
        self.hint = hint
        super().__init__(f"{system}: {url} refused the credentials: {hint}")


class RateLimited(TrackersyncError):
    """The API budget ran out; the cycle stops cleanly and resumes next run (exit 1)."""

    exit_code = 1

    def __init__(self, system: str, resume_at: str | None = None) -> None:
        self.system = system
        self.resume_at = resume_at
        when = f" until {resume_at}" if resume_at else ""
        super().__init__(f"{system}: API rate limit exhausted{when}; the next run resumes")


class ItemFailed(TrackersyncError):
    """One item could not be handled; the run goes on and reports it (exit 1)."""

    exit_code = 1

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = redact(reason)
        super().__init__(f"{ref}: {reason}")


class WriteUnanswered(ItemFailed):
    """A write answered 5xx, or not at all, after the retries it may have: it may or may
    not have been applied. Only this item fails (exit 1); the link goes on, and a create
    is looked for by its marker before it is sent again."""


class MalformedData(TrackersyncError):
    """A system answered with data that does not have the documented shape (exit 3)."""

    exit_code = 3

    def __init__(self, system: str, what: str) -> None:
        self.system = system
        self.what = what
        super().__init__(f"{system}: unexpected API data: {what}")


class GarbledAnswer(MalformedData):
    """An answer cut off or not JSON at all (a proxy page, a dropped connection).

    Retried like a 5xx by the retry layer; after the last attempt, exit 3 as for any
    malformed answer.
    """


class ScopeNotVisible(ConfigError):
    """A configured repository or project does not exist or the credentials cannot see it:
    the user fixes the name in the config or the token's access (exit 2)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(
            f"{scope}: not found, or not visible with these credentials; "
            "check the name in the config and the token's access"
        )
