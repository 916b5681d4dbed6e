"""`status --format email`: a MIME message whose HTML mail clients render as it is."""

from __future__ import annotations

from email import message_from_string, policy
from email.message import EmailMessage

import pytest
from status_fixtures import HOSTILE_TITLE, Tags, release_document

from trackersync.report.mail import BURNUP_ROWS, message


@pytest.fixture(scope="module")
def parsed() -> EmailMessage:
    """The message as a mail client reads it back from the .eml file."""
    text = message(release_document()).as_string()
    mail = message_from_string(text, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_it_is_multipart_alternative_with_text_and_html(parsed: EmailMessage) -> None:
    assert parsed.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in parsed.iter_parts()]
    assert types == ["text/plain", "text/html"]
    assert parsed["Subject"] == (
        "Status: Release 2.0 at risk (39.3% done); Hotfix 2.0.1 <i>urgent</i> off track (0% done)"
    )
    assert parsed["Date"]
    # Every line stays 7-bit and short: relays neither rewrap nor mangle it.
    raw = parsed.as_string()
    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 78


def test_the_html_has_no_svg_script_style_block_or_external_resource(
    parsed: EmailMessage,
) -> None:
    page = Tags(html_of(parsed))
    tags = {tag for tag, _ in page.tags}
    assert tags.isdisjoint({"svg", "script", "style", "img", "link", "iframe", "object"})
    # Styles are inline: a class means nothing once Gmail drops the <style> block.
    assert all("class" not in attrs for _, attrs in page.tags)
    assert all(not name.startswith("on") for _, attrs in page.tags for name in attrs)
    hrefs = [attrs["href"] or "" for tag, attrs in page.tags if tag == "a"]
    assert hrefs
    assert all(href.startswith("https://") for href in hrefs)


def test_the_burn_up_is_a_table_of_bars(parsed: EmailMessage) -> None:
    page = Tags(html_of(parsed))
    charts = [a for tag, a in page.tags if tag == "table" and a.get("aria-label") == "Burn-up"]
    assert [chart["role"] for chart in charts] == ["presentation"] * 2  # one per milestone
    text = "".join(page.text)
    # The release's last 14 days and the hotfix's one day, each with its done/total.
    assert text.count("Nov") >= BURNUP_ROWS
    assert "11/28" in text
    green = [a for tag, a in page.tags if tag == "td" and a.get("bgcolor") == "#1f883d"]
    assert len(green) == BURNUP_ROWS  # the hotfix has nothing done: no green cell


def test_titles_are_text_and_only_web_urls_are_links(parsed: EmailMessage) -> None:
    page = Tags(html_of(parsed))
    assert HOSTILE_TITLE in "".join(page.text)
    assert "javascript:" not in html_of(parsed)


def test_the_text_part_says_the_same_with_links_written_out(parsed: EmailMessage) -> None:
    part = parsed.get_body(("plain",))
    assert part is not None
    text = str(part.get_content())
    assert "At risk: 1 blocked item; 1 overdue item;" in text
    assert "Forecast: 0.64 done/day over the last 14 days → 17 Dec." in text
    assert (
        "- Web task 13: make the checkout page faster (acme/web#13) "
        "<https://example.com/gh:acme/web#13>"
    ) in text
    assert "Scope since the first rollup: +4 / −1." in text
    assert "- removed: gh:acme/web#99" in text
    assert "Work items in all scopes: 29" in text
