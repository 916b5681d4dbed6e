"""Jira wiki markup ↔ Markdown, both directions, and text that is safe to post to Jira.

Markdown → wiki renders with mistletoe's `JiraRenderer` (a few block renderings adjusted
below), then defuses what would act on Jira's side: user mentions (`[~name]`,
`[~accountid:...]`, `[alias|~name]`) and `{html}` macros. Wiki → Markdown is
jira2markdown's grammar, built once and guarded so that positions where no markup can
start are skipped cheaply; the backslash escapes the renderer writes are carried across
so a round trip keeps `*`, `_`, `-` and friends as plain characters.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import mistletoe
import pyparsing
from jira2markdown.elements import MarkupElements
from jira2markdown.markup.lists import List
from mistletoe import span_token
from mistletoe.contrib.jira_renderer import JiraRenderer

from trackersync.sync.markup import split_code

# The characters JiraRenderer escapes with a backslash (plus `|` inside table cells).
ESCAPABLE = "{}[]-*_+^~|"
# Placeholders for escaped characters while jira2markdown runs: private-use code points it
# treats as plain text. One block for prose, one for monospace (`{{...}}`), where the
# Markdown side is a code span and takes no backslash escapes.
_PROSE, _MONO = 0xE000, 0xE100
# Characters that need a backslash in Markdown prose to stay literal.
_MARKDOWN_SPECIAL = frozenset("*_[]~|\\!")
_LINE_START_SPECIAL = frozenset("-+#")

# A `{code}`/`{noformat}` block's opener (up to 256 characters of attributes: longer
# ones count as text, which only means more escaping).
_BLOCK_OPENER = re.compile(r"\{(code|noformat)(?::[^}\n]{0,256})?\}")
_ESCAPE = re.compile(r"\\\\|\\([" + re.escape(ESCAPABLE) + r"])")
# `[~user]`, `[~accountid:...]` and `[alias|~user]`: a bracket whose target starts with `~`.
_MENTION = re.compile(r"(?<!\\)\[(?=(?:[^\]\n|]*\|)?\s*~)")
_HTML_MACRO = re.compile(r"(?<!\\)\{(html)(?=[}:])", re.IGNORECASE)
# Where a jira2markdown element can start, after the whitespace it may skip: a special
# character, a heading or block quote tag, a bare URL. Anywhere else no element matches,
# and the (costly) attempt of all ~30 elements is skipped.
_START = r"(?:[-*+?^~{}\[\]!|#\\]|h[1-6]\. |bq\. |(?i:https?|ftp)://)"
_GUARD = r"[ \t\r\n]*" + _START
_NEXT_START = re.compile(_START)
# The grammar's work, counted in element attempts (deterministic, unlike a clock).
# jira2markdown scans ahead from every candidate start (`SkipTo`), so runs like `[[[[...`
# cost quadratic time. Work is budgeted per part of a text (the blocks between blank
# lines, see `_convert`): ordinary markup costs a part about 10 attempts a character in
# prose, 20 in lists and 50 to 90 in tables, always linear, so a part may spend 100 a
# character, at least `WORK_BUDGET` and at most `WORK_CAP` (a table of 2,000 to 4,000
# characters; under a second of CPU when a hostile part spends it all), then it is
# carried raw. A whole text may spend `TEXT_WORK_PER_CHAR` a character over its parts
# (ordinary descriptions average 10 to 30), so many hostile parts together stay linear
# too: at most about 1.5 million attempts for Jira's longest text, about what an
# ordinary text of that length, dense with lists and tables, costs anyway.
WORK_BUDGET = 20_000
WORK_PER_CHAR = 100
WORK_CAP = 200_000
TEXT_WORK_PER_CHAR = 40


def work_budget(text: str) -> int:
    """The grammar attempts one part of this length may use before it is carried raw."""
    return min(WORK_CAP, max(WORK_BUDGET, WORK_PER_CHAR * len(text)))


# A run of this many markup characters in a row is text, not markup (the longest real
# markup runs are `----` rules and `{{`/`}}`): it is escaped before the grammar sees it.
_RUN = re.compile(r"([-*_+^~{}\[\]!|#?])\1{5,}|(?:\[~){3,}|(?:\{\{){3,}")
RAW_NOTE = "*(trackersync: this Jira text is too complex to convert; its wiki markup follows)*"


# ---------------------------------------------------------------- Markdown → wiki

# Link targets that may become live Jira links (`javascript:`, `data:`... stay text).
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Browsers drop these inside a scheme (`java\tscript:`); Jira's `!src!` ends at `!`/`|`.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_IMAGE_BREAKERS = re.compile(r"[!|\s]")


def _safe_url(url: str, schemes: frozenset[str]) -> bool:
    """Whether `url` is absolute with one of `schemes` (relative ones are not links here)."""
    found = _SCHEME.match(_URL_IGNORED.sub("", url))
    return found is not None and found[1].lower() in schemes


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

    def render_link(self, token: Any) -> str:
        """A link when its target is web or mail; any other scheme as plain text."""
        if _safe_url(token.target, _LINK_SCHEMES):
            return str(super().render_link(token))
        return f"{self.render_inner(token)} ({escape_text(token.target)})"

    def render_auto_link(self, token: Any) -> str:
        """`<url>` as a link when web or mail, else as plain text."""
        if _safe_url(token.target, _LINK_SCHEMES):
            return str(super().render_auto_link(token))
        return escape_text(token.target)

    def render_image(self, token: Any) -> str:
        """`!src!` for a plain web address; anything else as text (alt and address)."""
        if _safe_url(token.src, _IMAGE_SCHEMES) and not _IMAGE_BREAKERS.search(token.src):
            return str(super().render_image(token))
        return f"{self.render_inner(token)} ({escape_text(token.src)})".lstrip()

    def render_html_block(self, token: Any) -> str:  # type: ignore[override]  # static upstream
        """Raw HTML is not markup in Jira: show it as escaped text."""
        return self.render_raw_text(span_token.RawText(token.content.rstrip("\n"))) + (
            self._block_eol(token)
        )

    def render_html_span(self, token: Any) -> str:  # type: ignore[override]  # static upstream
        """Inline HTML as escaped text."""
        return str(self.render_raw_text(span_token.RawText(token.content)))


# mistletoe's inline parsing is quadratic in the openers of one block (3,000 links in a
# paragraph take ~18 s) and its block parsing recurses once per nesting level: past these
# limits (checked in linear time) Markdown is carried verbatim in a `{noformat}` block.
MAX_BLOCK_OPENERS = 500
MAX_NESTING = 32
_BLOCK_BREAK = re.compile(r"\n[ \t]*(?=\n|[-*+>#] |\d{1,9}[.)] |\|)")
_OPENERS = re.compile(r"[\[*_`<!~]")
_NESTING = re.compile(r"^(?:[ \t]*(?:>|[-*+]|\d{1,9}[.)])(?=[ \t]|$))+", re.MULTILINE)
WIKI_RAW_NOTE = "_(trackersync: this Markdown is too complex to convert; it follows as is)_"


def to_wiki(markdown: str | None) -> str:
    """Markdown as Jira wiki markup that pings nobody and injects no HTML."""
    if not markdown:
        return ""
    if _too_complex(markdown):
        return _raw_wiki(markdown)
    try:
        wiki = mistletoe.markdown(markdown, _Renderer)
    except RecursionError:
        return _raw_wiki(markdown)
    return neutralize(_outside_code(str(wiki).strip("\n"), _done_tasks))


# A task list item `- [x] a` as the renderer writes it (`* \[x\] a`): Jira has no
# checkbox, its `(/)` icon shows the state (`to_markdown` reads it back as `[x]`).
_DONE_ITEM = re.compile(r"^([*#]+[ \t]+)\\\[[xX]\\\][ \t]", re.MULTILINE)


def _done_tasks(chunk: str) -> str:
    return _DONE_ITEM.sub(r"\1(/) ", chunk)


def _too_complex(markdown: str) -> bool:
    """Whether mistletoe would take quadratic time or deep recursion on `markdown`."""
    blocks = _BLOCK_BREAK.split(markdown)
    if max(len(_OPENERS.findall(block)) for block in blocks) > MAX_BLOCK_OPENERS:
        return True
    deepest = max((len(m[0]) for m in _NESTING.finditer(markdown)), default=0)
    # Each level takes at least two characters (`> `, `- `): a cheap upper bound first.
    if deepest <= 2 * MAX_NESTING:
        return False
    return any(_levels(m[0]) > MAX_NESTING for m in _NESTING.finditer(markdown))


def _levels(prefix: str) -> int:
    return len(re.findall(r">|[-*+](?=[ \t]|$)|\d{1,9}[.)]", prefix))


def _raw_wiki(markdown: str) -> str:
    """Markdown shown verbatim: a note, then a `{noformat}` block it cannot close."""
    body = markdown.replace("{noformat}", "{noformat }")
    return f"{WIKI_RAW_NOTE}\n{{noformat}}\n{body}\n{{noformat}}"


def neutralize(wiki: str) -> str:
    """Escape mentions and `{html}` macros outside code blocks (where they are inert)."""
    return _outside_code(wiki, _defuse)


def _defuse(chunk: str) -> str:
    chunk = _MENTION.sub(r"\\[", chunk)
    return _HTML_MACRO.sub(lambda m: "\\{" + m[1], chunk)


def _outside_code(wiki: str, change: Callable[[str], str]) -> str:
    parts: list[str] = []
    position = 0
    blocks, _open = _code_blocks(wiki)
    for start, end in blocks:
        parts.append(change(wiki[position:start]))
        parts.append(wiki[start:end])
        position = end
    parts.append(change(wiki[position:]))
    return "".join(parts)


def _code_blocks(wiki: str) -> tuple[list[tuple[int, int]], str | None]:
    """The `{code}`/`{noformat}` blocks (each opener to the next closer of its macro, left
    to right), and the macro of a block opened after the last of them and never closed.

    Linear where a lazy regex is quadratic: once a macro has no closer after some opener,
    no later opener of it can close either, so it is not searched for again.
    """
    blocks: list[tuple[int, int]] = []
    dead: set[str] = set()
    unclosed: str | None = None
    position = 0
    while (opener := _BLOCK_OPENER.search(wiki, position)) is not None:
        macro = opener[1]
        close = -1 if macro in dead else wiki.find("{" + macro + "}", opener.end())
        if close < 0:
            dead.add(macro)
            unclosed = unclosed or macro
            position = opener.start() + 1
            continue
        blocks.append((opener.start(), close + len(macro) + 2))
        position, unclosed = blocks[-1][1], None
    return blocks, unclosed


def fit(wiki: str, limit: int, note: str) -> str:
    """`wiki` if it fits in `limit`, else its start and `note`, still inert.

    A cut inside a `{code}`/`{noformat}` block closes the block (or the rest, with the
    mentions and macros a block keeps as they are, would turn live); the start is then
    defused again, and room is left for what that adds.
    """
    if len(wiki) <= limit:
        return wiki
    room = limit - len(note) - len("\n{noformat}")
    start = wiki[:room]
    start = wiki[: max(0, room - start.count("[") - start.count("{"))].rstrip()
    _blocks, opened = _code_blocks(start)
    if opened:
        start += "\n{" + opened + "}"
    return neutralize(start) + note


def escape_text(text: str) -> str:
    """Plain text (a name, a title) as wiki that renders literally."""
    return re.sub(r"([" + re.escape(ESCAPABLE + "!\\") + r"])", r"\\\1", text)


# ---------------------------------------------------------------- wiki → Markdown


def to_markdown(
    wiki: str | None,
    people: Mapping[str, str] | None = None,
    base_url: str = "",
    files: Mapping[str, str] | None = None,
) -> str:
    """Jira wiki markup (v2 bodies) as Markdown, the way `jira2markdown.convert` does,
    then made to read as in Jira (`_readable`): mentions as names (`people`: display name
    by account id or user name), `[WEB-1]` as a link to that issue (under `base_url`),
    attached images as absolute links (`files`: content URL by file name)."""
    if not wiki:
        return ""
    converted = _readable(_convert(wiki), base_url, files or {})
    if "\ue200" not in converted:
        return converted
    return _MARKED.sub(lambda m: _mention(m[1], m[2], people or {}, base_url), converted)


# jira2markdown's HTML for what Markdown cannot say, as Markdown a reader sees as meant.
_HTML_AS_MARKDOWN = [
    (re.compile(r"<u>([^<>\n]{1,2000}?)</u>"), r"_\1_"),
    (re.compile(r"<sup>([^<>\n]{1,2000}?)</sup>"), r"^(\1)"),
    (re.compile(r"<sub>([^<>\n]{1,2000}?)</sub>"), r"\\_(\1)"),
    (re.compile(r"<q>([^<>\n]{1,2000}?)</q>"), r"— _\1_"),
    (re.compile(r'<font color="[^"<>\n]{0,64}">((?:(?!</font>)[^\n]){0,2000})</font>'), r"\1"),
]
# Jira's icons (`(!)`, `(/)`...) as the emoji they show.
ICONS = {
    "(!)": "\u26a0\ufe0f", "(/)": "\u2705", "(x)": "\u274c", "(i)": "\u2139\ufe0f",
    "(?)": "\u2753", "(y)": "\U0001f44d", "(n)": "\U0001f44e", "(on)": "\U0001f4a1",
    "(off)": "\U0001f4a1", "(*)": "\u2b50", "(+)": "\u2795", "(-)": "\u2796",
    ":)": "\U0001f642", ":(": "\U0001f641", ":D": "\U0001f603", ";)": "\U0001f609",
    ":P": "\U0001f61b",
}  # fmt: skip
# Only a free-standing icon: `f(x)` is a formula, not a cross.
_ICON = re.compile(
    r"(?<![\w\\])(?:"
    + "|".join(re.escape(icon) for icon in sorted(ICONS, key=len, reverse=True))
    + r")(?![\w(])"
)
# A list item whose text starts with the `(/)` icon is a done task (`to_wiki` writes it).
_DONE_TASK = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)\u2705[ \t]", re.MULTILINE)


def _icon(match: re.Match[str]) -> str:
    return ICONS[match[0]]


_ISSUE_KEY = re.compile(r"(?<![\\!\w])\[([A-Z][A-Z0-9_]{0,30}-\d{1,9})\](?!\()")
_FILE_LINK = re.compile(r"(!?\[[^\]\n]{0,500}\])\(([^()\s:/]{1,255})\)")
_RULE_LINE = re.compile(r"(?<=\S)\n(?=-{3,}[ \t]*(?:\n|$))")


def _readable(markdown: str, base_url: str, files: Mapping[str, str]) -> str:
    """Converted Markdown outside code: HTML, icons, tasks, issue keys, attachments, and
    a rule that would make the paragraph above it a heading."""

    def prose(chunk: str) -> str:
        for pattern, replacement in _HTML_AS_MARKDOWN:
            chunk = pattern.sub(replacement, chunk)
        chunk = _DONE_TASK.sub(r"\1[x] ", chunk)
        chunk = _FILE_LINK.sub(lambda m: m[1] + f"({files.get(m[2], m[2])})", chunk)
        if base_url:
            home = base_url.rstrip("/")
            chunk = _ISSUE_KEY.sub(lambda m: f"[{m[1]}]({home}/browse/{m[1]})", chunk)
        return _RULE_LINE.sub("\n\n", chunk)

    return "".join(chunk if is_code else prose(chunk) for chunk, is_code in split_code(markdown))


# `[~accountid:ID]` (Cloud) and `[~name]` (Server). While the grammar runs, a mention is
# a private-use-delimited token the grammar takes for text.
_MENTION_TARGET = re.compile(r"(?<!\\)\[~(accountid:)?([A-Za-z0-9][\w:.@+-]{0,127})\]")
_MARKED = re.compile("\ue200(accountId|name)=([^\ue201\n]{1,128})\ue201")
UNKNOWN_USER = "Jira user"


def _mark_mentions(chunk: str) -> str:
    return _MENTION_TARGET.sub(
        lambda m: f"\ue200{'accountId' if m[1] else 'name'}={m[2]}\ue201", chunk
    )


def _mention(kind: str, user: str, people: Mapping[str, str], base_url: str) -> str:
    """A mention as the person's display name (never the raw account id), linked to their
    Jira profile; the link's address names the account, so a link's `users` map can turn
    it into that person's login on the other side (`sync.link.carry`)."""
    text = "@" + re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", people.get(user) or UNKNOWN_USER)
    if not base_url:
        return text
    return f"[{text}]({base_url.rstrip('/')}/secure/ViewProfile.jspa?{kind}={quote(user)})"


