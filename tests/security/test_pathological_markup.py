"""Hostile Jira text cannot stall a pull: wiki → Markdown is linear or capped, and skipped
for items the overlap window already saw.

No clocks: the grammar's work is counted in element attempts (deterministic), and each
case asserts that its output is bounded and still shows the text. The timings of these
cases are measured by hand (see the issue), not here.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Iterator

import mistletoe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jira_fixtures import connector, make_sandbox, serve

from trackersync.connectors.jira import mapping, markup

LITERAL, RAW, ITEMS = "literal", "raw", "items"

# (id, wiki, what the Markdown shows: the text LITERALly, the RAW markup in a code block,
# or a list whose ITEMS all survive).
PATHOLOGICAL = [
    pytest.param("[" * 3_000, LITERAL, id="brackets-3k"),
    pytest.param("[" * 32_000, LITERAL, id="brackets-32k"),
    pytest.param("{" * 32_000, LITERAL, id="braces-32k"),
    pytest.param("*" * 32_000, LITERAL, id="stars-32k"),
    pytest.param("_" * 32_000, LITERAL, id="underscores-32k"),
    pytest.param("-" * 32_000, LITERAL, id="dashes-32k"),
    pytest.param("[~" * 16_000, LITERAL, id="mention-openers-32k"),
    pytest.param("{{" * 16_000, LITERAL, id="monospace-openers-32k"),
    pytest.param("text " + "[" * 5_000 + " more\n" + "]" * 10, LITERAL, id="brackets-closed-late"),
    pytest.param("".join("*" * d + " item\n" for d in range(1, 201)), ITEMS, id="nested-200"),
    pytest.param("".join("#" * d + " item\n" for d in range(1, 201)), ITEMS, id="numbered-200"),
    pytest.param("||h||h||\n" + "|a|b *c*|\n" * 3_600, RAW, id="table-32k"),
    pytest.param("[a" * 11_000, RAW, id="unclosed-links-32k"),
    pytest.param("[{*_-" * 6_400, RAW, id="mixed-openers-32k"),
]


def shown(markdown: str) -> str:
    """The text a reader sees (code included), as rendered from `markdown`."""
    rendered = mistletoe.markdown(markdown)
    return html.unescape(re.sub(r"<[^>]*>", "", rendered))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    markup._convert.cache_clear()  # noqa: SLF001 - each case converts for real
    yield
    markup._convert.cache_clear()  # noqa: SLF001


@pytest.mark.parametrize(("wiki", "expect"), PATHOLOGICAL)
def test_pathological_wiki_converts_within_budget_and_keeps_its_text(
    wiki: str, expect: str
) -> None:
    out = markup.to_markdown(wiki)
    # Bounded: escapes at most double the text, a numbered list level indents by three
    # spaces where the wiki wrote one `#`; a raw block adds a note and two fences.
    assert len(out) <= 3 * len(wiki) + len(markup.RAW_NOTE) + 20
    if expect == RAW:
        assert out.startswith(markup.RAW_NOTE)
        assert wiki in out
        assert shown(out).strip().endswith(wiki.strip())
    elif expect == LITERAL:
        assert not out.startswith(markup.RAW_NOTE)
        assert shown(out).strip() == wiki.strip()
    else:
        # Converted (every item kept) or carried raw; a 200-deep list is deeper than a
        # Markdown parser's recursion allows, so the items are counted in the text itself.
        assert out.count("item") == wiki.count("item")


def work(wiki: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Element attempts the grammar makes on `wiki` (no budget)."""
    spent = [0]

    def count() -> None:
        spent[0] += 1

    with monkeypatch.context() as patch:
        patch.setattr(markup, "_spend", count)
        markup.to_markdown(wiki)
    markup._convert.cache_clear()  # noqa: SLF001
    return spent[0]


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param("[", id="brackets"),
        pytest.param("[~", id="mention-openers"),
        pytest.param("{{", id="monospace-openers"),
        pytest.param("*", id="stars"),
        pytest.param("a [b|http://c] *d* ", id="ordinary-markup"),
        pytest.param("|a|b *c*|\n", id="table-rows"),
        pytest.param("* item\n** sub\n", id="list-items"),
    ],
)
def test_work_grows_linearly(unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = work(unit * 100, monkeypatch), work(unit * 400, monkeypatch)
    # Quadratic work would grow 16-fold; linear grows 4-fold (plus a constant).
    assert large <= 4.5 * small + 200


def test_over_budget_text_is_carried_as_a_code_block_no_line_can_close() -> None:
    wiki = "```` inside\n" + "[a" * 11_000
    out = markup.to_markdown(wiki)
    assert out.startswith(markup.RAW_NOTE)
    fence = out.split("\n")[2]
    assert fence == "`" * 5
    assert shown(out).strip().endswith(wiki.strip())


def test_an_unchanged_item_in_the_overlap_window_is_not_converted_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox = make_sandbox()
    sandbox.create_issue("WEB", "Hostile", "[" * 3_000)
    sandbox.create_issue("WEB", "Plain", "hello *world*")
    converted: list[str] = []

    def counting(wiki: str | None, *rest: object) -> str:
        converted.append(wiki or "")
        return markup.to_markdown(wiki, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(mapping, "to_markdown", counting)
    with serve(sandbox) as origin:
        first = connector(origin).pull("WEB", {})
        assert len(first.tasks) == 2
        assert "[" * 3_000 in converted
        converted.clear()
        second = connector(origin).pull("WEB", first.cursor)
    assert second.tasks == []
    assert converted == []


# The regexes the linear scanners replace (quadratic on runs of openers), as the oracle.
CODE_BLOCK = re.compile(
    r"\{code(?::[^}\n]*)?\}.*?\{code\}|\{noformat(?::[^}\n]*)?\}.*?\{noformat\}", re.DOTALL
)
MONOSPACE = re.compile(r"\{\{((?:\\.|[^\\\n])*?)\}\}")
SCANNER_ATOMS = [
    "a", " ", "\n", "\\", "{", "}", "{{", "}}", "{code}", "{code:java}", "{noformat}",
    "{noformat:x}", "{code:", ":", "|",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SCANNER_ATOMS), max_size=30).map("".join))
