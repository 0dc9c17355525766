"""OpenAPI validation: version, structure (JSON Schema), then semantic checks.

openapi-spec-validator does the same job but walks the document in Python through
a resolving proxy (about 15 s on GitHub's spec). Here the structure is checked by
jsonschema-rs in one compiled pass and the semantic checks are plain loops.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan, error
from wiregen.load import Document, Workspace
from wiregen.validate import schemas
from wiregen.validate.extensions import check_extensions
from wiregen.validate.operations import check_operations
from wiregen.validate.refs import check_documents
from wiregen.validate.structural import structural_errors

_VERSION = re.compile(r"3\.([012])\.\d+(?:-.+)?")
_SUPPORTED = "OpenAPI 3.0.x, 3.1.x and 3.2.x"
MAX_PER_CODE = 100


def _version(doc: Document) -> tuple[str | None, list[Diagnostic]]:
    data: Any = doc.data
    file_span = SourceSpan(file=doc.display)
    if not isinstance(data, dict):
        return None, [
            error("WG202", "not an OpenAPI document: the top level must be a mapping", file_span)
        ]
    if "openapi" not in data:
        if "swagger" in data:
            return None, [
                error(
                    "WG202",
                    f"unsupported OpenAPI version: this is a Swagger {data['swagger']} document",
                    SourceSpan(file=doc.display, pointer="/swagger"),
                    hint=f"wiregen reads {_SUPPORTED}; convert it first "
                    "(e.g. with swagger2openapi or https://converter.swagger.io)",
                )
            ]
        return None, [
            error(
                "WG202",
                "missing the 'openapi' field: is this an OpenAPI document?",
                file_span,
                hint="an OpenAPI document starts with e.g. `openapi: 3.1.0`",
            )
        ]
    value = data["openapi"]
    span = SourceSpan(file=doc.display, pointer="/openapi")
    if not isinstance(value, str):
        return None, [
            error(
                "WG202",
                f"the 'openapi' field must be a string, not {value!r}",
                span,
                hint='quote it: `openapi: "3.0.3"` (unquoted, YAML reads a number)',
            )
        ]
    match = _VERSION.fullmatch(value)
    if match is None:
        hint = f"wiregen reads {_SUPPORTED}"
        if re.fullmatch(r"3\.[0-9]+", value):
            hint += f"; write the full version, e.g. {value}.0"
        return None, [error("WG202", f"unsupported OpenAPI version {value!r}", span, hint)]
    return f"3.{match.group(1)}", []


def _duplicate_tags(doc: Document, rejected: set[tuple[str, str]]) -> list[Diagnostic]:
    tags = doc.data.get("tags")
    if not isinstance(tags, list) or (doc.display, "/tags") in rejected:
        return []  # the 3.0 schema's uniqueItems already said so
    out: list[Diagnostic] = []
    first: dict[str, int] = {}
    for index, tag in enumerate(tags):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            out.append(
                error(
                    "WG210",
                    f"duplicate tag name {name!r}",
                    SourceSpan(file=doc.display, pointer=f"/tags/{index}/name"),
                    hint=f"tag {first[name]} has the same name; tag names must be unique",
                )
            )
        else:
            first[name] = index
    return out


def _covered(diagnostic: Diagnostic, structural: set[tuple[str, str]]) -> bool:
    """A semantic finding inside a node the structure check already rejected repeats it."""
    span = diagnostic.span
    if span is None or diagnostic.code not in ("WG205", "WG110"):
        return False
    return any(
        file == span.file and (pointer == span.pointer or pointer.startswith(span.pointer + "/"))
        for file, pointer in structural
    )


def _capped(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    kept: list[Diagnostic] = []
    counts: Counter[str] = Counter()
    seen: set[tuple[str, str | None, str | None, str]] = set()
    for d in diagnostics:
        key = (
            d.code,
            d.span.file if d.span else None,
            d.span.pointer if d.span else None,
            d.message,
        )
        if key in seen:
            continue
        seen.add(key)
        counts[d.code] += 1
        if counts[d.code] <= MAX_PER_CODE:
            kept.append(d)
    for code, count in counts.items():
        if count > MAX_PER_CODE:
            kept.append(
                Diagnostic(
                    severity=Severity.INFO,
                    code=code,
                    message=f"{count - MAX_PER_CODE} more {code} diagnostics not shown",
                )
            )
    return kept


def validate_openapi(doc: Document, ws: Workspace) -> list[Diagnostic]:
    """All problems found in ``doc`` (and the documents it references), located."""
    version, found = _version(doc)
    if version is not None:
        dialect = doc.data.get("jsonSchemaDialect")
        validator = schemas.validator(version, dialect if isinstance(dialect, str) else None)
        structural = structural_errors(doc, validator)
        rejected = {(d.span.file, d.span.pointer) for d in structural if d.span and d.span.pointer}
        semantic = (
            check_documents(doc, ws)
            + check_operations(doc, ws, version)
            + _duplicate_tags(doc, rejected)
            + check_extensions(doc)
        )
        found += structural + _capped([d for d in semantic if not _covered(d, rejected)])
    spans = ws.locate_all([d.span for d in found if d.span is not None])
    located = iter(spans)
    return [
        d
        if d.span is None
        else Diagnostic(
            severity=d.severity, code=d.code, message=d.message, span=next(located), hint=d.hint
        )
        for d in found
    ]
