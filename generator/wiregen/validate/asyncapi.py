"""AsyncAPI validation: version, then structure against the official AsyncAPI JSON Schemas.

The schemas (``schemas/asyncapi-<version>.json``) are the AsyncAPI Initiative's own,
published under Apache-2.0 in ``@asyncapi/specs``; see ``schemas/asyncapi-NOTICE``.
Errors are located like OpenAPI's: a file, a JSON pointer and (after locating) a line.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema_rs

from wiregen.diagnostics import Diagnostic, SourceSpan, error
from wiregen.load import Document
from wiregen.resources import schema_path
from wiregen.validate.structural import structural_errors

SUPPORTED = {"2.6": "asyncapi-2.6.0.json", "3.0": "asyncapi-3.0.0.json"}
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@functools.cache
def validator(version: str) -> jsonschema_rs.Validator:
    """The compiled official schema for ``version`` (``2.6`` or ``3.0``)."""
    schema = json.loads(schema_path(SUPPORTED[version]).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=False)


def asyncapi_version(doc: Document) -> tuple[str | None, list[Diagnostic]]:
    """``"2.6"`` or ``"3.0"``, or None with a located diagnostic."""
    data: Any = doc.data
    span = SourceSpan(file=doc.display, pointer="/asyncapi")
    value = data.get("asyncapi") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None, [
            error(
                "WG202",
                f"the 'asyncapi' field must be a string, not {value!r}",
                span,
                hint='quote it: `asyncapi: "3.0.0"`',
            )
        ]
    match = _VERSION.fullmatch(value)
    key = f"{match.group(1)}.{match.group(2)}" if match else ""
    if key not in SUPPORTED:
        return None, [
            error(
                "WG202",
                f"unsupported AsyncAPI version {value!r}",
                span,
                hint="wiregen reads AsyncAPI 2.6.0 and 3.0.0 (upgrade older documents with `asyncapi convert`)",
            )
        ]
    if (key == "2.6" and value != "2.6.0") or (key == "3.0" and value != "3.0.0"):
        return None, [error("WG202", f"unsupported AsyncAPI version {value!r}", span, hint=f"write {key}.0")]
    return key, []


def validate_asyncapi(doc: Document) -> list[Diagnostic]:
    """Every structural error of ``doc`` against its version's official schema."""
    version, found = asyncapi_version(doc)
    if version is None:
        return found
    return [d for d in structural_errors(doc, validator(version)) if not _ambiguous_reference(doc, d)]


def _ambiguous_reference(doc: Document, diagnostic: Diagnostic) -> bool:
    """The official schemas accept "a Schema or a Reference" with ``oneOf`` in places
    (e.g. the kafka binding's ``key``); a bare ``{"$ref": ...}`` is both, so oneOf
    rejects a valid document. Such a finding is dropped (the reference is still resolved)."""
    if "more than one of the schemas" not in diagnostic.message or diagnostic.span is None:
        return False
    node: Any = doc.data
    for token in diagnostic.span.pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return isinstance(node, dict) and set(node) == {"$ref"}
