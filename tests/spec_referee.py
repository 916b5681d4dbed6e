"""The official API descriptions as referee: every sandbox exchange checked against them.

`Referee` is a sandbox observer (`trackersync.sandbox.core.observing`): for each request
a sandbox answers it checks the request (path, method, query parameters, JSON body) and
the answer (status, headers, JSON body) against GitHub's REST description or Jira Cloud's
platform description, vendored trimmed in tests/openapi/, and keeps every violation.
tests/conftest.py installs one around every test and fails the test at teardown when it
found any. What the descriptions cannot judge, and why, is all in tests/spec_routes.py.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.exceptions import MissingData
from openapi_core.validation.response.validators import V30ResponseValidator
from spec_routes import (
    REQUIRED_IN_PROSE,
    SERVER_ONLY,
    jira_date_time,
    nullable_null,
    spec_path,
    template_of,
    unjudged_answer,
)
from werkzeug.wrappers import Request, Response

from trackersync.sandbox.core import SandboxApp
from trackersync.sandbox.github import GitHubSandbox

SPECS = Path(__file__).parent / "openapi"


class RequestJudge(V30RequestValidator):
    """Parameters and body, in one path look-up; credentials are not judged here: tests
    send wrong ones on purpose, and Data Center's bearer PATs are not in Cloud's schemes."""

    def _get_security(self, parameters: Any, operation: Any) -> None:
        return None


@dataclass(frozen=True)
class Judges:
    """One system's description, loaded and checked once, with its three validators."""

    document: dict[str, Any]
    request: RequestJudge
    response: V30ResponseValidator
    enum_keys: frozenset[str]

    @property
    def server(self) -> str:
        return str(self.document["servers"][0]["url"])

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """(template, operation object) for a request path as the description spells it."""
        template = template_of(self.document["paths"], path)
        if template is None:
            return None
        operation = self.document["paths"][template].get(method.lower())
        return None if operation is None else (template, operation)

    def schema(self, node: dict[str, Any]) -> dict[str, Any]:
        """`node` with a top-level `$ref` followed."""
        while "$ref" in node:
            section, name = node["$ref"].removeprefix("#/components/").split("/", 1)
            node = self.document["components"][section][name]
        return node


@functools.cache
def judges(system: str) -> Judges:
    """The validators for `github` or `jira` (cached: building them costs about a second)."""
    document = json.loads((SPECS / f"{system}.json").read_text(encoding="utf-8"))
    spec = OpenAPI.from_dict(document).spec  # also checks the description itself
    formats: dict[str, Any] = {}
    if system == "jira":
        formats["extra_format_validators"] = {"date-time": jira_date_time}
    return Judges(
        document,
        RequestJudge(spec, **formats),
        V30ResponseValidator(spec, **formats),
        frozenset(_enum_keys(document)),
    )


def _enum_keys(node: Any) -> Iterator[str]:
    """Every property name the description constrains by `enum` somewhere."""
    if isinstance(node, dict):
        for name, schema in (node.get("properties") or {}).items():
            if isinstance(schema, dict) and "enum" in schema:
                yield name
        for value in node.values():
            yield from _enum_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _enum_keys(item)


