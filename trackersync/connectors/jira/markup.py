"""Jira wiki markup ↔ Markdown, both directions, and text that is safe to post to Jira.

Markdown → wiki renders with mistletoe's `JiraRenderer` (a few block renderings adjusted
below), then defuses what would act on Jira's side: user mentions (`[~name]`,
`[~accountid:...]`, `[alias|~name]`) and `{html}` macros. Wiki → Markdown is
jira2markdown's grammar, built once and guarded so that positions where no markup can
start are skipped cheaply; the backslash escapes the renderer writes are carried across
so a round trip keeps `*`, `_`, `-` and friends as plain characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import mistletoe
import pyparsing
from jira2markdown.elements import MarkupElements
from jira2markdown.markup.lists import List
from mistletoe import span_token
from mistletoe.contrib.jira_renderer import JiraRenderer

# The characters JiraRenderer escapes with a backslash (plus `|` inside table cells).
ESCAPABLE = "{}[]-*_+^~|"
# Placeholders for escaped characters while jira2markdown runs: private-use code points it
# treats as plain text. One block for prose, one for monospace (`{{...}}`), where the
# Markdown side is a code span and takes no backslash escapes.
_PROSE, _MONO = 0xE000, 0xE100
# Characters that need a backslash in Markdown prose to stay literal.
_MARKDOWN_SPECIAL = frozenset("*_[]~|\\")
_LINE_START_SPECIAL = frozenset("-+")

_CODE_BLOCK = re.compile(
    r"\{code(?::[^}\n]*)?\}.*?\{code\}|\{noformat(?::[^}\n]*)?\}.*?\{noformat\}",
    re.DOTALL,
)
_MONOSPACE = re.compile(r"\{\{((?:\\.|[^\\\n])*?)\}\}")
_ESCAPE = re.compile(r"\\\\|\\([" + re.escape(ESCAPABLE) + r"])")
# `[~user]`, `[~accountid:...]` and `[alias|~user]`: a bracket whose target starts with `~`.
_MENTION = re.compile(r"(?<!\\)\[(?=(?:[^\]\n|]*\|)?\s*~)")
_HTML_MACRO = re.compile(r"(?<!\\)\{(html)(?=[}:])", re.IGNORECASE)
# Where a jira2markdown element can start, after the whitespace it may skip: a special
# character, a heading or block quote tag, a bare URL. Anywhere else no element matches,
# and the (costly) attempt of all ~30 elements is skipped.
_GUARD = r"[ \t\r\n]*(?:[-*+?^~{}\[\]!|#\\]|h[1-6]\. |bq\. |(?i:https?|ftp)://)"


# ---------------------------------------------------------------- Markdown → wiki


class _Renderer(JiraRenderer):  # type: ignore[misc]  # mistletoe ships no type hints
    """JiraRenderer with code blocks that round-trip and raw HTML shown as text."""

    def render_block_code(self, token: Any) -> str:
        """`{code:lang}` with a language, `{noformat}` without (no invented language)."""
        content = token.children[0].content if token.children else ""
        macro = "code" if token.language else "noformat"
        if "{" + macro + "}" in content:
            # The content would close the block early and leave the rest live wiki.
            content = content.replace("{" + macro + "}", "{" + macro + " }")
        attr = f":{token.language}" if token.language else ""
        return f"{{{macro}{attr}}}\n{content}{{{macro}}}" + self._block_eol(token)

    def render_html_block(self, token: Any) -> str:  # type: ignore[override]  # static upstream
        """Raw HTML is not markup in Jira: show it as escaped text."""
        return self.render_raw_text(span_token.RawText(token.content.rstrip("\n"))) + (
            self._block_eol(token)
        )

    def render_html_span(self, token: Any) -> str:  # type: ignore[override]  # static upstream
        """Inline HTML as escaped text."""
        return str(self.render_raw_text(span_token.RawText(token.content)))


def to_wiki(markdown: str | None) -> str:
    """Markdown as Jira wiki markup that pings nobody and injects no HTML."""
    if not markdown:
        return ""
    wiki = mistletoe.markdown(markdown, _Renderer)
    return neutralize(str(wiki).strip("\n"))


def neutralize(wiki: str) -> str:
    """Escape mentions and `{html}` macros outside code blocks (where they are inert)."""
    return _outside_code(wiki, _defuse)


def _defuse(chunk: str) -> str:
    chunk = _MENTION.sub(r"\\[", chunk)
    return _HTML_MACRO.sub(lambda m: "\\{" + m[1], chunk)


def _outside_code(wiki: str, change: Callable[[str], str]) -> str:
    parts: list[str] = []
    position = 0
    for match in _CODE_BLOCK.finditer(wiki):
        parts.append(change(wiki[position : match.start()]))
        parts.append(match[0])
        position = match.end()
    parts.append(change(wiki[position:]))
    return "".join(parts)


def escape_text(text: str) -> str:
    """Plain text (a name, a title) as wiki that renders literally."""
    return re.sub(r"([" + re.escape(ESCAPABLE + "!\\") + r"])", r"\\\1", text)


# ---------------------------------------------------------------- wiki → Markdown


def to_markdown(wiki: str | None) -> str:
    """Jira wiki markup (v2 bodies) as Markdown, the way `jira2markdown.convert` does."""
    return _convert(wiki) if wiki else ""


@functools.lru_cache(maxsize=4096)
def _convert(wiki: str) -> str:
    hidden = _outside_code(wiki, _hide_escapes)
    try:
        converted = convert_wiki(hidden)
    except Exception:  # noqa: BLE001 - jira2markdown's actions raise on some odd input
        # One odd text must not fail a pull: show it unconverted.
        return wiki
    return _restore_escapes(converted)


def _hide_escapes(chunk: str) -> str:
    """Replace `\\X` escapes by placeholders (monospace ones apart); keep `\\\\` breaks."""

    def hide(text: str, base: int) -> str:
        return _ESCAPE.sub(lambda m: m[0] if m[1] is None else chr(base + ord(m[1])), text)

    parts: list[str] = []
    position = 0
    for match in _MONOSPACE.finditer(chunk):
        parts.append(hide(chunk[position : match.start()], _PROSE))
        parts.append("{{" + hide(match[1], _MONO) + "}}")
        position = match.end()
    parts.append(hide(chunk[position:], _PROSE))
    return "".join(parts)


_PLACEHOLDER = re.compile(r"(^[ \t]*)?([\ue000-\ue1ff])", re.MULTILINE)


def _restore_escapes(markdown: str) -> str:
    def restore(match: re.Match[str]) -> str:
        code = ord(match[2])
        lead = match[1]
        if code >= _MONO:
            return (lead or "") + chr(code - _MONO)
        char = chr(code - _PROSE)
        needs = char in _MARKDOWN_SPECIAL or (lead is not None and char in _LINE_START_SPECIAL)
        return (lead or "") + ("\\" + char if needs else char)

    return _PLACEHOLDER.sub(restore, markdown)


def convert_wiki(wiki: str) -> str:
    """`jira2markdown.convert(wiki)` on the grammar built once (no escape handling)."""
    expr, lists = _build()
    # List elements keep their indent between parse attempts; `convert` starts each text
    # with a fresh grammar, so each text here starts with fresh list state.
    for element in lists:
        element.indent_state.reset()
    return str(expr.transform_string(wiki))


def grammar() -> pyparsing.ParserElement:
    """jira2markdown's grammar, built once, with a cheap guard in front of every attempt."""
    return _build()[0]


