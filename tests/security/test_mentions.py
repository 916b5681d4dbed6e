"""Mirrored text never pings anyone or cross-references an unrelated issue, even at the edges.

GitHub finds `@login`, `#1`, `GH-1`, `owner/repo#1` and issue URLs in the *rendered* text
(outside code and `pre`), so the checker renders the Markdown that would be posted
(mistletoe, CommonMark plus tables) and searches each HTML text node, link text and link
targets included. Every case goes through the real path: Jira wiki → Markdown → `carry`
(bodies and comment bodies alike), the comment header, and cuts of long bodies.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import mistletoe
import pytest
from builders import GITHUB, make_link

from trackersync.connectors.github.mapping import comment_text
from trackersync.connectors.jira import markup as jira_markup
from trackersync.sync.link import carry
from trackersync.sync.model import Origin

URL = "https://jira.example/browse/WEB-1"
LIVE = [
    re.compile(r"(?:^|[^A-Za-z0-9_])[@\uff20\ufe6b][A-Za-z0-9]"),
    re.compile(r"(?:^|[^A-Za-z0-9_])#\d"),
    re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#\d"),
    re.compile(r"(?:^|[^A-Za-z0-9_])GH-\d", re.IGNORECASE),
    re.compile(
        r"github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/(?:issues|pull|discussions)/\d", re.IGNORECASE
    ),
]


class _Texts(HTMLParser):
    """The text nodes GitHub would search: everything outside `code` and `pre`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.code_depth = 0
        self.nodes: list[str] = []
        self.current: list[str] = []

    def _flush(self) -> None:
        if self.current:
            self.nodes.append("".join(self.current))
            self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if tag in ("code", "pre"):
            self.code_depth += 1
        self.nodes.extend(value or "" for name, value in attrs if name in ("href", "src"))

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag in ("code", "pre"):
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self.current.append(data)


def live_links(markdown: str) -> list[str]:
    """The mentions and references GitHub would link in `markdown`."""
    parser = _Texts()
    parser.feed(mistletoe.markdown(markdown))
    parser.close()
    parser._flush()  # noqa: SLF001 - the last text node
    return [hit[0] for node in parser.nodes for pattern in LIVE for hit in pattern.finditer(node)]


def to_github(markdown: str, limit: int | None = None) -> str:
    side = GITHUB if limit is None else replace(GITHUB, text_limit=limit)
    body, _warnings = carry("body", markdown, make_link(target=side), "source", side, URL)
    return str(body)


