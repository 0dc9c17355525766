"""Diagnostics as JSON objects: for ``--output-format json`` and for the cache, which
replays a cached run's warnings so a cached run prints what a full one would."""

from __future__ import annotations

from typing import Any

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """A flat object with every field present (null when unknown), so consumers can
    index it without checking for keys; line and col are 1-based, 0 when unknown."""
    span = diagnostic.span
    return {
        "severity": diagnostic.severity.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "file": span.file if span else None,
        "line": span.line if span else 0,
        "col": span.col if span else 0,
        "pointer": span.pointer if span and span.pointer else None,
        "hint": diagnostic.hint,
    }


def diagnostic_from_json(value: object) -> Diagnostic | None:
    """The inverse of :func:`diagnostic_to_json`; None for anything malformed."""
    if not isinstance(value, dict):
        return None
    try:
        severity = Severity(value["severity"])
        code, message, hint = value["code"], value["message"], value.get("hint")
        file, line, col = value.get("file"), value.get("line", 0), value.get("col", 0)
        pointer = value.get("pointer") or ""
    except (KeyError, ValueError, TypeError):
        return None
    if not (isinstance(code, str) and isinstance(message, str)):
        return None
    if not (hint is None or isinstance(hint, str)):
        return None
    if not (isinstance(line, int) and isinstance(col, int) and isinstance(pointer, str)):
        return None
    span = None
    if file is not None:
        if not isinstance(file, str):
            return None
        span = SourceSpan(file=file, pointer=pointer, line=line, col=col)
    return Diagnostic(severity=severity, code=code, message=message, span=span, hint=hint)
