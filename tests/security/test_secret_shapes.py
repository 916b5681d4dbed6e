"""Secret-shaped text is masked wherever trackersync shows or stores it. A new shape is one
row: (id, text as a tracker or a user might produce it, the secret that must vanish, what
must stay readable)."""

from __future__ import annotations

import pytest

from trackersync.errors import ItemFailed, Unreachable
from trackersync.redact import redact, redact_json

GH_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
FINE_GRAINED = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
ATLASSIAN = "ATATT3xFfGF0" + "T5mK9Qw_Zr-x8Yb2=ABCD1234"

SECRETS = [
    ("url-user-password", "cannot reach http://bot:pw@host/api/v3: refused", "bot:pw", "http://"),
    ("url-token-as-user", f"https://{GH_TOKEN}@github.example/api", GH_TOKEN, "github.example"),
    ("postgres-url", "postgresql+psycopg://ts:hunter2@db:5432/ts down", "hunter2", "db:5432"),
    ("auth-header-text", "echo: Authorization: Basic dXNlcjpwYXNzd29yZA==\nHost: x", "dXNlcjpwYXNzd29yZA", "Host: x"),
    ("auth-header-json", '{"headers": {"Authorization": "token s3cr3t-value", "Accept": "json"}}', "s3cr3t-value", '"Accept": "json"'),
    ("auth-header-repr", "{'authorization': 'Bearer abc.def.ghi', 'user-agent': 'x'}", "abc.def.ghi", "user-agent"),
    ("proxy-authorization", "Proxy-Authorization: Basic Zm9vOmJhcg==", "Zm9vOmJhcg", "Proxy-"),
    ("bearer-outside-header", "sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.x1 and failed", "eyJhbGciOiJIUzI1NiJ9", "and failed"),
    ("github-classic", f"bad token {GH_TOKEN} given", GH_TOKEN, "given"),
    ("github-oauth", "gho_" + "Z" * 36, "gho_" + "Z" * 36, ""),
    ("github-fine-grained", f"token={FINE_GRAINED};", FINE_GRAINED, "token="),
    ("atlassian", f"jira said: {ATLASSIAN} is invalid", ATLASSIAN, "is invalid"),
]

PROSE = [
    "the token in $GITHUB_TOKEN may not access this (Resource not accessible)",
    "Basic authentication is off on this server",
    "check the name in the config and the token's access",
    "http://127.0.0.1:9/api/v3: connection refused",
]


@pytest.mark.parametrize(("text", "secret", "kept"), [pytest.param(*row[1:], id=row[0]) for row in SECRETS])
def test_secret_shapes_are_masked(text: str, secret: str, kept: str) -> None:
    masked = redact(text)
    assert secret not in masked
    assert "***" in masked
    assert kept in masked


@pytest.mark.parametrize("text", PROSE)
def test_prose_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("text", "secret", "kept"), [pytest.param(*row[1:], id=row[0]) for row in SECRETS])
def test_error_messages_and_records_never_carry_them(text: str, secret: str, kept: str) -> None:
    assert secret not in str(ItemFailed("gh:acme/web#1", text))
    assert secret not in str(Unreachable("github", text, text))
    assert secret not in str(redact_json({"links": {"web": {"errors": [text]}}}))
