"""Markdown ↔ Jira wiki: round trips, mentions and macros defused, the guarded grammar."""

from __future__ import annotations

import re

import mistletoe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jira2markdown import convert

from trackersync.connectors.jira import markup


def rendered(md: str) -> str:
    """Markdown as HTML: two texts mean the same when they render the same."""
    return str(mistletoe.markdown(md))


ROUND_TRIPS = {
    "headings": "# One\n\n## Two\n\n### Three\n\ntext",
    "emphasis": "Some *em*, some **strong**, some ~~struck~~ and `code`.",
    "links": "A [link](https://example.com/a?b=c) and <https://auto.example>.",
    "bullets": "- a\n- b\n  - nested\n- c",
    "numbers": "1. one\n2. two\n3. three",
    "code-lang": "```python\ndef f(x):\n    return x * 2  # [~not] {html}\n```",
    "code-plain": "```\nplain *code*\n```",
    "table": "| name | value |\n|---|---|\n| a | 1 |\n| *b* | `2` |",
    "quote": "> quoted text\n\nafter",
    "specials": "well-known 1+1 x^2 ~/path a_b_c {braces} [brackets] and * alone",
    "escaped": "\\*not bold\\* and \\_not em\\_ and \\- not a list",
    "rule": "above\n\n---\n\nbelow",
}


