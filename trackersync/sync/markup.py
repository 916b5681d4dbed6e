"""Mirrored text that is safe to post: no pings, no injected HTML, within size limits.

Conversion between Jira wiki markup and Markdown is each connector's business (the wiki
dialect is Jira's); this module holds the rules that apply to any mirrored text.
"""

from __future__ import annotations

import re

# `@login` and `@org/team`, not e-mail addresses (a word character before the @).
_MENTION = re.compile(r"(?<![\w`/])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?)")
_HTML_TAG = re.compile(r"<(?=/?[A-Za-z!?])")
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)

CUT_NOTE = "\n\n*(cut by trackersync: the original is longer, see {url})*"


def neutralize(text: str, *, at_mentions: bool, html: bool) -> str:
    """Defuse `@mentions` (as code) and raw HTML tags, leaving code blocks and spans alone."""
    if not text or not (at_mentions or html):
        return text
    return "".join(
        chunk if is_code else _defuse(chunk, at_mentions=at_mentions, html=html)
        for chunk, is_code in _split_code(text)
    )


def _defuse(chunk: str, *, at_mentions: bool, html: bool) -> str:
    if html:
        chunk = _HTML_TAG.sub("&lt;", chunk)
    if at_mentions:
        chunk = _MENTION.sub(lambda m: f"`@{m[1]}`", chunk)
    return chunk


def _split_code(text: str) -> list[tuple[str, bool]]:
    """Split Markdown into (chunk, is_code) by fenced blocks, then by code spans."""
    pieces: list[tuple[str, bool]] = []
    for index, block in enumerate(_split_fences(text)):
        if index % 2:
            pieces.append((block, True))
            continue
        position = 0
        for match in _CODE_SPAN.finditer(block):
            pieces.append((block[position : match.start()], False))
            pieces.append((match[0], True))
            position = match.end()
        pieces.append((block[position:], False))
    return pieces


def _split_fences(text: str) -> list[str]:
    # Even indexes are prose, odd ones fenced code (fence lines included).
    parts: list[str] = []
    position = 0
    inside: str | None = None
    for match in _FENCE.finditer(text):
        fence = match[1]
        if inside is None:
            parts.append(text[position : match.start()])
            position, inside = match.start(), fence
        elif fence == inside:
            end = text.find("\n", match.end())
            end = len(text) if end < 0 else end + 1
            parts.append(text[position:end])
            position, inside = end, None
    # The rest lands on an odd index (code) exactly when a fence is still open, which is
    # how renderers treat an unclosed fence.
    parts.append(text[position:])
    return parts


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
