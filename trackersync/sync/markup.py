"""Mirrored text that is safe to post: no pings, no injected HTML, within size limits.

Conversion between Jira wiki markup and Markdown is each connector's business (the wiki
dialect is Jira's); this module holds the rules that apply to any mirrored text.
"""

from __future__ import annotations

import re

# A zero-width space after the `@` of a would-be mention (or the `#`, `GH-` or
# `github.com/` of an issue reference) keeps GitHub from linking it, whatever markup
# surrounds it (`\\@x`, `_@x_`, `a/@x`, a lone backtick), and reads the same to people.
INERT = "\u200b"
# Every `@` before a name, unless a letter or digit precedes it (an e-mail address). The
# full-width `＠` and small `﹫` count too, in case a renderer folds them to `@`.
_MENTION = re.compile(r"(?<![A-Za-z0-9])[@\uff20\ufe6b](?=[A-Za-z0-9])")
# `#1`, `owner/repo#1`, `GH-1` and issue/PR URLs create cross-references on GitHub.
_REFERENCE = re.compile(
    r"#(?=\d)|(?<![A-Za-z0-9])(?i:gh-)(?=\d)"
    r"|(?i:github\.com/)(?=[\w.-]+/[\w.-]+/(?:issues|pull|discussions)/\d)"
)
_NUMERIC_ENTITY = re.compile(r"&#\d{1,7};")
# Entities that spell `@` or `#` would bring back what the rules above defuse.
_SPELLED = re.compile(r"&(?:#0*(64|35);|#[xX]0*(40|23);|(commat|num);)")
_SPELLED_AS = {"64": "@", "40": "@", "commat": "@", "35": "#", "23": "#", "num": "#"}
_HTML_TAG = re.compile(r"<(?=/?[A-Za-z!?])")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_BACKTICKS = re.compile(r"`+")

CUT_NOTE = "\n\n*(cut by trackersync: the original is longer, see {url})*"


def neutralize(text: str, *, at_mentions: bool, html: bool) -> str:
    """Defuse `@mentions` and issue references (GitHub) and raw HTML tags, leaving code
    blocks and spans alone (GitHub links nothing in code)."""
    if not text or not (at_mentions or html):
        return text
    return "".join(
        chunk if is_code else _defuse(chunk, at_mentions=at_mentions, html=html)
        for chunk, is_code in _split_code(text)
    )


def _defuse(chunk: str, *, at_mentions: bool, html: bool) -> str:
    if at_mentions:
        chunk = _SPELLED.sub(lambda m: _SPELLED_AS[m[1] or m[2] or m[3]], chunk)
    if html:
        chunk = _HTML_TAG.sub("&lt;", chunk)
    if at_mentions:
        chunk = _MENTION.sub(lambda m: m[0] + INERT, chunk)
        chunk = _REFERENCE.sub(lambda m: _inert_reference(m), chunk)
    return chunk


def _inert_reference(match: re.Match[str]) -> str:
    # `&#123;` is a character, not a reference: leave entities whole.
    text, start = match.string, match.start()
    if match[0] == "#" and start and _NUMERIC_ENTITY.match(text, start - 1):
        return match[0]
    return match[0] + INERT


def split_code(text: str) -> list[tuple[str, bool]]:
    """Markdown as (chunk, is_code) pieces: fenced blocks and code spans are code."""
    return _split_code(text)


def _split_code(text: str) -> list[tuple[str, bool]]:
    """Split Markdown into (chunk, is_code) by fenced blocks, then by code spans."""
    pieces: list[tuple[str, bool]] = []
    blocks, _open = _split_fences(text)
    for index, block in enumerate(blocks):
        if index % 2:
            pieces.append((block, True))
            continue
        position = 0
        for start, end in _code_spans(block):
            pieces.append((block[position:start], False))
            pieces.append((block[start:end], True))
            position = end
        pieces.append((block[position:], False))
    return pieces