@pytest.mark.parametrize("md", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_markdown_survives_a_round_trip_through_wiki(md: str) -> None:
    back = markup.to_markdown(markup.to_wiki(md))
    assert rendered(back) == rendered(md)


@pytest.mark.parametrize(
    ("md", "wiki"),
    [
        pytest.param("# T", "h1. T", id="heading"),
        pytest.param("**b** *i*", "*b* _i_", id="emphasis"),
        pytest.param("[x](http://a.b)", "[x|http://a.b]", id="link"),
        pytest.param("```sh\nls\n```", "{code:sh}\nls\n{code}", id="code-lang"),
        pytest.param("```\nls\n```", "{noformat}\nls\n{noformat}", id="code-plain"),
        pytest.param("- a\n  - b", "* a\n** b", id="nested-list"),
        pytest.param("| a |\n|---|\n| 1 |", "||a||\n|1|", id="table"),
        pytest.param("", "", id="empty"),
    ],
)
def test_wiki_is_what_jira_expects(md: str, wiki: str) -> None:
    assert markup.to_wiki(md) == wiki


LIVE_MENTION = re.compile(r"(?<!\\)\[(?:[^\]\n|]*\|)?\s*~")
LIVE_HTML = re.compile(r"(?<!\\)\{html", re.IGNORECASE)


def live_parts(wiki: str) -> str:
    """The wiki outside code blocks (where Jira renders mentions and macros)."""
    return re.sub(r"\{(code|noformat)[^}]*\}.*?\{\1\}", "", wiki, flags=re.DOTALL)


@pytest.mark.parametrize(
    "md",
    [
        pytest.param("Hi [~pat] and [~accountid:5b10ac8d82e05b22cc7d4ef5]", id="mentions"),
        pytest.param("[Pat|~pat] and [x](~pat)", id="aliased"),
        pytest.param("{html}<script>alert(1)</script>{html}", id="html-macro"),
        pytest.param("{HTML:x}<img src=x onerror=alert(1)>{HTML}", id="html-upper"),
        pytest.param("<div>\n{html}<b>x</b>{html} [~pat]\n</div>", id="html-block"),
        pytest.param("text <span>[~pat]</span> {html}", id="html-span"),
        pytest.param("`[~pat]` and `{html}x{html}`", id="inline-code"),
        pytest.param("![a]([~pat]) ![b](x{html}y)", id="image"),
        pytest.param("```\n{code}\n[~pat] {html}<b>{html}\n```", id="code-closer-noformat"),
        pytest.param("```js\n{code}\n[~pat] {html}<b>{html}\n```", id="code-closer-code"),
        pytest.param("| [~pat] | {html}<i>{html} |\n|---|---|\n| a | b |", id="table"),
    ],
)
def test_mirrored_text_pings_nobody_and_injects_no_html(md: str) -> None:
    live = live_parts(markup.to_wiki(md))
    assert not LIVE_MENTION.search(live)
    assert not LIVE_HTML.search(live)


def test_code_blocks_keep_their_text_verbatim() -> None:
    wiki = markup.to_wiki("```\n[~pat] {html}<b>{html}\n```")
    assert wiki == "{noformat}\n[~pat] {html}<b>{html}\n{noformat}"


@pytest.mark.parametrize(
    ("wiki", "safe"),
    [
        pytest.param("Hi [~pat]!", "Hi \\[~pat]!", id="mention"),
        pytest.param("[Pat|~accountid:1a2b]", "\\[Pat|~accountid:1a2b]", id="aliased"),
        pytest.param("{html}<b>{html}", "\\{html}<b>\\{html}", id="macro"),
        pytest.param("[link|http://x/~user/]", "[link|http://x/~user/]", id="tilde-url-kept"),
        pytest.param("{code}[~pat]{code}", "{code}[~pat]{code}", id="inside-code"),
    ],
)
def test_neutralize_raw_wiki(wiki: str, safe: str) -> None:
    assert markup.neutralize(wiki) == safe


@pytest.mark.parametrize(
    ("wiki", "md"),
    [
        pytest.param("well\\-known", "well-known", id="dash"),
        pytest.param("\\*not bold\\*", "\\*not bold\\*", id="star"),
        pytest.param("\\- not a list", "\\- not a list", id="line-start-dash"),
        pytest.param("{{a\\*b}}", "`a*b`", id="monospace"),
        pytest.param("{code}a\\*b{code}", "```Java\na\\*b\n```", id="code-verbatim"),
        pytest.param("line\\\\next", "line\nnext", id="line-break"),
    ],
)
def test_wiki_escapes_become_markdown_escapes(wiki: str, md: str) -> None:
    assert markup.to_markdown(wiki) == md


def test_escape_text_renders_literally() -> None:
    assert markup.escape_text("Pat [~x] *y*") == "Pat \\[\\~x\\] \\*y\\*"


def test_odd_input_that_breaks_jira2markdown_comes_back_unconverted() -> None:
    odd = "b\n_h1. #.[^file.txt]- ??\n\n# ||"
    # pyparsing treats an action's IndexError differently once the action has succeeded
    # before (its arity detection): start from a fresh grammar, as `convert` does.
    markup._build.cache_clear()  # noqa: SLF001
    with pytest.raises(Exception):  # noqa: B017, PT011 - the library's own failure
        convert(odd)
    # Converted part by part (blank lines apart): only the part that breaks stays as is.
    first, broken = odd.split("\n\n")
    assert markup.to_markdown(odd) == markup.to_markdown(first) + "\n\n" + broken
    assert markup.to_markdown(broken) == broken
    assert markup.to_markdown("*still* works") == "**still** works"


ATOMS = [
    "a", "word", " ", "\n", "\n\n", "*", "_", "-", "--", "----", "+", "^", "~", "??",
    "{{", "}}", "[", "]", "|", "||", "!", "#", "\\\\", "h1. ", "bq. ", "http://x.y/z",
    "{code}", "{code:python}", "{noformat}", "{quote}", "{color:red}", "{color}",
    "{panel:title=T}", "{panel}", "[~pat]", "[a|http://q]", "[mailto:a@b.c]",
    "[^f.txt]", "!i.png!", "* ", "# ", "- ", "1", ".",
]  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=20).map("".join))
def test_guarded_grammar_converts_exactly_like_jira2markdown(wiki: str) -> None:
    try:
        expected = convert(wiki)
    except Exception:  # noqa: BLE001 - inputs the library itself cannot convert
        return
    # The grammar is built once: no state may leak from one text into the next.
    assert markup.convert_wiki(wiki) == expected
