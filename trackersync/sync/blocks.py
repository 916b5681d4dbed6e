"""Block-level text merge: an edit rewrites only the blocks it touched on the other side.

Conversions between Jira wiki markup and Markdown are lossy, so rewriting a whole body
because one paragraph changed damages every other block of the other side (real mentions,
colours, panels, `<details>`...). Instead:

1. The origin's text is split into blocks (paragraphs, headings, list items, tables,
   fenced code, quotes) at its base (its value when the pair was last in step) and now;
   `difflib.SequenceMatcher` over the two block lists says which blocks changed.
2. The pair was in step at the base, so the other side's current text has one block per
   block of the origin's base, in the same order: block i of the base *is* block i there.
   Unchanged blocks are kept from the other side as they stand (byte-identical); changed
   and new blocks come from the carried (converted, neutralised) text; deleted ones go.
3. When that alignment is impossible (the block counts differ, the carried text was cut),
   the whole carried text is used, as before, with a warning.

The Jira connector does the same one level down, in wiki markup: the Markdown it is asked
to write is matched block by block against its current wiki, and a block whose text did
not change keeps its native wiki (`connectors/jira/wiki_blocks.py`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trackersync.sync.markup import normalize

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
# Only a top-level item starts a block: nested items belong to their parent item.
_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_BREAK = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_TABLE = re.compile(r" {0,3}\|")
_QUOTE = re.compile(r" {0,3}>")


@dataclass(frozen=True)
class Grammar:
    """How one markup splits into blocks (`split_blocks`): what each line is, which lines
    open a region running to a closing line (a fence, a `{code}` macro), and which kinds
    of line continue the block above them (nested list items, an item's wrapped text)."""

    kind: Callable[[str], str]
    # The closing-line test of the region a line opens; None for a line that opens none.
    opens: Callable[[str], Callable[[str], bool] | None]
    # The kind a closed region counts as, for the line after it.
    region: str
    # Kinds that always start a block of their own.
    own_block: frozenset[str]
    # A line of a `continuing` kind right under one of a `continued` kind joins its block.
    continuing: frozenset[str]
    continued: frozenset[str]


def split_blocks(text: str, grammar: Grammar) -> list[str]:
    """`text` as blocks by `grammar`; each keeps its trailing newlines, so `"".join`
    gives `text` back. Blank lines end paragraphs and stay with the block above them."""
    blocks: list[list[str]] = []
    closes: Callable[[str], bool] | None = None
    previous, blank = "", True  # kind of the previous non-blank line; after a blank?
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if closes is not None:
            blocks[-1].append(line)
            if closes(bare):
                closes, previous = None, grammar.region
            continue
        if not bare.strip():
            if blocks:
                blocks[-1].append(line)
            blank = True
            continue
        kind = grammar.kind(bare)
        starts = blank or kind in grammar.own_block or kind != previous
        continues = not blank and kind in grammar.continuing and previous in grammar.continued
        if not blocks or (starts and not continues):
            blocks.append([])
        blocks[-1].append(line)
        closes = grammar.opens(bare)
        previous, blank = kind, False
    return ["".join(lines) for lines in blocks]


def _fence_closer(line: str) -> Callable[[str], bool] | None:
    opener = _FENCE.match(line)
    if opener is None:
        return None
    fence = opener[1]

    def closes(bare: str) -> bool:
        closer = _FENCE.match(bare)
        return bool(closer and closer[1][0] == fence[0] and len(closer[1]) >= len(fence))

    return closes


def markdown_blocks(text: str) -> list[str]:
    """`text` as blocks; each keeps its trailing newlines, so `"".join` gives `text` back.

    A list item (with its nested items and continuation lines), a heading, a fenced code
    block, a whole table and a whole quote are one block each; paragraphs end at blank
    lines. A `---`/`===` line under a paragraph stays with it (it makes it a heading).
    """
    return split_blocks(text, MARKDOWN)


def _kind(line: str) -> str:
    """What a non-blank line outside a fence opens ("" for paragraph text)."""
    if _FENCE.match(line):
        return "fence"
    if _HEADING.match(line):
        return "heading"
    if _BREAK.match(line):
        return "break"
    if _ITEM.match(line):
        return "item"
    if _TABLE.match(line):
        return "table"
    if _QUOTE.match(line):
        return "quote"
    return ""


MARKDOWN = Grammar(
    kind=_kind,
    opens=_fence_closer,
    region="fence",
    own_block=frozenset({"fence", "heading", "item", "break"}),
    continuing=frozenset({""}),
    continued=frozenset({"item"}),
)


def merge_blocks(base: str, new: str, mirror: str, carried: str) -> str | None:
    """The mirror's text with only the blocks that changed from `base` to `new` replaced
    by their `carried` form; None when the blocks cannot be aligned (see the module)."""
    old_blocks, new_blocks = markdown_blocks(base), markdown_blocks(new)
    mirror_blocks, carried_blocks = markdown_blocks(mirror), markdown_blocks(carried)
    if len(mirror_blocks) != len(old_blocks) or len(carried_blocks) != len(new_blocks):
        return None
    keys = [normalize(b) for b in old_blocks], [normalize(b) for b in new_blocks]
    return splice(*keys, mirror_blocks.__getitem__, carried_blocks.__getitem__)


def splice(
    old: Sequence[str],
    new: Sequence[str],
    keep: Callable[[slice], Sequence[str]],
    replace: Callable[[slice], Sequence[str]],
) -> str:
    """Blocks `keep(i1:i2)` where the keys `old` and `new` agree, `replace(j1:j2)` where
    `new` differs, joined so that each block still ends its line."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    pieces: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pieces.extend(keep(slice(i1, i2)) if tag == "equal" else replace(slice(j1, j2)))
    return join_blocks(pieces)


def join_blocks(pieces: Sequence[str]) -> str:
    """Blocks as one text: a block that lost its line end (it was the last one) gets a
    blank line before the next block."""
    out: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\n"
        out.append(piece)
    return "".join(out)
