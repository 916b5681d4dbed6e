"""Errors ordered by how a user recovers from them; the CLI maps each to an exit code."""

from __future__ import annotations


class TrackersyncError(Exception):
    """Base of every error trackersync raises on purpose."""

    exit_code = 1


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
        self.url = url
        self.reason = reason
        super().__init__(f"{system}: cannot reach {url}: {reason}")


class AuthRefused(TrackersyncError):
    """A system refused the credentials (401/403 on authentication) (exit 3)."""

    exit_code = 3

    def __init__(self, system: str, url: str, hint: str) -> None:
        self.system = system
        self.url = url
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
        self.reason = reason
        super().__init__(f"{ref}: {reason}")


class MalformedData(TrackersyncError):
    """A system answered with data that does not have the documented shape (exit 3)."""

    exit_code = 3

    def __init__(self, system: str, what: str) -> None:
        self.system = system
        self.what = what
        super().__init__(f"{system}: unexpected API data: {what}")
