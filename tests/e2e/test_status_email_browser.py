"""The status mail: written by the CLI as a .eml file, its HTML rendered in Chromium."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from cli_runner import run_cli
from status_fixtures import find_chromium, release_document, run_chromium, screenshot

from trackersync.report.mail import message

CONFIG = """\
state: sqlite:///state.db
connectors:
  gh:
    type: github
    token_env: GITHUB_TOKEN
    repos: [acme/web]
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.fixture
def mail_page(tmp_path: Path) -> Path:
    """The HTML part of the release mail, as a mail client would get it."""
    mail = message_from_bytes(bytes(message(release_document())), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    part = mail.get_body(("html",))
    assert part is not None
    path = tmp_path / "mail.html"
    path.write_text(str(part.get_content()), encoding="utf-8")
    return path


def test_status_format_email_writes_a_mime_message(tmp_path: Path) -> None:
    (tmp_path / "trackersync.yaml").write_text(CONFIG)
    result = run_cli("status", "--format", "email", "-o", "report.eml", cwd=tmp_path)
    assert result.code == 0, result.stderr
    mail = message_from_bytes((tmp_path / "report.eml").read_bytes(), policy=policy.default)
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Status: 0 work items, 0 done"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_chromium_renders_the_mail_with_its_burn_up_table(
    chromium: str, mail_page: Path, tmp_path: Path
) -> None:
    dom = run_chromium(chromium, tmp_path, "--dump-dom", mail_page.as_uri()).stdout
    text = re.sub(r"<[^>]+>", "", dom)
    assert "At risk: 1 blocked item; 1 overdue item;" in text
    assert "11/28" in text  # today's row of the burn-up table
    assert "<svg" not in dom
    assert "&lt;script&gt;document.title" in dom  # the hostile title is text
    assert "<title>Status: Release 2.0 at risk" in dom  # no script changed it


@pytest.mark.parametrize(("name", "width"), [("phone", 390), ("desk", 1280)])
def test_mail_screenshots_are_taken(
    chromium: str, mail_page: Path, tmp_path: Path, name: str, width: int
) -> None:
    data = screenshot(chromium, tmp_path, mail_page, f"mail-{name}", width)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == width
    assert len(data) > 20_000  # bars, text and cards: far more than a blank page
