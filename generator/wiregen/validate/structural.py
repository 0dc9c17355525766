"""Structural validation against the OpenAPI JSON Schema, with readable errors.

The 3.0 schema says "a Response or a Reference", "a Schema or a Reference", and one
parameter variant per location, all with ``oneOf``; a single mistake then surfaces as
"... is not valid under any of the schemas" holding every branch's complaints. We
report instead the complaint(s) of the branch the author most plausibly meant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema_rs import ValidationError, ValidationErrorKind

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan, error
from wiregen.load import Document
from wiregen.load.pointer import join

MAX_REPORTED = 20
_MAX_COUNTED = 10_000  # stop counting (not just reporting) errors beyond this
_MAX_MESSAGE = 200

_Kind = ValidationErrorKind
_ALTERNATIVES = (_Kind.OneOfNotValid, _Kind.AnyOf)
_VARIANT_MISMATCH = (_Kind.Enum, _Kind.Constant)


def _is_reference_branch(branch: list[ValidationError]) -> bool:
    # The 3.0 schema's "or a Reference" alternative lives in #/definitions/Reference.
    return all("Reference" in error.schema_path for error in branch)


def _choose_branch(
    err: ValidationError, branches: list[list[ValidationError]]
) -> list[ValidationError]:
    has_ref = isinstance(err.instance, dict) and "$ref" in err.instance
    references = [branch for branch in branches if _is_reference_branch(branch)]
    others = [branch for branch in branches if not _is_reference_branch(branch)]
    # With a $ref the author meant a Reference; without one, anything but.
    candidates = (references if has_ref else others) or branches
    here = len(err.instance_path)

    def score(branch: list[ValidationError]) -> tuple[int, int, int]:
        # A branch rejected by an enum/const on a *member* (``in: query`` when the
        # author wrote ``in: path``) is another variant, not the intended one.
        mismatch = any(
            isinstance(e.kind, _VARIANT_MISMATCH) and len(e.instance_path) > here for e in branch
        )
        depth = max(len(e.instance_path) for e in branch)
        return (0 if mismatch else 1, depth, -len(branch))

    return max(candidates, key=score)


def _options(branches: list[list[ValidationError]]) -> tuple[ValidationError, list[Any]] | None:
    """When each alternative rejects the same member by enum/const (a discriminator,
    like a parameter's ``in``), that error and every value the alternatives allow."""
    rejections = [
        [e for e in branch if isinstance(e.kind, _VARIANT_MISMATCH)] for branch in branches
    ]
    if len(branches) < 2 or any(len(found) != 1 for found in rejections):
        return None
    if len({tuple(found[0].instance_path) for found in rejections}) != 1:
        return None
    options: list[Any] = []
    for (e,) in rejections:
        kind = e.kind
        allowed = (
            kind.options
            if isinstance(kind, _Kind.Enum)
            else [getattr(kind, "expected_value", None)]
        )
        for option in allowed:
            if option not in options:
                options.append(option)
    return rejections[0][0], options


Leaf = tuple[ValidationError, "str | None"]


def leaves(err: ValidationError) -> list[Leaf]:
    """The errors worth showing for ``err`` (itself unless it is a failed alternative),
    each with a message to use instead of the validator's, if any."""
    if not isinstance(err.kind, _ALTERNATIVES):
        return [(err, None)]
    branches = [branch for branch in err.kind.context if branch]
    if not branches:
        return [(err, None)]
    candidates = [branch for branch in branches if not _is_reference_branch(branch)] or branches
    discriminated = _options(candidates)
    if discriminated is not None:  # e.g. ``in: body``: name every location, not just one
        rejected, options = discriminated
        return [(rejected, _not_one_of(rejected.instance, options))]
    chosen = _choose_branch(err, branches)
    # "valid under more than one" inside a failed branch is fallout of the real error.
    kept = [e for e in chosen if not isinstance(e.kind, _Kind.OneOfMultipleValid)] or chosen
    return [leaf for e in kept for leaf in leaves(e)]


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_one_of(value: Any, options: list[Any]) -> str:
    if len(options) == 1:
        return f"{_short(value)} must be {_short(options[0])}"
    shown = ", ".join(_short(option, 30) for option in options[:12])
    more = f" (and {len(options) - 12} more)" if len(options) > 12 else ""
    return f"{_short(value)} is not one of {shown}{more}"


def _message(err: ValidationError) -> str:
    kind = err.kind
    if isinstance(kind, _Kind.Required):
        return f"missing required property {kind.property!r}"
    if isinstance(kind, _Kind.Enum):
        return _not_one_of(err.instance, list(kind.options))
    message = err.message
    if len(message) > _MAX_MESSAGE:
        # Messages start with the instance as compact JSON; a whole path item is no help.
        rendered = json.dumps(
            err.instance, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
        )
        if message.startswith(rendered):
            message = _short(err.instance) + message[len(rendered) :]
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    return message


def describe(
    err: ValidationError, doc: Document, message: str | None = None
) -> tuple[str, str, str | None]:
    """(pointer, message, hint) for one validation error."""
    path = [str(token) for token in err.instance_path]
    kind = err.kind
    hint = None
    if (
        isinstance(kind, (_Kind.AdditionalProperties, _Kind.UnevaluatedProperties))
        and kind.unexpected
    ):
        unexpected = [str(name) for name in kind.unexpected]
        path.append(unexpected[0])  # point at the offending key, not the whole object
        names = ", ".join(repr(name) for name in unexpected[:5])
        more = f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else ""
        message = f"unexpected propert{'y' if len(unexpected) == 1 else 'ies'} {names}{more}"
        hint = "OpenAPI objects take only the fields the specification defines, plus extensions named 'x-…'"
    elif message is None:
        message = _message(err)
    if err.instance is None and path and path[-1] == "$ref" and doc.format == "yaml":
        hint = "in YAML an unquoted '#' starts a comment, so `$ref: #/…` is null: quote it, `$ref: '#/…'`"
    return join(path), message, hint


def _limited(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    for count, err in enumerate(errors):
        if count >= _MAX_COUNTED:
            return
        yield err


def structural_errors(doc: Document, validator: jsonschema_rs.Validator) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    total = 0
    try:
        errors = list(_limited(validator.iter_errors(doc.data)))
    except (ValueError, RecursionError) as exc:  # jsonschema-rs gives up on very deep input
        return [
            error(
                "WG103",
                f"document too complex to validate: {exc}",
                SourceSpan(file=doc.display),
                hint="nesting this deep is not a realistic API description",
            )
        ]
    for err in errors:
        for leaf, override in leaves(err):
            pointer, message, hint = describe(leaf, doc, override)
            if (pointer, message) in seen:
                continue
            seen.add((pointer, message))
            total += 1
            if len(found) < MAX_REPORTED:
                found.append(
                    error("WG201", message, SourceSpan(file=doc.display, pointer=pointer), hint)
                )
    if total > MAX_REPORTED:
        more = total - MAX_REPORTED
        found.append(
            Diagnostic(
                severity=Severity.INFO,
                code="WG201",
                message=f"{'at least ' if total >= _MAX_COUNTED else ''}{more} more structural "
                f"error{'s' if more != 1 else ''} not shown",
                span=SourceSpan(file=doc.display),
            )
        )
    return found