@functools.lru_cache(maxsize=4096)
def _convert(wiki: str) -> str:
    """Markdown for `wiki` (mentions still as tokens), converted part by part.

    The grammar's work is budgeted per part, not per text: one budget for a whole text
    either sent long ordinary descriptions raw (a fixed one) or let one hostile run spend
    what the whole text may (one that grows with the text). A part is a run of blocks
    between blank lines (`segments`): the grammar gives a part alone the Markdown it gives
    it within the text, as blank lines end its block elements. A part over its budget is
    tried block by block, and only a block over its own budget is carried raw (with the
    wiki as written, mentions and icons included). All parts together may spend
    `TEXT_WORK_PER_CHAR` attempts a character (plus one part's cap): linear in the text,
    so many hostile parts cannot add up to more; past it the rest is carried raw.
    """
    allowance = _Allowance(WORK_CAP + TEXT_WORK_PER_CHAR * len(wiki))
    out: list[str] = []
    parts = segments(wiki)
    for index, part in enumerate(parts):
        if allowance.left <= 0:
            out.append(_raw_part("".join(parts[index:])))
            break
        # jira2markdown reads no list that mixes `*` and `#` past its first level.
        blocks = _wiki_blocks(part)
        mixed = any(_is_mixed_list(block) for block in blocks)
        converted = None if mixed else allowance.convert(part)
        if converted is None:
            whole = len(blocks) == 1 and not mixed
            converted = _raw_part(part) if whole else _block_by_block(part, allowance)
        out.append(converted)
    return "".join(out)


