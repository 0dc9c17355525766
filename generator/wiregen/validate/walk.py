"""One pass over a document: collect ``$ref``s and check schema keywords shallowly.

The walk has to know which keys are *names* (``properties``, ``paths``,
``components/schemas``...) and which hold *data* (``example``, ``default``, ``enum``,
extensions): a property called ``default`` is a schema, but a ``$ref`` inside an
example value is just data. Iterative, so deep documents cannot exhaust the stack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from wiregen.diagnostics import Diagnostic, SourceSpan, error, warning
from wiregen.load import Document
from wiregen.load.pointer import escape

# Keys whose object value maps user-chosen names to things.
_NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "dependentSchemas",
        "$defs",
        "definitions",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "paths",
        "webhooks",
        "content",
        "encoding",
        "variables",
        "mapping",
        "scopes",
        "mediaTypes",
    }
)
# Keys whose value is instance data, never a description.
_DATA = frozenset({"example", "default", "enum", "const"})

_KEYWORDS, _NAMES, _EXAMPLES = 0, 1, 2

_TYPE_TESTS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


@dataclass(slots=True)
class Findings:
    refs: list[tuple[str, str]] = field(default_factory=list)
    """(pointer of the ``$ref`` key, reference) in document order."""
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _check_default(
    node: dict[str, Any], pointer: str, doc: Document, out: list[Diagnostic]
) -> None:
    declared = node["type"]
    types = [declared] if isinstance(declared, str) else declared
    if not isinstance(types, list) or not all(
        isinstance(t, str) and t in _TYPE_TESTS for t in types
    ):
        return  # malformed types are the structural check's business
    value = node["default"]
    if value is None and node.get("nullable") is True:
        return
    if any(_TYPE_TESTS[t](value) for t in types):
        return
    expected = types[0] if len(types) == 1 else " or ".join(types)
    out.append(
        warning(
            "WG208",
            f"default {_short(value)} does not match the schema's type {expected!r}",
            SourceSpan(file=doc.display, pointer=pointer + "/default"),
        )
    )


def _check_pattern(pattern: str, pointer: str, doc: Document, out: list[Diagnostic]) -> None:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        out.append(
            warning(
                "WG209",
                f"pattern is not a valid regular expression for Python: {exc}",
                SourceSpan(file=doc.display, pointer=pointer + "/pattern"),
                hint="generated models check patterns with Python's re module",
            )
        )


def scan(doc: Document) -> Findings:
    found = Findings()
    out = found.diagnostics
    stack: list[tuple[Any, str, int]] = [(doc.data, "", _KEYWORDS)]
    while stack:
        node, pointer, mode = stack.pop()
        if isinstance(node, list):
            for index in range(len(node) - 1, -1, -1):
                child = node[index]
                if isinstance(child, (dict, list)):
                    stack.append((child, f"{pointer}/{index}", _KEYWORDS))
            continue
        if not isinstance(node, dict):
            continue
        if mode == _NAMES:
            for key, child in reversed(node.items()):
                if isinstance(child, (dict, list)):
                    stack.append((child, f"{pointer}/{escape(key)}", _KEYWORDS))
            continue
        if "$ref" in node:
            ref = node["$ref"]
            if isinstance(ref, str):
                found.refs.append((pointer + "/$ref", ref))
            else:
                out.append(
                    error(
                        "WG110",
                        f"$ref must be a string, not {_short(ref)}",
                        SourceSpan(file=doc.display, pointer=pointer + "/$ref"),
                    )
                )
        if mode == _EXAMPLES:
            continue  # an Example Object holds data (value) and text, nothing to walk
        if "default" in node and "type" in node:
            _check_default(node, pointer, doc, out)
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            _check_pattern(pattern, pointer, doc, out)
        for key, child in reversed(node.items()):
            if not isinstance(child, (dict, list)) or key in _DATA or key.startswith("x-"):
                continue
            child_pointer = f"{pointer}/{escape(key)}"
            if key == "examples":
                # OpenAPI: a map of Example Objects; JSON Schema 2020-12: a list of data.
                if isinstance(child, dict):
                    for name, example in reversed(child.items()):
                        stack.append((example, f"{child_pointer}/{escape(name)}", _EXAMPLES))
            elif key in _NAME_MAPS and isinstance(child, dict):
                stack.append((child, child_pointer, _NAMES))
            else:
                stack.append((child, child_pointer, _KEYWORDS))
    return found
