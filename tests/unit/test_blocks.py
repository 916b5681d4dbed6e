"""Block-level merge: blocks split and join losslessly, an edit replaces only its blocks,
the Jira connector keeps the wiki of unchanged blocks, and `plan` writes merged bodies."""

from __future__ import annotations

import pytest
from builders import make_link, make_task

from trackersync.connectors.jira.markup import to_markdown
from trackersync.connectors.jira.wiki_blocks import merge_wiki, wiki_blocks
from trackersync.sync.actions import Update
from trackersync.sync.blocks import markdown_blocks, merge_blocks
from trackersync.sync.plan import LinkState, plan

J1, G1 = "jira:WEB#WEB-1", "gh:acme/web#1"

MARKDOWN_SPLITS = [
    ("a\nb\n\nc", ["a\nb\n\n", "c"]),
    ("# T\npara\n", ["# T\n", "para\n"]),
    ("- a\n  - nested\n- b\n", ["- a\n  - nested\n", "- b\n"]),
    ("para\n---\n\nnext", ["para\n---\n\n", "next"]),
    ("```\nx\n\ny\n```\nz", ["```\nx\n\ny\n```\n", "z"]),
    ("| a | b |\n|---|---|\n| 1 | 2 |\n\nafter", ["| a | b |\n|---|---|\n| 1 | 2 |\n\n", "after"]),
]
WIKI_SPLITS = [
    ("h1. T\npara", ["h1. T\n", "para"]),
    ("* a\n** nested\n* b", ["* a\n** nested\n", "* b"]),
    ("{panel}\nx\n\ny\n{panel}\nz", ["{panel}\nx\n\ny\n{panel}\n", "z"]),
    ("||h||\n|c|\n\npara", ["||h||\n|c|\n\n", "para"]),
    ("para\n----\nnext", ["para\n", "----\n", "next"]),
]


@pytest.mark.parametrize(("text", "blocks"), MARKDOWN_SPLITS)
def test_markdown_splits_into_blocks_that_join_back(text: str, blocks: list[str]) -> None:
    assert markdown_blocks(text) == blocks
    assert "".join(blocks) == text


@pytest.mark.parametrize(("text", "blocks"), WIKI_SPLITS)
def test_wiki_splits_into_blocks_that_join_back(text: str, blocks: list[str]) -> None:
    assert wiki_blocks(text) == blocks
    assert "".join(blocks) == text


def test_an_edited_block_replaces_only_its_mirror_block() -> None:
    merged = merge_blocks("a\n\nb\n\nc", "a\n\nB2\n\nc\n\nd", "A*\n\nb*\n\nC*", "a\n\nB2\n\nc\n\nd")
    assert merged == "A*\n\nB2\n\nC*\n\nd"


def test_blocks_that_do_not_line_up_give_no_merge() -> None:
    assert merge_blocks("a\n\nb", "a\n\nc", "a b together", "a\n\nc") is None


def test_jira_keeps_the_native_wiki_of_unchanged_blocks() -> None:
    wiki = (
        "Hi [~accountid:5b10a] see {color:red}red{color}\n\n"
        "{panel:title=Note}\nkeep me\n{panel}\n\nold last"
    )
    markdown = to_markdown(wiki).replace("old last", "new *last*")
    merged = merge_wiki(wiki, markdown)
    assert merged.startswith(wiki[: wiki.index("old last")])
    assert merged.endswith("new _last_")


def test_jira_converts_everything_when_no_block_is_unchanged() -> None:
    assert merge_wiki("old text", "**new**") == "*new*"


def test_plan_writes_only_the_edited_block_of_a_github_body() -> None:
    # GitHub holds a `<details>` block its author wrote; Jira edits another block.
    github_body = "<details><summary>s</summary>x</details>\n\nsecond"
    jira_base = "&lt;details&gt;<summary>s</summary>x</details>\n\nsecond"
    state = LinkState(twins={J1: G1}, bases={(J1, "body"): (jira_base, github_body)})
    source = make_task(J1, body=jira_base.replace("second", "second, edited"), minutes=1)
    target = make_task(G1, body=github_body)
    result = plan(state, [source], [target], make_link(fields=("body",)))
    [update] = [a for a in result.actions if isinstance(a, Update)]
    assert update.changes.body == "<details><summary>s</summary>x</details>\n\nsecond, edited"


def test_plan_warns_when_it_rewrites_a_body_whole() -> None:
    state = LinkState(twins={J1: G1}, bases={(J1, "body"): ("a\n\nb", "a b")})
    source = make_task(J1, body="a\n\nc", minutes=1)
    result = plan(state, [source], [make_task(G1, body="a b")], make_link(fields=("body",)))
    [update] = [a for a in result.actions if isinstance(a, Update)]
    assert update.changes.body == "a\n\nc"
    assert any("block by block" in warning for warning in result.warnings)
