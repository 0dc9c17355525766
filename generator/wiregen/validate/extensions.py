"""The ``x-wiregen-*`` extensions, checked against ``schemas/extensions.schema.json``.

They set the generated client's resilience policy, so a typo (``max_atempts``) or a
wrong type must be an error at the spot, not a setting silently ignored.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema_rs

from wiregen.diagnostics import Diagnostic, SourceSpan, error
from wiregen.load import Document
from wiregen.resources import schema_path

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def _validator() -> Any:
    schema = json.loads(schema_path("extensions.schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema)


def check_extensions(doc: Document) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for pointer, owner in _owners(doc.data):
        settings = {k: v for k, v in owner.items() if isinstance(k, str) and k.startswith("x-wiregen-")}
        if not settings:
            continue
        for problem in _validator().iter_errors(settings):
            path = [str(p) for p in problem.instance_path]
            at = pointer + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)
            found.append(
                error(
                    "WG211",
                    f"invalid {path[0] if path else 'x-wiregen'} setting: {problem.message[:200]}",
                    SourceSpan(file=doc.display, pointer=at),
                    hint="see schemas/extensions.schema.json for the x-wiregen-* extensions",
                )
            )
        for name in settings.keys() - _known():
            found.append(
                error(
                    "WG211",
                    f"unknown extension {name!r}",
                    SourceSpan(file=doc.display, pointer=f"{pointer}/{name}"),
                    hint=f"known: {', '.join(sorted(_known()))}",
                )
            )
    return found


@functools.cache
def _known() -> frozenset[str]:
    schema = json.loads(schema_path("extensions.schema.json").read_text(encoding="utf-8"))
    return frozenset(schema["properties"])


def _owners(data: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The document root and every operation: where the extensions may stand."""
    if not isinstance(data, Mapping):
        return
    yield "", data
    paths = data.get("paths")
    if not isinstance(paths, Mapping):
        return
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        escaped = str(path).replace("~", "~0").replace("/", "~1")
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                yield f"/paths/{escaped}/{method}", operation
