"""What a mapped issue was made from, so that reading it again unchanged costs no mapping.

Mapping an issue (above all its wiki → Markdown conversion, 5-20 ms) is the CPU of a
pull. The cycle after a write-heavy one re-reads every issue it wrote, and nothing in
that re-read is new: the store already holds the Task. Timestamps cannot tell: after a
write, the stored `updated` is an estimate (`written`), not Jira's own.

So every Task made from issue JSON (a pull, a read-back, or the JSON `written` builds
from what was sent) keeps in `raw[SEEN]` a digest of each part of the JSON the mapping
reads, `updated` and `created` excepted. A Task `written.edited` builds from a stored one
gets the digests of what it sent in place of the old ones (`after_edit`). A pull that
re-reads an issue whose parts all have the stored digests, and whose comments are the
stored ones (id and `updated`: Jira moves `updated` on every edit), takes the stored
Task with the re-read times (`reused`) instead of mapping it.

A part Jira shows differently from what was sent (whitespace, order, a name) has another
digest: that costs a mapping, never a wrong skip. A person's edit of anything the mapping
reads changes a digest, or the comment list, and is mapped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trackersync.connectors.jira import mapping
from trackersync.errors import MalformedData
from trackersync.sync.model import Comment, Task

# The key in `Task.raw` (persisted with the task as JSON: no schema change).
SEEN = "seen"
# Raised whenever the mapping starts reading something more: older digests then differ.
VERSION = 1
# Every part `parts` digests, in the order `raw[SEEN]` holds their digests: one string
# (16 hex digits a part) costs a store of 100k issues far less memory than a dict each.
PARTS = (
    "context",
    "marker",
    "creator",
    "summary",
    "description",
    "status",
    "assignee",
    "labels",
    "fixVersions",
    "other",
    "flagged",
    "people",
)
_WIDTH = 16
# MalformedData: a time `mapping.parse_time` cannot read.
_READ_ERRORS = (KeyError, TypeError, AttributeError, ValueError, MalformedData)


def digest(value: Any) -> str:
    """A short digest of a JSON value (64 bits: a collision needs billions of edits)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


_NONE = digest(None)


def _mentions(fields: Mapping[str, Any]) -> bool:
    """Whether a mention (`[~name]`) may be in the description or a comment: only then do
    people's display names reach the Markdown."""
    page = fields.get("comment") or {}
    texts = [fields.get("description"), *(c.get("body") for c in page.get("comments") or [])]
    return any("[~" in str(text or "") for text in texts)


def parts(raw: Mapping[str, Any], *, flagged_field: str | None, base_url: str) -> str | None:
    """The digest of each part of issue JSON `raw` that `mapping.task_from_issue` reads,
    times and comments apart; None when the JSON is too odd to say."""
    try:
        fields = raw["fields"]
        status = fields.get("status") or {}
        values = {
            "context": [VERSION, base_url, raw.get("key"), str(raw.get("id", ""))],
            "marker": mapping.twin_of(dict(raw)),
            # Whether the marker counts (`by_trackersync`) depends on who created it.
            "creator": mapping.identity(mapping.creator_of(fields)),
            "summary": fields.get("summary") or "",
            "description": fields.get("description") or "",
            "status": [
                status.get("name"),
                (status.get("statusCategory") or {}).get("key"),
                (fields.get("resolution") or {}).get("name"),
            ],
            "assignee": mapping.user_id(fields.get("assignee")),
            "labels": list(fields.get("labels") or ()),
            "fixVersions": [v.get("name") for v in fields.get("fixVersions") or []],
            "other": [
                fields.get("duedate"),
                (fields.get("issuetype") or {}).get("name"),
                (fields.get("parent") or {}).get("key"),
                mapping.links_of(fields),
                mapping.files_of(fields),
            ],
            "flagged": [flagged_field, bool(fields.get(flagged_field)) if flagged_field else False],
            # Display names only matter to a mention; without one they are not compared
            # (an assignee we set is sent without its display name).
            "people": mapping.people_of(fields) if _mentions(fields) else None,
        }
    except _READ_ERRORS:
        return None
    return _joined({name: digest(value) for name, value in values.items()})


