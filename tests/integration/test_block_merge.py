"""Property: an edit of one block on either side of a pair rewrites only that block on the
other side; every other block stays byte-identical in its native markup (wiki on Jira,
Markdown on GitHub), and the edited text arrives. Real clients against both sandboxes.

Documents are blocks separated by blank lines. The generated blocks are those the
conversions keep one block for one block (paragraphs with mentions and colours, headings,
list items, panels, code, `<details>` on one line); a block the conversion splits or
joins makes alignment impossible, and the merge then falls back to a whole rewrite (see
`trackersync/sync/blocks.py`).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import PROJECT, REPO, World

from trackersync.connectors.github.mapping import split_footer
from trackersync.connectors.jira.mapping import split_back_link
from trackersync.connectors.jira.wiki_blocks import wiki_blocks
from trackersync.sync.blocks import markdown_blocks

WORD = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "kappa"])
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
MENTION = "[~accountid:5b10a2844c20165700ede21g]"

WIKI_BLOCK = st.one_of(
    PHRASE,
    PHRASE.map(lambda p: f"{p} {MENTION} said {{color:red}}{p}{{color}}"),
    PHRASE.map(lambda p: f"h2. {p}"),
    PHRASE.map(lambda p: f"* {p}"),
    PHRASE.map(lambda p: f"{{panel:title=Note}}\n{p}\n{{panel}}"),
    PHRASE.map(lambda p: f"{{code:python}}\nprint('{p}')\n{{code}}"),
)
MARKDOWN_BLOCK = st.one_of(
    PHRASE,
    PHRASE.map(lambda p: f"<details><summary>{p}</summary>more {p}</details>"),
    PHRASE.map(lambda p: f"## {p}"),
    PHRASE.map(lambda p: f"- {p}"),
    PHRASE.map(lambda p: f"**{p}** and _{p}_"),
    PHRASE.map(lambda p: f"```python\nprint('{p}')\n```"),
)
EDIT = "edited zanzibar"


def _jira_blocks(world: World, key: str) -> list[str]:
    # On a mirror, the description's last line is trackersync's link back, as Jira shows it.
    own, _link = split_back_link(world.jira.issue(key)["fields"]["description"] or "")
    return wiki_blocks(own)


def _github_blocks(world: World, number: str) -> list[str]:
    return markdown_blocks(split_footer(world.github.issue(REPO, int(number))["body"]).text)


def _edit(world: World, side: str, key: str, number: str, blocks: list[str]) -> None:
    if side == "jira":
        # A person edits above the link back, as on GitHub above the footer.
        _own, link = split_back_link(world.jira.issue(key)["fields"]["description"] or "")
        world.jira.edit_issue(key, description="".join(blocks) + link)
        return
    # A person edits above trackersync's footer (the mirror's marker), as GitHub shows it.
    footer = split_footer(world.github.issue(REPO, int(number))["body"]).footer or ""
    world.github.edit_issue(REPO, int(number), body="".join(blocks) + footer)


def _trimmed(blocks: list[str]) -> list[str]:
    # The last block has no blank line after it; any other block does.
    return [block.rstrip("\n") for block in blocks]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wiki=st.lists(WIKI_BLOCK, min_size=2, max_size=5),
    markdown=st.lists(MARKDOWN_BLOCK, min_size=2, max_size=5),
    original=st.sampled_from(["jira", "github"]),
    edited=st.sampled_from(["jira", "github"]),
    index=st.integers(0, 4),
)
def test_one_block_edit_rewrites_only_that_block(
    tmp_path_factory, wiki: list[str], markdown: list[str], original: str, edited: str, index: int
) -> None:
    world = World(Path(tmp_path_factory.mktemp("world")))
    try:
        world.jira.create_issue(PROJECT, "from jira", "\n\n".join(wiki))
        world.github.create_issue(REPO, "from github", "\n\n".join(markdown))
        assert world.sync().failures == []
        pairs = world.pairs()
        # WEB-1 was written on Jira, acme/web#1 on GitHub; each has a mirror.
        key = "WEB-1" if original == "jira" else next(k for k, n in pairs.items() if n == "1")
        number = pairs[key]
        read = {
            "jira": lambda: _jira_blocks(world, key),
            "github": lambda: _github_blocks(world, number),
        }
        mirror = "github" if edited == "jira" else "jira"
        blocks, before = read[edited](), _trimmed(read[mirror]())
        index %= len(blocks)
        # A paragraph replacing an item of a tight list needs a blank line above it, or
        # both markups read it as that list's previous item going on.
        above = "\n" if index and not blocks[index - 1].endswith("\n\n") else ""
        blocks[index] = above + EDIT + ("\n\n" if index < len(blocks) - 1 else "")
        _edit(world, edited, key, number, blocks)
        assert world.sync().failures == []
        after = _trimmed(read[mirror]())
        assert len(after) == len(before)
        assert after[:index] == before[:index]
        assert after[index + 1 :] == before[index + 1 :]
        assert "zanzibar" in after[index]
    finally:
        world.close()


def _mirror_comment_blocks(world: World, key: str) -> list[str]:
    [comment] = world.jira.issue(key)["fields"]["comment"]["comments"]
    return _trimmed(wiki_blocks(comment["body"]))


def test_a_comment_edit_rewrites_only_its_block_in_the_mirror(tmp_path: Path) -> None:
    """Mirrored comments are trackersync's own text, rebuilt from the origin on each edit:
    blocks convert one by one, so the mirror's other blocks come out byte-identical."""
    world = World(tmp_path)
    try:
        world.github.create_issue(REPO, "from github", "body")
        text = "first *one*\n\n- item\n\n```\ncode\n```\n\nlast [x](https://example.com/)"
        comment = world.github.add_comment(REPO, 1, text)
        assert world.sync().failures == []
        key = next(k for k, n in world.pairs().items() if n == "1")
        before = _mirror_comment_blocks(world, key)
        world.github.edit_comment(REPO, int(comment["id"]), text.replace("- item", "- changed"))
        assert world.sync().failures == []
        after = _mirror_comment_blocks(world, key)
        changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert len(changed) == 1
        assert "changed" in after[changed[0]]
    finally:
        world.close()


def _github_mirror_comment_blocks(world: World, number: str) -> list[str]:
    [comment] = world.github.comments(REPO, int(number))
    return _trimmed(markdown_blocks(comment["body"]))


def test_a_jira_comment_edit_rewrites_only_its_block_in_the_github_mirror(tmp_path: Path) -> None:
    """The other direction: a Jira comment with a panel, a colour and a mention; editing
    one paragraph changes only that paragraph's block in the GitHub copy."""
    world = World(tmp_path)
    try:
        world.jira.create_issue(PROJECT, "from jira", "body")
        key = f"{PROJECT}-1"
        text = (
            f"first {MENTION} said {{color:red}}hot{{color}}\n\n"
            "{panel:title=Note}\ninside the panel\n{panel}\n\n"
            "* one\n* two\n\n"
            "last paragraph"
        )
        comment = world.jira.add_comment(key, text)
        assert world.sync().failures == []
        number = world.pairs()[key]
        before = _github_mirror_comment_blocks(world, number)
        world.jira.edit_comment(key, comment["id"], text.replace("last paragraph", "zanzibar"))
        assert world.sync().failures == []
        after = _github_mirror_comment_blocks(world, number)
        changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert len(changed) == 1
        assert "zanzibar" in after[changed[0]]
    finally:
        world.close()