def _code_spans(prose: str) -> list[tuple[int, int]]:
    """(start, end) of the code spans in prose, counted only where GitHub surely sees one.

    A span here stays on one line and holds no `|` (a table splits cells before it finds
    spans); anything else counts as prose, which only costs an invisible character in a
    rare span, whereas prose taken for code would keep its mentions live.
    """
    spans: list[tuple[int, int]] = []
    position, length = 0, len(prose)
    while position < length:
        tick = prose.find("`", position)
        if tick < 0:
            break
        if _is_escaped(prose, position, tick):
            position = tick + 1
            continue
        run = _BACKTICKS.match(prose, tick)
        assert run is not None  # noqa: S101 - `tick` is a backtick
        end = _closing_run(prose, run.end(), len(run[0]))
        if end is None:
            position = run.end()
            continue
        spans.append((tick, end))
        position = end
    return spans


def _is_escaped(prose: str, position: int, tick: int) -> bool:
    """Whether an odd number of backslashes (after `position`) stands right before `tick`."""
    start = tick
    while start > position and prose[start - 1] == "\\":
        start -= 1
    return (tick - start) % 2 == 1


def _closing_run(prose: str, position: int, width: int) -> int | None:
    """The end of the first run of exactly `width` backticks on this line, if any."""
    line_end = prose.find("\n", position)
    line_end = len(prose) if line_end < 0 else line_end
    for run in _BACKTICKS.finditer(prose, position, line_end):
        if len(run[0]) == width:
            return None if "|" in prose[position : run.start()] else run.end()
    return None


def _split_fences(text: str) -> tuple[list[str], str | None]:
    """Even indexes are prose, odd ones fenced code (fence lines included); and the fence
    still open at the end (GitHub shows the rest as code), if any."""
    parts: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if fence is None:
            opener = _FENCE_OPEN.fullmatch(bare)
            if opener and not (opener[1][0] == "`" and "`" in opener[2]):
                parts.append("".join(current))
                current, fence = [], opener[1]
        elif (closer := _FENCE_CLOSE.fullmatch(bare)) and _closes(closer[1], fence):
            current.append(line)
            parts.append("".join(current))
            current, fence = [], None
            continue
        current.append(line)
    parts.append("".join(current))
    return parts, fence


def _closes(run: str, fence: str) -> bool:
    return run[0] == fence[0] and len(run) >= len(fence)


def fit(text: str, limit: int, url: str, *, at_mentions: bool, html: bool) -> str:
    """`text` neutralised and within `limit` characters.

    A longer text is cut first and neutralised after, so the cut cannot split what
    neutralising relies on (a code span cut in half is prose again); a fence left open
    is closed, and room is kept for what neutralising adds.
    """
    safe = neutralize(text, at_mentions=at_mentions, html=html)
    if len(safe) <= limit:
        return safe
    note = CUT_NOTE.format(url=url)
    room = limit - len(note)
    bound = _growth(text[:room])
    start, closer = "", ""
    for _ in range(3):  # a shorter start may leave another fence open
        start = text[: max(0, room - bound - len(closer))].rstrip()
        _parts, fence = _split_fences(start)
        needed = f"\n{fence}" if fence else ""
        if len(needed) <= len(closer):
            break
        closer = needed
    _parts, fence = _split_fences(start)
    start += f"\n{fence}" if fence else ""
    return neutralize(start, at_mentions=at_mentions, html=html) + note


def _growth(text: str) -> int:
    """At most how many characters neutralising adds to `text`."""
    return 3 * text.count("<") + sum(text.count(char) for char in "@\uff20\ufe6b#-/")


def cut(text: str, limit: int, url: str) -> str:
    """`text` if it fits in `limit` characters, else its start plus a note linking the rest."""
    if len(text) <= limit:
        return text
    note = CUT_NOTE.format(url=url)
    return text[: max(0, limit - len(note))].rstrip() + note


def normalize(text: str) -> str:
    """Text as compared for equality: line endings and trailing blanks do not count."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