def vouched_creator(
    raw: Mapping[str, Any], stored: Task | None, *, base_url: str
) -> mapping.Identity | None:
    """The API user's identity, known without `GET /myself`: the creator of an issue the
    store holds as trackersync's own, when it is the same issue (site, key, id) with the
    same creator as when its marker was checked. Jira never changes who created an issue
    (where a server sends only a reporter, a changed reporter changes the digest)."""
    if stored is None or not stored.by_trackersync:
        return None
    kept = _split(stored.raw.get(SEEN))
    if kept is None:
        return None
    try:
        creator = mapping.identity(mapping.creator_of(raw["fields"]))
        context = [VERSION, base_url, raw.get("key"), str(raw.get("id", ""))]
    except _READ_ERRORS:
        return None
    if creator is None or kept["creator"] != digest(creator):
        return None
    return creator if kept["context"] == digest(context) else None


def _joined(digests: Mapping[str, str]) -> str:
    return "".join(digests[name] for name in PARTS)


def _split(kept: Any) -> dict[str, str] | None:
    """The digests by part in `raw[SEEN]`; None when absent or of another layout."""
    if not isinstance(kept, str) or len(kept) != _WIDTH * len(PARTS):
        return None
    return {name: kept[i * _WIDTH : (i + 1) * _WIDTH] for i, name in enumerate(PARTS)}


def same_comments(raw: Mapping[str, Any], stored: Iterable[Comment]) -> bool:
    """Whether the issue's comments are exactly the `stored` ones, by id and `updated`."""
    try:
        page = raw["fields"].get("comment") or {}
        inline = page.get("comments") or []
        if int(page.get("total") or 0) > len(inline):
            return False  # cut short: the mapping reads the rest
        found = {str(c["id"]): mapping.parse_time(c.get("updated") or c["created"]) for c in inline}
    except _READ_ERRORS:
        return False
    held = {c.id: c.updated_at for c in stored}
    return len(found) == len(inline) and found == held


def reused(
    raw: Mapping[str, Any], stored: Task | None, *, flagged_field: str | None, base_url: str
) -> Task | None:
    """`stored` with the times of `raw` when `raw` is the issue it was made from, else
    None (then the issue is mapped). Comments stay in the store, unchanged."""
    if stored is None:
        return None
    kept = stored.raw.get(SEEN)
    if _split(kept) is None:
        return None
    if not same_comments(raw, stored.comments):
        return None
    if parts(raw, flagged_field=flagged_field, base_url=base_url) != kept:
        return None
    try:
        fields = raw["fields"]
        created = mapping.parse_time(fields["created"])
        updated = mapping.parse_time(fields["updated"])
        people, files = mapping.people_of(fields), mapping.files_of(fields)
    except _READ_ERRORS:
        return None
    # Names and files as the mapping keeps them (what later conversions use).
    extra = {k: v for k, v in stored.raw.items() if k not in ("people", "files")}
    extra |= ({"people": people} if people else {}) | ({"files": files} if files else {})
    return stored.model_copy(
        update={"created_at": created, "updated_at": updated, "comments": (), "raw": extra}
    )


def after_edit(  # noqa: PLR0913 - the stored digests and what the write changed
    kept: Any,
    sent: Mapping[str, Any],
    *,
    after: tuple[Mapping[str, Any], Mapping[str, Any] | None] | None,
    versions: Sequence[str] | None,
    flagged_field: str | None,
) -> str | None:
    """The digests of an issue after a `PUT` of the REST fields `sent` and transitions
    ending in `after` (`versions`: the fixVersion names sent), from those `kept` before;
    None when they cannot be known (then the next pull maps the issue)."""
    old = _split(kept)
    if old is None:
        return None
    if (
        not {"summary", "description", "labels", "assignee", "fixVersions", flagged_field}
        >= sent.keys()
    ):
        return None  # a field this function does not know
    new = dict(old)
    if "description" in sent and "[~" in str(sent["description"] or ""):
        return None  # a mention: its name comes from people we may not know
    if old["people"] != _NONE and ("description" in sent or "assignee" in sent):
        return None  # mentions whose names (or presence) this write may change
    if "summary" in sent:
        new["summary"] = digest(sent["summary"] or "")
    if "description" in sent:
        new["description"] = digest(sent["description"] or "")
    if "labels" in sent:
        new["labels"] = digest(list(sent["labels"] or ()))
    if "assignee" in sent:
        new["assignee"] = digest(mapping.user_id(sent["assignee"]))
    if "fixVersions" in sent:
        if versions is None:
            return None
        new["fixVersions"] = digest(list(versions))
    if flagged_field is not None and flagged_field in sent:
        new["flagged"] = digest([flagged_field, bool(sent[flagged_field])])
    if after is not None:
        status, resolution = after
        new["status"] = digest(
            [
                status.get("name"),
                (status.get("statusCategory") or {}).get("key"),
                (resolution or {}).get("name"),
            ]
        )
    return _joined(new)