def test_linear_scanners_find_what_the_regexes_find(wiki: str) -> None:
    blocks, _unclosed = markup._code_blocks(wiki)  # noqa: SLF001
    assert blocks == [m.span() for m in CODE_BLOCK.finditer(wiki)]
    spans = list(markup._monospace_spans(wiki))  # noqa: SLF001
    assert spans == [m.span() for m in MONOSPACE.finditer(wiki)]


# Markdown → wiki (GitHub bodies written to Jira): mistletoe is quadratic in the openers
# of one block and recurses once per nesting level. (id, Markdown, carried verbatim?)
PATHOLOGICAL_MARKDOWN = [
    pytest.param("[a](" * 8_000, True, id="unclosed-links"),
    pytest.param("[x](http://y) " * 3_000, True, id="links-in-one-paragraph"),
    pytest.param("*a" * 16_000, True, id="stars"),
    pytest.param("> " * 8_000 + "x", True, id="nested-quotes"),
    pytest.param("".join("  " * d + "- x\n" for d in range(200)), True, id="nested-list-200"),
    pytest.param("".join("> " * d + "x\n" for d in range(100)), True, id="quote-ladder"),
    pytest.param("[" * 32_000, True, id="brackets"),
    pytest.param("[x](http://y)\n\n" * 3_000, False, id="links-in-many-paragraphs"),
    pytest.param("| a |\n|---|\n" + "| [z](http://q) *y* |\n" * 1_500, False, id="table"),
]


@pytest.mark.parametrize(("md", "verbatim"), PATHOLOGICAL_MARKDOWN)
def test_pathological_markdown_becomes_bounded_wiki(md: str, verbatim: bool) -> None:
    wiki = markup.to_wiki(md)
    assert len(wiki) <= 4 * len(md) + len(markup.WIKI_RAW_NOTE) + 30
    assert wiki.startswith(markup.WIKI_RAW_NOTE) == verbatim
    if verbatim:
        assert f"{{noformat}}\n{md}\n{{noformat}}" in wiki


