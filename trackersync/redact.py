"""Secrets out of everything trackersync shows or stores.

Applied where text leaves the process: every error message (errors.py), every line on
stderr (the CLI) and every run record (the state store). A tracker that echoes our
request headers in an error body, or a URL with credentials in it, must not put a token
into a terminal, a log collector or the runs table.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

# (pattern, replacement): each a shape a secret takes in text. Order matters: a whole
# `Authorization:` value goes first, so its scheme word is not matched on its own.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ (or a token as the user) in any URL
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE), rf"\1{MASK}@"),
    # Authorization / Proxy-Authorization headers echoed as text, JSON or a Python repr
    (
        re.compile(r"""(authorization['"]?\s*[:=]\s*['"]?)[^'"\r\n,}]+""", re.IGNORECASE),
        rf"\1{MASK}",
    ),
    # Bearer / Basic credentials outside a header (a value, not a word of prose: it has a
    # digit or base64 padding)
    (
        re.compile(r"\b(Bearer|Basic)\s+(?=[\w.~+/=-]*[0-9=])[\w.~+/=-]{8,}", re.IGNORECASE),
        rf"\1 {MASK}",
    ),
    # GitHub tokens: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{16,}"), MASK),
    # Atlassian API tokens
    (re.compile(r"\bATATT[A-Za-z0-9_=-]{16,}"), MASK),
)


def redact(text: str) -> str:
    """`text` with every secret-shaped part replaced by `***`."""
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def redact_json(value: Any) -> Any:
    """`redact` applied to every string (keys too) of a JSON-able value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_json(key): redact_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item) for item in value]
    return value
