"""Trim an official OpenAPI description down to the operations the sandboxes serve.

    python tests/openapi/trim.py github PATH/TO/api.github.com.json tests/openapi/github.json
    python tests/openapi/trim.py jira PATH/TO/swagger-v3.v3.json tests/openapi/jira.json

The operations kept are the sandbox's routes (`trackersync.sandbox.{github,jira}`), which
serve every request the connectors, PyGithub and the `jira` library send: each route is
matched to the description's path template by shape (`/issue/<key>` is
`/issue/{issueIdOrKey}`). Kept as well: every component those operations reference,
transitively, and the security schemes they name. Dropped: every other path, the tags,
the webhooks (`x-webhooks`) and `example(s)` (sample payloads, most of the bytes, never
read by validation).
Nothing else is changed: kept schemas, parameters and responses are the vendor's, verbatim.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for spec_routes

from spec_routes import route_operations  # noqa: E402 - after the path set-up above

HEAD = ("openapi", "info", "servers", "security", "externalDocs")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def refs(node: Any) -> Iterator[str]:
    """Every `$ref` string inside `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def without_examples(node: Any, *, names: bool = False) -> Any:
    """`node` less its `example` / `examples` (sample payloads; validation never reads
    them). In a `properties` map the keys are field names (`names`), kept whatever they are.
    """
    if isinstance(node, dict):
        return {
            k: without_examples(v, names=k == "properties" and not names)
            for k, v in node.items()
            if names or k not in ("example", "examples")
        }
    if isinstance(node, list):
        return [without_examples(item) for item in node]
    return node


def kept_components(spec: dict[str, Any], roots: Any) -> dict[str, Any]:
    """The components reachable from `roots` through `$ref`, section by section."""
    components: dict[str, dict[str, Any]] = {}
    pending = list(refs(roots))
    while pending:
        ref = pending.pop()
        section, name = ref.removeprefix("#/components/").split("/", 1)
        if name in components.get(section, {}):
            continue
        node = without_examples(spec["components"][section][name])
        components.setdefault(section, {})[name] = node
        pending.extend(refs(node))
    return {section: dict(sorted(items.items())) for section, items in sorted(components.items())}


def trim(system: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The description with only the sandbox's operations and what they reference."""
    paths: dict[str, dict[str, Any]] = {}
    for method, template in sorted(route_operations(system, spec)):
        item = spec["paths"][template]
        kept = paths.setdefault(
            template, {k: v for k, v in item.items() if k not in HTTP_METHODS}
        )
        kept[method] = without_examples(item[method])
    components = kept_components(spec, paths)
    schemes = {
        name
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict)
        for requirement in operation.get("security", spec.get("security", []))
        for name in requirement
    }
    if schemes:
        every = spec["components"]["securitySchemes"]
        components["securitySchemes"] = {name: every[name] for name in sorted(schemes)}
    head = {k: v for k, v in spec.items() if k in HEAD}
    return {**head, "paths": dict(sorted(paths.items())), "components": components}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("system", choices=["github", "jira"])
    parser.add_argument("source", type=Path, help="the vendor's full description (JSON)")
    parser.add_argument("target", type=Path, help="where to write the trimmed JSON")
    args = parser.parse_args()
    spec = json.loads(args.source.read_text(encoding="utf-8"))
    trimmed = trim(args.system, spec)
    args.target.write_text(json.dumps(trimmed, indent=1, sort_keys=False) + "\n")
    print(f"{args.target}: {len(trimmed['paths'])} paths, {args.target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