def test_an_ordinary_long_description_converts_rather_than_falling_back() -> None:
    # About 10 grammar attempts a character: a fixed 20k budget sent this 2,360-character
    # description to the raw fallback; the budget grows with the text.
    paragraph = (
        "h2. Section\nSome *bold* text with _emphasis_ and a [link|https://example.com/x] "
        "and {{code}}.\n* item one with *bold*\n* item two\n# numbered\n\n"
        "A plain paragraph of prose that goes on for a while, as descriptions do.\n\n"
    )
    out = markup.to_markdown(paragraph * 10)
    assert not out.startswith(markup.RAW_NOTE)
    assert out.count("## Section") == 10


def _long_ordinary_wiki(blocks: int = 24) -> tuple[str, list[str]]:
    """A long description as people write them: headings, prose, lists, tables and code,
    blank lines apart; and a word only each block holds (a reader must find it)."""
    rnd = random.Random(7)
    words = ["alpha", "*bold*", "_it_", "{{mono}}", "[docs|https://example.com/d]", "WEB-12"]
    marks: list[str] = []

    def prose(mark: str, length: int) -> str:
        return " ".join([mark, *(rnd.choice(words) for _ in range(length))])

    parts = []
    for index in range(blocks):
        mark = f"zq{index}x"
        marks.append(mark)
        kind = index % 5
        if kind == 0:
            parts.append(f"h2. Section {mark}\n{prose('intro', 60)}")
        elif kind == 1:
            parts.append("\n".join(f"* {prose(mark, 12)}" for _ in range(8)))
        elif kind == 2:
            rows = "\n".join(f"|{prose(mark, 5)}|{prose('cell', 5)}|" for _ in range(8))
            parts.append(f"||Name||Notes||\n{rows}")
        elif kind == 3:
            parts.append(f"{{code:python}}\nprint('{mark}')\n{{code}}")
        else:
            parts.append(prose(mark, 90))
    return "\n\n".join(parts), marks


def test_a_long_ordinary_description_converts_block_by_block_in_full() -> None:
    wiki, marks = _long_ordinary_wiki()
    assert 10_000 < len(wiki) < 30_000
    out = markup.to_markdown(wiki)
    assert markup.RAW_NOTE not in out
    assert "```python" in out
    text = shown(out)
    for mark in marks:
        assert mark in text
    # Converted, not carried: no wiki markup is left for a reader to see.
    assert "||Name||" not in out
    assert "{code" not in out
    assert "h2." not in out


def test_only_the_hostile_block_of_a_long_description_is_carried_raw() -> None:
    wiki, marks = _long_ordinary_wiki(12)
    hostile = "[{*_-" * 2_000
    out = markup.to_markdown(wiki.replace("\n\n", f"\n\n{hostile}\n\n", 1))
    assert out.count(markup.RAW_NOTE) == 1
    assert hostile in out
    assert "||Name||" not in out
    for mark in marks:
        assert mark in shown(out)


def test_many_hostile_blocks_stay_within_a_budget_linear_in_the_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each part has its own budget; together they may not spend more than the text's.
    wiki = "\n\n".join(["[a" * 400, "[{*_-" * 200] * 8)
    spent = [0]
    budgeted = markup._spend  # noqa: SLF001

    def count() -> None:
        budgeted()  # raises once over: that attempt is not made
        spent[0] += 1

    monkeypatch.setattr(markup, "_spend", count)
    out = markup.to_markdown(wiki)
    assert spent[0] <= markup.WORK_CAP + markup.TEXT_WORK_PER_CHAR * len(wiki)
    assert len(out) <= 3 * len(wiki) + 30 * (len(markup.RAW_NOTE) + 20)
    assert shown(out).count("[a" * 400) == 8
