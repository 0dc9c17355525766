"""Defaults that do not fit their type are dropped, with a warning.

A spec's ``default`` is documentation to many authors (``default: "10"`` on an
integer, an example object on a model). Generated code writes defaults as typed
Python values, so one that does not fit would be a type error in the model; it is
left out instead, and the field simply defaults to None.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from dataclasses import replace
from typing import TypeVar

from wiregen.diagnostics import Diagnostic, SourceSpan, warning
from wiregen.ir import model as ir

_PARSERS = {
    "date-time": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "uuid": uuid.UUID,
    "decimal": decimal.Decimal,
}


def apply(api: ir.Api) -> tuple[ir.Api, list[Diagnostic]]:
    definitions = {d.id: d for d in api.types}
    diagnostics: list[Diagnostic] = []

    def keep(default: ir.Default | None, expr: ir.TypeExpr, where: str, span: SourceSpan) -> ir.Default | None:
        if default is None or fits(default.value, expr, definitions):
            return default
        diagnostics.append(
            warning(
                "WG302",
                f"default {default.value!r} of {where} does not match its schema; it is not applied",
                span,
            )
        )
        return None

    # Only what changes is copied: most defaults fit, and the IR of a large API is big.
    types: list[ir.TypeDef] = []
    for definition in api.types:
        if isinstance(definition, ir.ObjectDef):
            fields = tuple(_with_default(f, keep(f.default, f.type, f"{definition.name}.{f.name}", f.span)) for f in definition.fields)
            if any(a is not b for a, b in zip(fields, definition.fields, strict=True)):
                definition = replace(definition, fields=fields)
        types.append(definition)
    services = []
    for service in api.services:
        operations = []
        for op in service.operations:
            params = tuple(
                _with_default(p, keep(p.default, p.type, f"parameter {p.name!r} of {op.id}", p.span)) for p in op.parameters
            )
            changed = any(a is not b for a, b in zip(params, op.parameters, strict=True))
            operations.append(replace(op, parameters=params) if changed else op)
        services.append(replace(service, operations=tuple(operations)))
    return replace(api, types=tuple(types), services=tuple(services)), diagnostics


_N = TypeVar("_N", ir.Field, ir.Parameter)


def _with_default(node: _N, default: ir.Default | None) -> _N:
    return node if default is node.default else replace(node, default=default)


def fits(value: object, expr: ir.TypeExpr, definitions: dict[str, ir.TypeDef]) -> bool:
    """Whether ``value`` (plain JSON) can be written as a Python value of ``expr``."""
    if isinstance(expr, ir.Union):
        return any(fits(value, v, definitions) for v in expr.variants)
    if isinstance(expr, ir.Literal):
        return value == expr.value and type(value) is type(expr.value)
    if isinstance(expr, ir.Array):
        return isinstance(value, list) and all(fits(v, expr.items, definitions) for v in value)
    if isinstance(expr, ir.Map):
        return isinstance(value, dict) and all(fits(v, expr.values, definitions) for v in value.values())
    if isinstance(expr, ir.Ref):
        target = definitions.get(expr.target)
        if isinstance(target, ir.EnumDef):
            return any(m.value == value and type(m.value) is type(value) for m in target.members)
        if isinstance(target, ir.AliasDef):
            return fits(value, target.target, definitions)
        return False  # an object default would need a model instance: documentation only
    return _fits_primitive(value, expr)


def _fits_primitive(value: object, expr: ir.Primitive) -> bool:
    kind = expr.kind
    if kind is ir.PrimitiveKind.ANY:
        return True
    if kind is ir.PrimitiveKind.NULL:
        return value is None
    if kind is ir.PrimitiveKind.BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is ir.PrimitiveKind.INTEGER:
        return isinstance(value, int)
    if kind is ir.PrimitiveKind.NUMBER:
        return isinstance(value, int | float) and (expr.format != "decimal" or _parses(str(value), "decimal"))
    if not isinstance(value, str):
        return False
    if expr.format in ("binary", "byte"):
        return False
    return expr.format not in _PARSERS or _parses(value, expr.format)


def _parses(text: str, fmt: str) -> bool:
    try:
        _PARSERS[fmt](text)
    except (ValueError, ArithmeticError):
        return False
    return True