def shape(value: Any, enum_keys: frozenset[str], key: str = "") -> Any:
    """What a JSON value looks like to a schema: keys, value types, and enum-field values."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v, enum_keys, k)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", frozenset(shape(item, enum_keys) for item in value))
    if key in enum_keys and isinstance(value, str):
        return ("enum", value)
    return type(value).__name__


def one_per_shape(response: Response, enum_keys: frozenset[str]) -> Response:
    """A list answer cut to its first item of each shape (a 100-issue page judged whole
    costs about a second; the items of one shape differ only in free-form values)."""
    data = json.loads(response.get_data() or b"null") if response.is_json else None
    if not isinstance(data, list) or len(data) < 2:
        return response
    kept: dict[Any, Any] = {}
    for item in data:
        kept.setdefault(shape(item, enum_keys), item)
    body = json.dumps(list(kept.values()))
    # A copy of the headers: a Response adopts a Headers object it is given, and setting
    # the cut body would rewrite the real answer's Content-Length.
    return Response(body, status=response.status_code, headers=list(response.headers.items()))


class SpecRequest(WerkzeugOpenAPIRequest):
    """A sandbox request as the description sees it: its server, its path spelling."""

    def __init__(self, request: Request, system: str, server: str) -> None:
        super().__init__(request)
        self._system = system
        self._server = server

    @property
    def host_url(self) -> str:
        return self._server

    @property
    def path(self) -> str:
        return spec_path(self._system, self.request.path)


def describe(error: BaseException) -> str | None:
    """An openapi-core error as one readable line (None when every detail is excused)."""
    cause = error.__cause__ or error.__context__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if not details:
        return f"{error}: {cause}" if cause is not None else str(error)
    kept = [d for d in details if not nullable_null(d)]
    if not kept:
        return None
    where = [f"at {'/'.join(map(str, d.absolute_path)) or '(top)'}: {d.message[:160]}" for d in kept]
    return f"{type(error).__name__}: " + "; ".join(where)


def prose_rules(judge: Judges, request: Request, path: str) -> list[str]:
    """What the description says in words: fields required in prose, deprecated fields."""
    found = judge.operation(request.method, path)
    body = request.get_json(silent=True) if request.data else None
    if found is None or not isinstance(body, dict):
        return []
    template, operation = found
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    properties = judge.schema(content.get("schema", {})).get("properties", {})
    problems = [
        f"sends `{name}`: {properties[name].get('description', 'deprecated')}"
        for name in body
        if name in properties
        and (
            properties[name].get("deprecated") is True
            or str(properties[name].get("description", "")).startswith("Deprecated")
        )
    ]
    for name in REQUIRED_IN_PROSE.get((request.method, template), ()):
        if name not in body:
            problems.append(f"lacks `{name}`: {properties[name].get('description', '')}")
    return problems


def empty_schema_answer(judge: Judges, request: Request, path: str, status: int) -> bool:
    """Whether the description's schema for this answer is `{}` (promises no body)."""
    found = judge.operation(request.method, path)
    if found is None:
        return False
    answer = found[1].get("responses", {}).get(str(status), {})
    schemas = [media.get("schema") for media in answer.get("content", {}).values()]
    return bool(schemas) and all(schema == {} for schema in schemas)


def check(system: str, request: Request, response: Response | None) -> list[str]:
    """Every way `request` (and `response`, if given) departs from the description."""
    path = spec_path(system, request.path)
    if (request.method, path) in SERVER_ONLY:
        return []
    judge = judges(system)
    wrapped = SpecRequest(request, system, judge.server)
    errors = list(judge.request.iter_errors(wrapped))
    if response is not None and unjudged_answer(request, response) is None:
        answer = WerkzeugOpenAPIResponse(one_per_shape(response, judge.enum_keys))
        errors.extend(
            error
            for error in judge.response.iter_errors(wrapped, answer)
            if not (
                isinstance(error, MissingData)
                and empty_schema_answer(judge, request, path, response.status_code)
            )
        )
    lines = [describe(error) for error in errors]
    return [line for line in lines if line] + prose_rules(judge, request, path)


@dataclass
class Cost:
    """What refereeing cost this session: exchanges judged, CPU seconds spent judging."""

    exchanges: int = 0
    seconds: float = 0.0


SESSION_COST = Cost()
_COST_LOCK = threading.Lock()


class Referee:
    """Collects violations from every sandbox exchange (thread-safe: servers are threaded)."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.exchanges = 0
        self._lock = threading.Lock()

    def __call__(self, app: SandboxApp, request: Request, response: Response) -> None:
        system = "github" if isinstance(app, GitHubSandbox) else "jira"
        started = time.thread_time()  # this server thread's CPU, whatever else runs
        try:
            found = check(system, request, response)
        except Exception as exc:  # noqa: BLE001 - a referee crash is itself a finding
            found = [f"referee failed: {type(exc).__name__}: {exc}"]
        with _COST_LOCK:
            SESSION_COST.exchanges += 1
            SESSION_COST.seconds += time.thread_time() - started
        where = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
        with self._lock:
            self.exchanges += 1
            self.violations.extend(f"{where}: {line}" for line in found)

    def report(self) -> Iterator[str]:
        """The violations, one line each, repeats folded into a count."""
        with self._lock:
            seen: dict[str, int] = {}
            for line in self.violations:
                seen[line] = seen.get(line, 0) + 1
        for line, count in seen.items():
            yield line if count == 1 else f"{line} (x{count})"
