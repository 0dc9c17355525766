"""Visiting and rewriting every type expression of an API.

Passes use :func:`map_types` to rewrite types wherever they occur (fields, aliases,
parameters, bodies, responses) without knowing where that is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from wiregen.ir import model as ir

TypeMapper = Callable[[ir.TypeExpr], ir.TypeExpr]


def map_expr(expr: ir.TypeExpr, fn: TypeMapper) -> ir.TypeExpr:
    """Rewrite ``expr`` bottom-up: children first, then the node itself."""
    if isinstance(expr, ir.Array):
        expr = replace(expr, items=map_expr(expr.items, fn))
    elif isinstance(expr, ir.Map):
        expr = replace(expr, values=map_expr(expr.values, fn))
    elif isinstance(expr, ir.Union):
        expr = replace(expr, variants=tuple(map_expr(v, fn) for v in expr.variants))
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
    def opt(expr: ir.TypeExpr | None) -> ir.TypeExpr | None:
        return None if expr is None else map_expr(expr, fn)

    types: list[ir.TypeDef] = []
    for definition in api.types:
        if isinstance(definition, ir.ObjectDef):
            fields = tuple(replace(f, type=map_expr(f.type, fn)) for f in definition.fields)
            types.append(replace(definition, fields=fields, extra_values=opt(definition.extra_values)))
        elif isinstance(definition, ir.AliasDef):
            types.append(replace(definition, target=map_expr(definition.target, fn)))
        else:
            types.append(definition)
    services = []
    for service in api.services:
        operations = []
        for op in service.operations:
            params = tuple(replace(p, type=map_expr(p.type, fn)) for p in op.parameters)
            body = replace(op.body, type=opt(op.body.type)) if op.body else None
            responses = tuple(
                replace(
                    r,
                    type=opt(r.type),
                    headers=tuple(replace(h, type=map_expr(h.type, fn)) for h in r.headers),
                )
                for r in op.responses
            )
            operations.append(replace(op, parameters=params, body=body, responses=responses))
        services.append(replace(service, operations=tuple(operations)))
    return replace(api, types=tuple(types), services=tuple(services))


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
