"""Visiting and rewriting every type expression of an API.

Passes use :func:`map_types` to rewrite types wherever they occur (fields, aliases,
parameters, bodies, responses) without knowing where that is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TypeVar

from wiregen.ir import model as ir

TypeMapper = Callable[[ir.TypeExpr], ir.TypeExpr]


def map_expr(expr: ir.TypeExpr, fn: TypeMapper) -> ir.TypeExpr:
    """Rewrite ``expr`` bottom-up: children first, then the node itself.

    A node whose children come back unchanged is not copied, so a pass that changes
    little allocates little (the IR of a large API has tens of thousands of nodes).
    """
    if isinstance(expr, ir.Array):
        items = map_expr(expr.items, fn)
        if items is not expr.items:
            expr = replace(expr, items=items)
    elif isinstance(expr, ir.Map):
        values = map_expr(expr.values, fn)
        if values is not expr.values:
            expr = replace(expr, values=values)
    elif isinstance(expr, ir.Union):
        variants = tuple(map_expr(v, fn) for v in expr.variants)
        if any(a is not b for a, b in zip(variants, expr.variants, strict=True)):
            expr = replace(expr, variants=variants)
    return fn(expr)


def iter_expr(expr: ir.TypeExpr) -> Iterator[ir.TypeExpr]:
    """``expr`` and every expression nested in it, parents first."""
    yield expr
    if isinstance(expr, ir.Array):
        yield from iter_expr(expr.items)
    elif isinstance(expr, ir.Map):
        yield from iter_expr(expr.values)
    elif isinstance(expr, ir.Union):
        for variant in expr.variants:
            yield from iter_expr(variant)


def map_types(api: ir.Api, fn: TypeMapper) -> ir.Api:
    """Apply ``fn`` to every type expression; unchanged nodes are kept as they are."""

    def expr(e: ir.TypeExpr) -> ir.TypeExpr:
        return map_expr(e, fn)

    def opt(e: ir.TypeExpr | None) -> ir.TypeExpr | None:
        return None if e is None else map_expr(e, fn)

    types = tuple(_map_definition(d, expr, opt) for d in api.types)
    services = tuple(
        _keep_or_replace(s, operations=tuple(_map_operation(op, expr, opt) for op in s.operations))
        for s in api.services
    )
    return _keep_or_replace(api, types=types, services=services)


def _map_definition(
    d: ir.TypeDef, expr: TypeMapper, opt: Callable[[ir.TypeExpr | None], ir.TypeExpr | None]
) -> ir.TypeDef:
    if isinstance(d, ir.ObjectDef):
        fields = tuple(_keep_or_replace(f, type=expr(f.type)) for f in d.fields)
        return _keep_or_replace(d, fields=fields, extra_values=opt(d.extra_values))
    if isinstance(d, ir.AliasDef):
        return _keep_or_replace(d, target=expr(d.target))
    return d


def _map_operation(
    op: ir.Operation, expr: TypeMapper, opt: Callable[[ir.TypeExpr | None], ir.TypeExpr | None]
) -> ir.Operation:
    params = tuple(_keep_or_replace(p, type=expr(p.type)) for p in op.parameters)
    body = _keep_or_replace(op.body, type=opt(op.body.type)) if op.body else None
    responses = tuple(
        _keep_or_replace(
            r, type=opt(r.type), headers=tuple(_keep_or_replace(h, type=expr(h.type)) for h in r.headers)
        )
        for r in op.responses
    )
    return _keep_or_replace(op, parameters=params, body=body, responses=responses)


_T = TypeVar("_T")


def _same_items(value: object, current: object) -> bool:
    return (
        isinstance(value, tuple)
        and isinstance(current, tuple)
        and len(value) == len(current)
        and all(a is b for a, b in zip(value, current, strict=True))
    )


def _keep_or_replace(node: _T, **changes: object) -> _T:
    """``node`` itself when every change is the value it already has (compared by identity)."""
    for name, value in changes.items():
        current = getattr(node, name)
        if value is current:
            continue
        if _same_items(value, current):
            continue
        return replace(node, **changes)  # type: ignore[type-var]
    return node


def iter_types(api: ir.Api) -> Iterator[ir.TypeExpr]:
    """Every type expression in the API (nested ones included)."""
    roots: list[ir.TypeExpr] = []
    for definition in api.types:
        if isinstance(definition, ir.ObjectDef):
            roots.extend(f.type for f in definition.fields)
            if definition.extra_values is not None:
                roots.append(definition.extra_values)
        elif isinstance(definition, ir.AliasDef):
            roots.append(definition.target)
    for op in api.operations:
        roots.extend(p.type for p in op.parameters)
        if op.body and op.body.type:
            roots.append(op.body.type)
        for response in op.responses:
            if response.type:
                roots.append(response.type)
            roots.extend(h.type for h in response.headers)
    for root in roots:
        yield from iter_expr(root)
