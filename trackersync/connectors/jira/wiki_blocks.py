"""Writing Markdown over a Jira text without rewriting the wiki blocks it did not change.

The engine hands the connector the whole new Markdown (with the blocks it did not change
taken from this side's current text, see `sync/blocks.py`). Converting all of it back to
wiki would lose what Markdown cannot say (real mentions, `{color}`, `{panel}`), so the
current wiki is split into blocks, each block is matched with the new Markdown's blocks
(`difflib`, by its Markdown form or by the wiki the new block would become), and matched
blocks keep their wiki byte for byte; only the rest is converted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from trackersync.connectors.jira.markup import to_markdown, to_wiki
from trackersync.sync.blocks import Grammar, markdown_blocks, splice, split_blocks
from trackersync.sync.markup import normalize

# Macros whose body spans lines: the block runs to the closing macro.
_MACRO = re.compile(r"\{(code|noformat|panel|quote)(?::[^}\n]*)?\}")
_HEADING = re.compile(r"h[1-6]\.[ \t]")
# A top-level list item (nested ones, `** x`, belong to their parent).
_ITEM = re.compile(r"[*#-][ \t]")
_NESTED = re.compile(r"[*#-]{2,}[ \t]")
_RULE = re.compile(r"-{4,}[ \t]*$")


def wiki_blocks(wiki: str) -> list[str]:
    """`wiki` as blocks that keep their trailing newlines (`"".join` gives `wiki` back):
    paragraphs, headings, top-level list items with their nested items, whole tables,
    rules and `{code}`/`{noformat}`/`{panel}`/`{quote}` blocks."""
    return split_blocks(wiki, WIKI)


def _kind(line: str) -> str:
    if _MACRO.match(line):
        return "macro"
    if _HEADING.match(line):
        return "heading"
    if _RULE.match(line):
        return "rule"
    if _ITEM.match(line):
        return "item"
    if _NESTED.match(line):
        return "nested"
    if line.startswith("|"):
        return "table"
    return ""


def _macro_closer(line: str) -> Callable[[str], bool] | None:
    """A macro opened and not closed on `line` runs to its closing tag."""
    opener = _MACRO.match(line)
    if opener is None:
        return None
    closing = "{" + opener[1] + "}"
    if closing in line[opener.end() :]:
        return None
    return lambda bare: closing in bare


WIKI = Grammar(
    kind=_kind,
    opens=_macro_closer,
    region="macro",
    own_block=frozenset({"macro", "heading", "item", "rule"}),
    continuing=frozenset({"", "nested"}),
    continued=frozenset({"item", "nested"}),
)


def merge_wiki(current: str, markdown: str, convert: Callable[[str], str] = to_markdown) -> str:
    """Wiki for `markdown` that keeps each block of `current` whose text is unchanged;
    `convert` is the wiki → Markdown conversion the pull used (people, attachments).

    Without any block in common the whole Markdown is converted (as before).
    """
    if not current or not markdown:
        return to_wiki(markdown)
    old = wiki_blocks(current)
    new = markdown_blocks(markdown)
    old_keys = [normalize(convert(block)) for block in old]
    by_wiki = {normalize(block): key for block, key in zip(old, old_keys, strict=True)}
    known = set(old_keys)
    new_keys = []
    for block in new:
        key = normalize(block)
        if key not in known:
            key = by_wiki.get(normalize(to_wiki(block)), key)
        new_keys.append(key)
    if not known & set(new_keys):
        return to_wiki(markdown)

    def converted(where: slice) -> Sequence[str]:
        text = "".join(new[where])
        tail = text[len(text.rstrip("\n")) :]
        return [to_wiki(text) + tail]

    merged = splice(old_keys, new_keys, old.__getitem__, converted)
    return merged if current.endswith("\n") else merged.rstrip("\n")