# (id, text as it arrives from Jira or as Markdown). Each goes through every path below.
HOSTILE = [
    pytest.param("@user", id="plain"),
    pytest.param("\\@user", id="backslash"),
    pytest.param("`@user", id="lone-backtick"),
    pytest.param("a `b` `@user", id="lone-backtick-after-span"),
    pytest.param("a/@user", id="after-slash"),
    pytest.param("_@user_", id="emphasis-underscore"),
    pytest.param("*@user*", id="emphasis-star"),
    pytest.param("**@user**", id="strong"),
    pytest.param("~~@user~~", id="strikethrough"),
    pytest.param("(@user)", id="parenthesis"),
    pytest.param("[@user]", id="bracket"),
    pytest.param("[@user](https://example.com)", id="link-text"),
    pytest.param("[x](https://example.com)@user", id="after-link"),
    pytest.param("~@user", id="tilde"),
    pytest.param("\u200b@user", id="zero-width-before"),
    pytest.param("\u2060@user", id="word-joiner-before"),
    pytest.param("é@user", id="non-ascii-letter-before"),
    pytest.param("\uff20user", id="full-width-at"),
    pytest.param("\ufe6buser", id="small-at"),
    pytest.param("&#64;user", id="entity-decimal"),
    pytest.param("&#064;user", id="entity-zero-padded"),
    pytest.param("&#x40;user", id="entity-hex"),
    pytest.param("&commat;user", id="entity-named"),
    pytest.param("@org/team", id="team"),
    pytest.param("# @user", id="heading"),
    pytest.param("> @user", id="quote"),
    pytest.param("- @user", id="list-item"),
    pytest.param("| a | b |\n|---|---|\n| @user | x |", id="table-cell"),
    pytest.param("| a |\n|---|\n| `x | @user` |", id="table-pipe-splits-code"),
    pytest.param("```x``` @user", id="inline-triple-backticks"),
    pytest.param("```\ncode\n   ```\n@user", id="indented-closing-fence"),
    pytest.param("``@user`", id="unequal-backtick-runs"),
    pytest.param("`a\n\n@user`", id="span-across-paragraphs"),
    pytest.param("`a\n# @user\n`", id="span-across-heading"),
    pytest.param("\\`@user`", id="escaped-span-opener"),
    pytest.param("x\\\\`@user", id="escaped-backslash-then-lone-backtick"),
    pytest.param("<b>@user</b>", id="inside-html"),
    pytest.param("[~user] @user {html}<b>@x</b>{html}", id="jira-mention-and-html"),
    pytest.param("#1", id="issue-number"),
    pytest.param("see #12, (#3)", id="issue-numbers-in-prose"),
    pytest.param("GH-1 and gh-2", id="gh-prefix"),
    pytest.param("owner/repo#1", id="cross-repo"),
    pytest.param("_#1_", id="number-in-emphasis"),
    pytest.param("&#35;1 and &num;2", id="number-entities"),
    pytest.param("https://github.com/acme/web/issues/1", id="issue-url"),
    pytest.param("[x](https://github.com/acme/web/pull/2)", id="pr-url-in-link"),
    pytest.param("[#1](https://example.com)", id="number-in-link-text"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_carried_to_github_links_nobody(text: str) -> None:
    assert live_links(text), "the case must be live before neutralising"
    assert live_links(to_github(text)) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_jira_text_mirrored_to_github_links_nobody(text: str) -> None:
    assert live_links(to_github(jira_markup.to_markdown(text))) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_mirrored_comment_links_nobody_in_header_or_body(text: str) -> None:
    origin = Origin(
        ref="jira:WEB#WEB-1", url=URL, system="Jira", comment_id="1", author=f"Pat {text}"
    )
    assert live_links(comment_text(to_github(text), origin)) == []


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "wrap", [("`", "`"), ("```\n", "\n```"), ("~~~~\n", "\n~~~~")], ids=["span", "fence", "tilde"]
)
def test_a_cut_inside_code_leaves_nothing_live(text: str, wrap: tuple[str, str]) -> None:
    opening, closing = wrap
    body = "x " * 40 + opening + f"{text} " * 60 + closing + " tail"
    for limit in range(150, 400, 37):
        cut = to_github(body, limit)
        assert len(cut) <= limit
        assert live_links(cut) == [], limit


def test_code_keeps_its_text_and_e_mail_addresses_stay_whole() -> None:
    text = "mail pat@example.com\n\n```\n@decorator #1\n```\n\n`@user` and @user"
    out = to_github(text)
    assert "pat@example.com" in out
    assert "```\n@decorator #1\n```" in out
    assert "`@user` and @\u200buser" in out


def test_neutralising_twice_changes_nothing() -> None:
    once = to_github("@user #1 GH-2 <b> https://github.com/a/b/issues/3")
    assert to_github(once) == once


# Markdown → Jira wiki: link and image targets that must not become live.
UNSAFE_TARGETS = [
    pytest.param("[x](javascript:alert(1))", id="javascript-link"),
    pytest.param("![](javascript:alert(1))", id="javascript-image"),
    pytest.param("[x](JavaScript:alert(1))", id="mixed-case"),
    pytest.param("[x](java\tscript:alert(1))", id="tab-in-scheme"),
    pytest.param("[x](<java\nscript:alert(1)>)", id="newline-in-scheme"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD4=)", id="data"),
    pytest.param("[x](vbscript:msgbox)", id="vbscript"),
    pytest.param("![a](data:image/svg+xml,<svg onload=alert(1)>)", id="data-image"),
    pytest.param("<javascript:alert(1)>", id="autolink"),
    pytest.param("![a](https://x/a.png!{html}<b>x</b>{html}!)", id="image-breakout"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", id="reference-link"),
]
LIVE_WIKI_LINK = re.compile(
    r"(?<!\\)\[[^\]\n]*?(?<!\\)\|?\s*(?:javascript|data|vbscript)\s*:"
    r"|(?<!\\)!\s*(?:javascript|data|vbscript)\s*:"
    r"|(?<!\\)\[\s*(?:javascript|data|vbscript)\s*:"
    r"|(?<!\\)\{html",
    re.IGNORECASE,
)


@pytest.mark.parametrize("md", UNSAFE_TARGETS)
def test_unsafe_link_targets_stay_plain_text_in_jira(md: str) -> None:
    wiki = jira_markup.to_wiki(md)
    assert LIVE_WIKI_LINK.search(wiki) is None, wiki


@pytest.mark.parametrize(
    ("md", "wiki"),
    [
        pytest.param("[x](https://a.b/c)", "[x|https://a.b/c]", id="https"),
        pytest.param("[x](http://a.b)", "[x|http://a.b]", id="http"),
        pytest.param("<mailto:a@b.c>", "[mailto:a@b.c]", id="mailto"),
        pytest.param("![a](https://a.b/i.png)", "!https://a.b/i.png!", id="image"),
    ],
)
def test_web_and_mail_links_stay_links_in_jira(md: str, wiki: str) -> None:
    assert jira_markup.to_wiki(md) == wiki


LIVE_ON_JIRA = re.compile(r"(?<!\\)\[(?:[^\]\n|]*\|)?\s*~|(?<!\\)\{html", re.IGNORECASE)
CODE_BLOCK = re.compile(r"\{(code|noformat)[^}]*\}.*?\{\1\}", re.DOTALL)


@pytest.mark.parametrize("macro", ["{code}", "{code:python}", "{noformat}"])
def test_a_jira_cut_inside_a_code_block_closes_it(macro: str) -> None:
    name = macro.strip("{}").split(":")[0]
    wiki = "intro\n\n" + macro + "\n" + "[~pat] {html}<b>x</b>{html}\n" * 200 + "{" + name + "}"
    for limit in range(300, 1200, 97):
        cut = jira_markup.fit(wiki, limit, "\n\n_(cut)_")
        assert len(cut) <= limit
        outside = CODE_BLOCK.sub("", cut)
        assert LIVE_ON_JIRA.search(outside) is None, limit
        assert outside.count("{code") == outside.count("{noformat") == 0, limit