def segments(wiki: str) -> list[str]:
    """`wiki` cut where blank lines end a block (`wiki_blocks`), never inside a
    `{code}`/`{noformat}` block. A cut falls before the line end ahead of the blank lines:
    the grammar's rule (`----`) starts matching from there in a whole text.
    `"".join` gives `wiki` back."""
    code = _code_blocks(wiki)[0]  # in order, apart: found by bisection, linear overall
    starts = [start for start, _end in code]
    cuts: list[int] = []
    position = 0
    for block in _wiki_blocks(wiki):
        position += len(block)
        blank = _TRAILING_BLANKS.search(block)
        if blank is None or position == len(wiki):
            continue
        cut = position - len(block) + blank.start()
        inside = bisect.bisect_left(starts, cut) - 1
        if inside < 0 or code[inside][1] <= cut:
            cuts.append(cut)
    bounds = [0, *cuts, len(wiki)]
    return [wiki[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


# The line end and blank lines that close a block.
_TRAILING_BLANKS = re.compile(r"\n(?:[ \t]*\n)+[ \t]*$")
# Blank lines before a part's first block.
_LEADING_BLANKS = re.compile(r"(?:[ \t]*\n)*")
_LIST_ITEM = re.compile(r"[*#-]+[ \t]")


def _wiki_blocks(wiki: str) -> list[str]:
    # `wiki_blocks` converts with this module (its merge), hence the late import.
    from trackersync.connectors.jira.wiki_blocks import wiki_blocks

    return wiki_blocks(wiki)


def _block_by_block(part: str, allowance: _Allowance) -> str:
    """A part over its budget: each block converted alone, or raw when it is the one over.
    Blocks alone lose the blank lines the grammar puts around tables and rules in a part,
    so each is set apart by a blank line, bar list items that follow list items."""
    lead = _LEADING_BLANKS.match(part)
    start = lead.end() if lead else 0
    body = ""
    item = False
    for block in _wiki_blocks(part[start:]):
        if _is_mixed_list(block):
            converted = _mixed_list(block, allowance)
        else:
            converted = allowance.convert(block)
        piece = (_raw_part(block) if converted is None else converted).strip("\n")
        follows = item and converted is not None and _LIST_ITEM.match(block) is not None
        body += ("\n" if follows else "\n\n") + piece if body else piece
        item = converted is not None and _LIST_ITEM.match(block) is not None
    return part[:start] + body + part[len(part.rstrip("\n")) :]


# A list item's markers: jira2markdown reads `#`s after at most one `*`, or `*`s (or
# `-`s) after at most one `#`; any other mix (`#*#`, `*#*`, `##*`) it leaves as text.
_ITEM_PREFIX = re.compile(r"^[ \t]*([*#-]+)[ \t]", re.MULTILINE)
_READ_BY_GRAMMAR = re.compile(r"\*?#+|#?(?:\*+|-+)")


def _is_mixed_list(block: str) -> bool:
    """Whether a block (`wiki_blocks`) is a list with an item the grammar cannot read."""
    if _ITEM_PREFIX.match(block) is None:
        return False
    return any(not _READ_BY_GRAMMAR.fullmatch(m[1]) for m in _ITEM_PREFIX.finditer(block))


def _mixed_list(block: str, allowance: _Allowance) -> str | None:
    """A list block the grammar cannot read, as Markdown: each item's text converted
    alone, indented under its parents as jira2markdown indents (three spaces under a
    numbered item, two under a bullet); None (raw) when an item is over its budget."""
    lines: list[str] = []
    for line in block.rstrip("\n").split("\n"):
        found = _ITEM_PREFIX.match(line)
        if found is None:
            # A continuation line belongs to the item above it.
            lines[-1:] = [(lines[-1] + "\n" if lines else "") + line]
            continue
        lines.append(line)
    out: list[str] = []
    for item in lines:
        found = _ITEM_PREFIX.match(item)
        if found is None:
            text, markers = item, ""
        else:
            text, markers = item[found.end() :], found[1]
        converted = allowance.convert(text) if text.strip() else ""
        if converted is None:
            return None
        indent = sum(3 if marker == "#" else 2 for marker in markers[:-1])
        bullet = "1. " if markers.endswith("#") else "- " if markers else ""
        padding = " " * (indent + len(bullet))
        first, *rest = converted.strip("\n").split("\n")
        out.append(" " * indent + bullet + first)
        out.extend(padding + line if line.strip() else line for line in rest)
    return "\n".join(out) + block[len(block.rstrip("\n")) :]


def _raw_part(wiki: str) -> str:
    """`raw_block` of the wiki between a part's leading and trailing blank lines."""
    core = wiki.strip("\n")
    if not core.strip():
        return wiki
    start = wiki.index(core)
    return wiki[:start] + raw_block(core) + wiki[start + len(core) :]


class _Allowance:
    """Grammar attempts a whole text has left for its parts."""

    def __init__(self, left: int) -> None:
        self.left = left

    def convert(self, wiki: str) -> str | None:
        """`wiki`'s Markdown within its own budget and what is left; None when over."""
        if self.left <= 0:
            return None
        hidden = _outside_code(_marked(wiki), _hide_escapes)
        budget = min(self.left, work_budget(hidden))
        try:
            converted = convert_wiki(hidden, budget=budget)
        except OverBudget:
            self.left -= budget
            return None
        except Exception:  # noqa: BLE001 - jira2markdown's actions raise on some odd input
            # One odd text must not fail a pull: show it unconverted (people by name).
            self.left -= budget
            return _marked(wiki)
        self.left -= budget - _WORK.unspent
        return _restore_escapes(converted)


def _marked(wiki: str) -> str:
    """`wiki` with mentions as tokens the grammar takes for text and icons as emoji (icons
    first: jira2markdown reads `(!) (!)` as an image `!) (!`)."""
    return _outside_code(wiki, lambda chunk: _ICON.sub(_icon, _mark_mentions(chunk)))


def raw_block(wiki: str) -> str:
    """Wiki markup shown verbatim in Markdown: a note, then a fence no line can close."""
    longest = max((len(run) for run in re.findall(r"`+", wiki)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{RAW_NOTE}\n\n{fence}\n{wiki}\n{fence}"


def _hide_escapes(chunk: str) -> str:
    """Replace `\\X` escapes by placeholders (monospace ones apart); keep `\\\\` breaks."""

    def hide(text: str, base: int) -> str:
        text = _ESCAPE.sub(lambda m: m[0] if m[1] is None else chr(base + ord(m[1])), text)
        return _RUN.sub(lambda m: _run_as_text(m, base), text)

    parts: list[str] = []
    position = 0
    for start, end in _monospace_spans(chunk):
        parts.append(hide(chunk[position:start], _PROSE))
        parts.append("{{" + hide(chunk[start + 2 : end - 2], _MONO) + "}}")
        position = end
    parts.append(hide(chunk[position:], _PROSE))
    return "".join(parts)


def _run_as_text(match: re.Match[str], base: int) -> str:
    """A long run of markup characters as placeholders, i.e. literal text; a deep list's
    marker (the run starting a line, then a space) stays markup."""
    text, start = match.string, match.start()
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip() and text[match.end() : match.end() + 1] == " ":
        return match[0]
    return "".join(chr(base + ord(char)) for char in match[0])


def _monospace_spans(chunk: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `{{...}}` on one line, as a lazy regex would find them: after
    `{{`, escapes (`\\x`) or other characters up to the first `}}`.

    A scan that finds no `}}` proves that no later `{{` of the same line closes either
    (both scans line up two characters after that `{{`), so it jumps to the next line:
    linear where the regex is quadratic on a line of `{{`.
    """
    start = chunk.find("{{")
    while start >= 0:
        end = _monospace_end(chunk, start + 2)
        if end is None:
            newline = chunk.find("\n", start)
            start = -1 if newline < 0 else chunk.find("{{", newline)
            continue
        yield start, end
        start = chunk.find("{{", end)


def _monospace_end(chunk: str, position: int) -> int | None:
    """The end of the `}}` closing a monospace that starts before `position`, if any."""
    length = len(chunk)
    while position < length:
        char = chunk[position]
        if char == "\n":
            return None
        if char == "\\":
            if position + 1 >= length or chunk[position + 1] == "\n":
                return None
            position += 2
        elif chunk.startswith("}}", position):
            return position + 2
        else:
            position += 1
    return None


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


class OverBudget(Exception):  # noqa: N818 - a signal, not an error
    """The grammar spent more than its work budget on one text."""


class _Work(threading.local):
    """Element attempts left for the text being converted (None: unlimited)."""

    left: int | None = None
    # What the last budgeted conversion left of its budget.
    unspent: int = 0


_WORK = _Work()


def _spend() -> None:
    """One element attempt: spend a unit of the budget of the text being converted."""
    left = _WORK.left
    if left is not None:
        if left <= 0:
            raise OverBudget
        _WORK.left = left - 1


def convert_wiki(wiki: str, budget: int | None = None) -> str:
    """`jira2markdown.convert(wiki)` on the grammar built once (no escape handling).

    Raises `OverBudget` once the grammar has made more than `budget` element attempts.
    """
    expr, lists = _build()
    # List elements keep their indent between parse attempts; `convert` starts each text
    # with a fresh grammar, so each text here starts with fresh list state.
    for element in lists:
        element.indent_state.reset()
    _WORK.left = budget
    try:
        return _transform(expr, wiki)
    finally:
        _WORK.unspent, _WORK.left = _WORK.left or 0, None


def _transform(expr: pyparsing.ParserElement, wiki: str) -> str:
    """`expr.transform_string(wiki)`, attempted only where an element can start.

    pyparsing tries the grammar at every character; a regex finds the next position where
    the guard would let an attempt through, so plain text costs one regex scan.
    """
    expr.keepTabs = True
    expr.streamline()
    pyparsing.ParserElement.reset_cache()
    out: list[Any] = []
    done = 0
    for tokens, start, end in _matches(expr, wiki):
        if start > done:
            out.append(wiki[done:start])
        done = end
        if tokens:
            out += tokens.as_list()
    out.append(wiki[done:])
    return "".join(str(token) for token in _flat([o for o in out if o]))


def _matches(
    expr: pyparsing.ParserElement, wiki: str
) -> Iterator[tuple[pyparsing.ParseResults, int, int]]:
    """`expr.scan_string(wiki)` without the attempts its guard would refuse anyway.

    The grammar skips no whitespace, so scan_string tries every position and keeps a
    non-empty match; the guard passes exactly the blanks before, and the positions of, a
    character where an element can start.
    """
    loc, length = 0, len(wiki)
    while loc < length:
        found = _NEXT_START.search(wiki, loc)
        if found is None:
            return
        start = found.start()
        first = start
        while first > loc and wiki[first - 1] in " \t\r\n":
            first -= 1
        loc = start + 1
        for position in range(first, start + 1):
            try:
                end, tokens = expr._parse(wiki, position, callPreParse=False)  # noqa: SLF001
            except pyparsing.ParseException:
                continue
            if end > position:
                yield tokens, position, end
                loc = end
                break


def _flat(tokens: list[Any]) -> Iterator[Any]:
    for token in tokens:
        if isinstance(token, list):
            yield from _flat(token)
        else:
            yield token


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
    inline: pyparsing.Forward = _Scanned()
    markup: pyparsing.Forward = _Scanned()
    kinds = {"inline_markup": inline, "markup": markup, "usernames": {}}
    inline_parts = [kind(**kinds) for kind in elements if kind.is_inline_element]
    inline <<= _guarded(pyparsing.MatchFirst([part.expr for part in inline_parts]))
    parts = [kind(**kinds) for kind in elements]
    markup <<= _guarded(pyparsing.MatchFirst([part.expr for part in parts]))
    _count_attempts(markup, set())
    return markup, tuple(part for part in parts if isinstance(part, List))


def _count_attempts(expr: pyparsing.ParserElement, done: set[int]) -> None:
    """Make every element spend budget on each attempt (its `parseImpl`, wrapped)."""
    if id(expr) in done:
        return
    done.add(id(expr))
    parse = expr.parseImpl

    def counted(instring: str, loc: int, do_actions: bool = True) -> Any:
        _spend()
        return parse(instring, loc, do_actions)

    expr.parseImpl = counted  # type: ignore[method-assign]
    # `recurse` leaves out what an element skips (`ignore`) or stops at (`fail_on`).
    hidden = [getattr(expr, name, None) for name in ("ignoreExpr", "failOn", "ignorer")]
    for child in [*expr.recurse(), *expr.ignoreExprs, *hidden]:
        if isinstance(child, pyparsing.ParserElement):
            _count_attempts(child, done)


class _Scanned(pyparsing.Forward):
    """A Forward whose `transform_string` (which element actions call on nested text, such
    as table cells) skips the positions where no element can start, like `convert_wiki`."""

    def transform_string(self, instring: str, *, debug: bool = False) -> str:
        """`Forward.transform_string`, attempted only where the guard lets through."""
        return _transform(self, instring)


def _guarded(expr: pyparsing.ParserElement) -> pyparsing.ParserElement:
    # Neither the guard nor the sequence skips whitespace themselves: the elements keep
    # their own whitespace handling exactly, and the guard's pattern spells it out.
    guard = pyparsing.FollowedBy(pyparsing.Regex(_GUARD).leave_whitespace())
    guard.leave_whitespace(recursive=False)
    sequence = pyparsing.And([guard, expr])
    sequence.leave_whitespace(recursive=False)
    return sequence