@functools.cache
def _build() -> tuple[pyparsing.ParserElement, tuple[List, ...]]:
    """The grammar and its list elements (whose state is reset per text).

    `jira2markdown.convert` rebuilds the grammar on every call (~150 ms), and the grammar
    tries ~30 elements at every character. The guard is a lookahead that only lets an
    attempt through where some element can start, so output is unchanged (a property
    test compares it with `jira2markdown.convert`) and plain text costs next to nothing.
    """
    elements = MarkupElements()
    inline, markup = pyparsing.Forward(), pyparsing.Forward()
    kinds = {"inline_markup": inline, "markup": markup, "usernames": {}}
    inline_parts = [kind(**kinds) for kind in elements if kind.is_inline_element]
    inline <<= _guarded(pyparsing.MatchFirst([part.expr for part in inline_parts]))
    parts = [kind(**kinds) for kind in elements]
    markup <<= _guarded(pyparsing.MatchFirst([part.expr for part in parts]))
    return markup, tuple(part for part in parts if isinstance(part, List))


def _guarded(expr: pyparsing.ParserElement) -> pyparsing.ParserElement:
    # Neither the guard nor the sequence skips whitespace themselves: the elements keep
    # their own whitespace handling exactly, and the guard's pattern spells it out.
    guard = pyparsing.FollowedBy(pyparsing.Regex(_GUARD).leave_whitespace())
    guard.leave_whitespace(recursive=False)
    sequence = pyparsing.And([guard, expr])
    sequence.leave_whitespace(recursive=False)
    return sequence
