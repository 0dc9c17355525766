"""Bytes to a plain tree: decoding, choosing JSON or YAML, and reporting problems."""

from __future__ import annotations

import json
from typing import Any, Literal

from wiregen.diagnostics import Abort, SourceSpan, error
from wiregen.load import json_scan, limits
from wiregen.load.yaml_parse import parse_yaml

Format = Literal["json", "yaml"]


def decode(raw: bytes, display: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise Abort(
            [
                error(
                    "WG101",
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                    SourceSpan(file=display, line=line, col=col),
                    hint="save the file as UTF-8",
                )
            ]
        ) from None
    # A byte-order mark is legal in YAML but json.loads rejects it; it carries nothing.
    return text[1:] if text.startswith("\ufeff") else text


def _parse_json(text: str, display: str) -> Any:
    try:
        return json_scan.loads(text)
    except json_scan.DuplicateKey:
        found = json_scan.find_duplicate_key(text)
        if found is None:  # cannot happen: the strict parse just saw one
            raise Abort([error("WG102", "duplicate key", SourceSpan(file=display))]) from None
        key, repeat, first = found
        line, col = json_scan.line_col(text, repeat)
        raise Abort(
            [
                error(
                    "WG102",
                    f"duplicate key {key!r}",
                    SourceSpan(file=display, line=line, col=col),
                    hint=f"first defined at line {json_scan.line_col(text, first)[0]}; "
                    "parsers keep only one of them, so remove or rename one",
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise Abort(
            [
                error(
                    "WG101",
                    f"invalid JSON: {exc.msg}",
                    SourceSpan(file=display, line=exc.lineno, col=exc.colno),
                )
            ]
        ) from None
    except RecursionError:
        raise Abort(
            [
                error(
                    "WG103",
                    f"document too complex: nesting deeper than about {limits.MAX_DEPTH} levels",
                    SourceSpan(file=display),
                )
            ]
        ) from None


def parse(text: str, display: str, suffix: str) -> tuple[Any, Format]:
    """Parse by extension; content starting with ``{`` or ``[`` is tried as JSON first."""
    if suffix == ".json":
        return _parse_json(text, display), "json"
    if text.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            return _parse_json(text, display), "json"
        except Abort as exc:
            # YAML flow style also starts this way. A duplicate key is wrong in YAML too;
            # anything else (syntax, JSON's lower nesting bound) is YAML's to judge.
            if any(d.code == "WG102" for d in exc.diagnostics):
                raise
    return parse_yaml(text, display), "yaml"
