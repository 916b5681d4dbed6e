"""What a Jira write leaves on an issue, built from what was sent instead of read back.

Jira's write answers carry no issue: `POST /issue` answers `{id, key, self}`, `PUT /issue`
and transitions answer 204. A `GET /issue` after every write was 96-99 % of an initial
sync's Jira reads. What the engine needs from a write (the values it records as bases,
so the next cycle plans nothing) is what was sent, plus what Jira computes:

* the key and id: in the create's answer;
* the status after a transition: its target, named in the transition we chose;
* the resolution: the one sent on the transition's screen;
* the updated (and created) time: the server clock at the answer (its `Date` header).
  It is within a second of Jira's own; the next pull re-reads the issue in any case (it
  changed after the cursor), and replaces what is stored.

What Jira may decide on its own is not guessed: a resolution a post-function picks, the
order of several fixVersions, a project's default assignee not learned yet, a field this
module does not know (a connector change), a mention whose name depends on who is
assigned, whether a restored marker counts (that depends on the creator). Then these
functions return None and the connector reads the issue back with one GET.

Why not `PUT /issue/{key}?returnIssue=true`: Cloud only (Server/Data Center lack it), it
answers before the transitions that follow the edit, and it carries no properties.
Why not one search for every key written: search is not read-after-write consistent on
Cloud ("recent updates might not be immediately visible").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from trackersync.connectors.jira import fingerprint, mapping
from trackersync.connectors.jira.markup import to_markdown
from trackersync.connectors.jira.workflow import Transition
from trackersync.sync.model import Task, says_blocked

# (status JSON, resolution JSON or None) as `GET /issue` shows them.
StatusJson = tuple[dict[str, Any], dict[str, Any] | None]
# The fields a create sends that `created_issue` knows how to read back.
CREATE_FIELDS = frozenset(
    {"project", "issuetype", "summary", "description", "labels", "assignee", "fixVersions"}
)
# What a project fills in on its own, learned from the first create read back (per
# project and issue type): the initial status, creator and reporter, default assignee.
TEMPLATE_FIELDS = ("status", "resolution", "creator", "reporter")


def answered_at(headers: Mapping[str, str]) -> datetime | None:
    """The server clock at an answer: its `Date` header (None without a readable one)."""
    value = headers.get("Date")
    if not value:
        return None
    # Two Date headers arrive joined by a comma; the last one is the application's.
    try:
        return parsedate_to_datetime(value.split("GMT,")[-1].strip()).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def status_after(steps: Sequence[tuple[Transition, Mapping[str, Any]]]) -> StatusJson | None:
    """The status and resolution after the last of `steps`; None when a post-function
    picks the resolution (a done status entered without one sent)."""
    transition, fields = steps[-1]
    status = {"name": transition.to_name, "statusCategory": {"key": transition.to_category}}
    if transition.to_category != "done":
        # Only a done status reads the resolution (canceled or done); whether the
        # workflow clears it on reopening changes nothing we compare.
        return status, None
    sent = (fields.get("resolution") or {}).get("name")
    return (status, {"name": sent}) if sent else None


def learn(template: dict[str, Any], fields: Mapping[str, Any], *, assigned: bool) -> None:
    """Keep what a project filled in on an issue just created (read back once).

    `assigned`: the create named an assignee, so what came back says nothing about the
    project's default one.
    """
    for name in TEMPLATE_FIELDS:
        if name in fields:
            template.setdefault(name, fields[name])
    if not assigned:
        template.setdefault("assignee", fields.get("assignee"))


def created_issue(  # noqa: PLR0913 - the answer, what was sent and what was learned
    answer: Mapping[str, Any],
    sent: Mapping[str, Any],
    marker: str,
    template: Mapping[str, Any],
    version_names: Mapping[str, str],
    moment: datetime,
    flagged_field: str | None = None,
) -> dict[str, Any] | None:
    """The `GET /issue` JSON of an issue just created with the REST fields `sent` (None
    when something in it is Jira's to decide, see the module docstring)."""
    if not CREATE_FIELDS | {flagged_field} >= sent.keys() or "status" not in template:
        return None
    if "assignee" not in sent and "assignee" not in template:
        return None  # the project's default assignee is not known yet
    versions = _versions(sent.get("fixVersions") or [], version_names)
    description = sent.get("description")
    if versions is None or len(versions) > 1 or "[~" in str(description or ""):
        return None
    stamp = moment.isoformat(timespec="milliseconds")
    fields = {
        **template,
        "summary": sent["summary"],
        "description": description,
        "assignee": sent["assignee"] if "assignee" in sent else template["assignee"],
        "labels": list(sent.get("labels") or []),
        "fixVersions": versions,
        "duedate": None,
        "issuetype": sent["issuetype"],
        "parent": None,
        "created": stamp,
        "updated": stamp,
        "comment": {"comments": [], "total": 0},
        "issuelinks": [],
        "attachment": [],
    }
    if flagged_field:
        fields[flagged_field] = sent.get(flagged_field)
    properties = {mapping.PROPERTY: {"twin_of": marker}}
    return {
        "id": answer.get("id"),
        "key": answer["key"],
        "fields": fields,
        "properties": properties,
    }


def moved(raw: dict[str, Any], after: StatusJson, moment: datetime) -> dict[str, Any]:
    """`raw` (from `created_issue`) after transitions that ended in `after`."""
    status, resolution = after
    fields = {**raw["fields"], "status": status, "resolution": resolution}
    fields["updated"] = moment.isoformat(timespec="milliseconds")
    return {**raw, "fields": fields}


def edited(  # noqa: PLR0913 - the item, what was sent, and how Jira shows it
    item: Task,
    sent: Mapping[str, Any],
    *,
    after: StatusJson | None,
    moment: datetime,
    version_names: Mapping[str, str],
    base_url: str,
    flagged_field: str | None,
) -> Task | None:
    """`item` (as pulled) after a `PUT` of the REST fields `sent` and transitions that
    ended in `after` (None: none taken); None when something is Jira's to decide."""
    changes: dict[str, Any] = {"updated_at": max(moment, item.updated_at)}
    raw = dict(item.raw)
    known = {"summary", "description", "labels", "assignee", "fixVersions", flagged_field}
    if not known >= sent.keys():
        return None
    if "summary" in sent or "description" in sent:
        text = _text(item, sent, raw, base_url)
        if text is None:
            return None
        changes |= text
    if "labels" in sent:
        changes["labels"] = tuple(sent["labels"] or ())
    if "assignee" in sent:
        changes["assignees"] = tuple(filter(None, [mapping.user_id(sent["assignee"])]))
    if "fixVersions" in sent:
        versions = _versions(sent["fixVersions"] or [], version_names)
        if versions is None or len(versions) > 1:
            return None  # Jira orders several versions its own way: read them back
        names = tuple(v["name"] for v in versions)
        changes |= {"fix_versions": names, "milestone": names[0] if names else None}
    if flagged_field is not None and flagged_field in sent:
        raw["flagged"] = bool(sent[flagged_field])
    if after is not None:
        status, resolution = after
        changes["status"] = mapping.status_of({"status": status, "resolution": resolution})
        raw |= {
            "statusCategory": status["statusCategory"]["key"],
            "resolution": (resolution or {}).get("name"),
        }
    # What the next pull compares to skip mapping this issue again (`fingerprint`).
    raw.pop(fingerprint.SEEN, None)
    seen = fingerprint.after_edit(
        item.raw.get(fingerprint.SEEN),
        sent,
        after=after,
        versions=changes.get("fix_versions"),
        flagged_field=flagged_field,
    )
    if seen is not None:
        raw[fingerprint.SEEN] = seen
    labels = changes.get("labels", item.labels)
    changes |= {"raw": raw, "blocked": says_blocked({"raw": raw, "labels": labels})}
    return item.model_copy(update=changes)


def _text(
    item: Task, sent: Mapping[str, Any], raw: dict[str, Any], base_url: str
) -> dict[str, Any] | None:
    """Title and body as a pull converts them (the whole title a cut summary keeps on top
    of the description included); `raw` gets the new wiki."""
    if "description" not in sent and "description_wiki" not in raw:
        return None  # stored before the wiki was kept: read it back
    wiki = sent["description"] if "description" in sent else raw["description_wiki"]
    if "assignee" in sent and "[~" in str(wiki or ""):
        return None  # mentions read as names of the people the issue names
    summary = str(sent["summary"]) if "summary" in sent else item.title
    own, _back_link = mapping.split_back_link(wiki or "")
    described = to_markdown(own, raw.get("people") or {}, base_url, raw.get("files"))
    whole = mapping.full_title(summary, described)
    raw["description_wiki"] = wiki or ""
    raw.pop("full_title", None)
    if whole:
        raw["full_title"] = whole
    return {"title": summary, "body": mapping.without_full_title(summary, described)}


def _versions(
    sent: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> list[dict[str, str]] | None:
    """fixVersions as `GET /issue` shows them (`{id, name}`), from the ids or names sent;
    None when one is not known by id."""
    by_name = {name: version for version, name in names.items()}
    shown = []
    for version in sent:
        version_id = str(version.get("id") or by_name.get(str(version.get("name")), ""))
        name = names.get(version_id) or version.get("name")
        if not name:
            return None
        shown.append({"id": version_id, "name": str(name)})
    return shown
