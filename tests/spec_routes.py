"""Where the sandboxes' URLs meet the official API descriptions, and every liberty taken.

The spec referee (tests/spec_referee.py) judges by the vendored descriptions except here:
- GitHub Enterprise serves the REST API under `/api/v3`; the description's paths start
  after it, so the prefix is mapped away.
- Jira's description is v3 (`/rest/api/3/...`); v2 has the same operations with wiki-markup
  strings where v3 has ADF documents, so `/rest/api/2/` is validated as `/rest/api/3/`.
  No exemption is needed for that: the kept v3 schemas leave the ADF fields untyped
  (`Comment.body` has no type; `fields` of IssueBean / IssueUpdateDetails is an open map),
  so v2 strings validate as they are. test_specs_referee.py checks this stays true.
- `SERVER_ONLY` lists the few endpoints that Jira Cloud's description does not have at all.
- `nullable_null`: OpenAPI 3.0 `nullable: true` beside `enum` / `oneOf` admits null (the
  validator applies it to `type` only); GitHub sends `state_reason: null`, and documents
  `milestone: null` as the way to clear a milestone. Also a top-level null of a date the
  services clear that way (`CLEARED_BY_NULL`: `due_on`, `releaseDate`).
- Jira writes its timestamps `2026-11-25T19:08:40.123+0100` (Java's `Z` offset, no colon)
  in fields its description marks `date-time` (RFC 3339 wants `+01:00`): that one spelling
  is accepted too (`jira_date_time`), since it is what Jira sends and clients must read.
- Answers the descriptions leave to their general documentation (`unjudged_answer`): a 304
  to a conditional GET, a 401 for bad credentials, a 403/429 rate-limit refusal (remaining
  0 or `retry-after`), and what the sandbox's fault knobs send
  (429s and 5xx standing in for the network and the load balancer).
- An empty body where the description's schema is `{}` (Jira's 204s and property PUTs):
  an empty schema promises nothing, and Jira sends nothing.
Things the descriptions say in prose but not in their schemas are enforced as well
(`REQUIRED_IN_PROSE`, and properties whose description says "Deprecated").
Nothing else may differ: a request to any other undescribed path is a violation.
"""

from __future__ import annotations

import re
from typing import Any

from rfc3339_validator import validate_rfc3339  # what openapi-core checks date-time with
from werkzeug.routing import Map

from trackersync.sandbox.core import FAULT_KEY
from trackersync.sandbox.github import GitHubSandbox
from trackersync.sandbox.jira import JiraSandbox

GITHUB_PREFIX = "/api/v3"
JIRA_V2, JIRA_V3 = "/rest/api/2/", "/rest/api/3/"

# Requests the Cloud description cannot judge, by (method, path as requested, version
# mapped). Each one says why it is allowed; everything else must be in the description.
SERVER_ONLY: dict[tuple[str, str], str] = {
    # The `jira` library's add_remote_link() first lists application links (the Server /
    # Data Center applinks REST API); trackersync's connectors POST remotelink directly.
    ("GET", "/rest/applinks/latest/listApplicationlinks"): "jira library, applinks (Server)",
    ("GET", "/rest/api/3/applicationlinks"): "jira library, applinks (Server, older)",
}

# Request fields a description calls required in prose, by (method, description path).
REQUIRED_IN_PROSE: dict[tuple[str, str], tuple[str, ...]] = {
    # Version.projectId: "Required when creating a version." (`project` is "Deprecated").
    ("POST", "/rest/api/3/version"): ("projectId",),
}

_JIRA_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d{4}")
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>|\{[^{}]+\}")


def spec_path(system: str, path: str) -> str:
    """The path a request would have in the description (prefix and API version mapped)."""
    if system == "github":
        return path.removeprefix(GITHUB_PREFIX) or "/"
    if path.startswith(JIRA_V2):
        return JIRA_V3 + path.removeprefix(JIRA_V2)
    return path


def jira_date_time(value: object) -> bool:
    """A `date-time` as RFC 3339 has it, or as Jira writes it (offset without a colon)."""
    if not isinstance(value, str):
        return True  # the type check, not the format check, judges non-strings
    return bool(_JIRA_STAMP.fullmatch(value)) or validate_rfc3339(value)


# Request fields whose null clears the value, though the description types them as strings
# only: GitHub clears a milestone's due date with `due_on: null` on PATCH (only a create
# refuses null), and Jira a version's date with `releaseDate: null` on PUT (its
# VersionBean marks a date "set" when the key is present, null included).
CLEARED_BY_NULL = frozenset({"due_on", "releaseDate"})


def nullable_null(detail: Any) -> bool:
    """Whether a jsonschema error is only a null refused by a `nullable: true` schema, or
    a top-level null of `CLEARED_BY_NULL` (never a type error beyond that one null)."""
    schema = detail.schema if isinstance(detail.schema, dict) else {}
    if detail.instance is None and list(detail.absolute_path) in ([n] for n in CLEARED_BY_NULL):
        return detail.validator == "type"
    return detail.instance is None and schema.get("nullable") is True


def unjudged_answer(request: Any, response: Any) -> str | None:
    """Why an answer is not judged against its operation, or None to judge it."""
    status = response.status_code
    if request.environ.get(FAULT_KEY):
        return "a fault knob's answer"
    limited = response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers
    if status in (403, 429) and limited:
        return "a rate-limit refusal, answered by every operation (GitHub: 'Rate limits')"
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    if status == 304 and request.method == "GET" and conditional:
        return "a conditional GET's 304 (GitHub: 'Conditional requests')"
    if status == 401:
        return "bad credentials, answered by every operation"
    return None


def template_of(templates: Any, path: str) -> str | None:
    """The description's template for `path`; a literal segment wins over a parameter."""
    best: tuple[int, str] | None = None
    for template in templates:
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^{}]+\})", template)
        )
        if re.fullmatch(pattern, path):
            candidate = (template.count("{"), template)
            best = candidate if best is None or candidate < best else best
    return None if best is None else best[1]


def shape(template: str) -> str:
    """A path template with every parameter blanked: `/issue/{}` for both notations."""
    return _PARAM.sub("{}", template)


def sandbox_routes(system: str) -> list[tuple[str, str]]:
    """(method, path as the description would spell it, parameters blanked) per route."""
    url_map: Map = GitHubSandbox.url_map if system == "github" else JiraSandbox.url_map
    found: set[tuple[str, str]] = set()
    for rule in url_map.iter_rules():
        path = rule.rule
        if system == "jira":
            path = re.sub(r"^/rest/api/<[^>]+>/", JIRA_V3, path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.add((method, shape(spec_path(system, path))))
    return sorted(found)


def route_operations(system: str, spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(lower-case method, description path template) for every sandbox route.

    Raises LookupError naming the routes the description lacks (less `SERVER_ONLY`).
    """
    by_shape = {shape(template): template for template in spec["paths"]}
    allowed = {(method, shape(path)) for method, path in SERVER_ONLY}
    found: set[tuple[str, str]] = set()
    missing: list[str] = []
    for method, path in sandbox_routes(system):
        template = by_shape.get(path)
        if template is not None and method.lower() in spec["paths"][template]:
            found.add((method.lower(), template))
        elif (method, path) not in allowed:
            missing.append(f"{method} {path}")
    if missing:
        raise LookupError(f"not in the {system} description: {', '.join(missing)}")
    return found
