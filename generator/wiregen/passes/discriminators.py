"""Discriminated unions that pydantic can enforce, or plain unions where it cannot.

pydantic needs every variant of a discriminated union to be a model whose tag field
is typed as a ``Literal`` of its tag values. This pass checks each discriminated
union against the definitions it names, narrows the variants' tag fields (adding an
override when the field is inherited), and drops the discriminator from a union it
cannot honour (the union then validates by trying each variant).
"""

from __future__ import annotations

from dataclasses import replace

from wiregen.ir import model as ir
from wiregen.ir.walk import iter_types, map_types


def apply(api: ir.Api) -> ir.Api:
    objects = {d.id: d for d in api.types if isinstance(d, ir.ObjectDef)}
    enum_defs = {d.id: d for d in api.types if isinstance(d, ir.EnumDef)}
    tags: dict[tuple[str, str], set[str]] = {}
    rejected: set[ir.Union] = set()
    for expr in iter_types(api):
        if isinstance(expr, ir.Union) and expr.discriminator is not None:
            variant_tags = _variant_tags(expr, expr.discriminator, objects, enum_defs)
            if variant_tags is None:
                rejected.add(expr)
                continue
            for target, values in variant_tags.items():
                tags.setdefault((target, expr.discriminator.property), set()).update(values)

    def drop_rejected(expr: ir.TypeExpr) -> ir.TypeExpr:
        # Variants are references, which the bottom-up walk leaves as they were, so the
        # union is still equal to the one that was checked.
        if isinstance(expr, ir.Union) and expr in rejected:
            return replace(expr, discriminator=None)
        return expr

    if rejected:
        api = map_types(api, drop_rejected)
    if not tags:
        return api
    return replace(api, types=tuple(_narrow(d, tags, objects, set(enum_defs)) for d in api.types))


def _variant_tags(
    union: ir.Union,
    discriminator: ir.Discriminator,
    objects: dict[str, ir.ObjectDef],
    enums: dict[str, ir.EnumDef],
) -> dict[str, set[str]] | None:
    """Tag values per variant id, or None when the union cannot be discriminated."""
    by_target: dict[str, set[str]] = {}
    for tag, target in discriminator.mapping:
        by_target.setdefault(target, set()).add(tag)
    result: dict[str, set[str]] = {}
    variant_ids = []
    for variant in union.variants:
        if variant == ir.Primitive(kind=ir.PrimitiveKind.NULL):
            continue
        if not isinstance(variant, ir.Ref) or variant.target not in objects:
            return None
        if variant.target not in by_target:
            return None
        field = _find_field(objects, variant.target, discriminator.property)
        if field is None:
            return None
        allowed = _allowed_values(field.type, enums)
        if allowed is not None and not by_target[variant.target] <= allowed:
            # The tags (often OpenAPI's implicit "schema name" rule) contradict what the
            # variant itself allows: trusting them would reject real data.
            return None
        variant_ids.append(variant.target)
        result[variant.target] = by_target[variant.target]
    if not variant_ids:
        return None
    # A variant that extends another would need two incompatible Literal types.
    for vid in variant_ids:
        if set(_ancestors(objects, vid)) & set(variant_ids):
            return None
    return result


def _allowed_values(expr: ir.TypeExpr, enums: dict[str, ir.EnumDef]) -> set[object] | None:
    """The values a tag field admits when it is an enum or a literal; None when unconstrained."""
    candidates = expr.variants if isinstance(expr, ir.Union) else (expr,)
    allowed: set[object] = set()
    for candidate in candidates:
        if isinstance(candidate, ir.Literal):
            allowed.add(candidate.value)
        elif isinstance(candidate, ir.Ref) and candidate.target in enums:
            allowed.update(m.value for m in enums[candidate.target].members)
        elif candidate != ir.Primitive(kind=ir.PrimitiveKind.NULL):
            return None
    return allowed


def _ancestors(objects: dict[str, ir.ObjectDef], type_id: str) -> list[str]:
    seen: list[str] = []
    stack = list(objects[type_id].bases) if type_id in objects else []
    while stack:
        current = stack.pop()
        if current in seen or current not in objects:
            continue
        seen.append(current)
        stack.extend(objects[current].bases)
    return seen


def _find_field(objects: dict[str, ir.ObjectDef], type_id: str, wire_name: str) -> ir.Field | None:
    for candidate in [type_id, *_ancestors(objects, type_id)]:
        definition = objects.get(candidate)
        if definition is None:
            continue
        for field in definition.fields:
            if field.name == wire_name:
                return field
    return None


def _enum_of(expr: ir.TypeExpr, enums: set[str]) -> str | None:
    """The enum a tag field is typed with (possibly nullable), if any."""
    candidates = expr.variants if isinstance(expr, ir.Union) else (expr,)
    for candidate in candidates:
        if isinstance(candidate, ir.Ref) and candidate.target in enums:
            return candidate.target
    return None


def _narrow(
    definition: ir.TypeDef, tags: dict[tuple[str, str], set[str]], objects: dict[str, ir.ObjectDef], enums: set[str]
) -> ir.TypeDef:
    if not isinstance(definition, ir.ObjectDef):
        return definition
    wanted = {prop: values for (target, prop), values in tags.items() if target == definition.id}
    if not wanted:
        return definition
    fields = list(definition.fields)
    for prop, values in sorted(wanted.items()):
        own = next((i for i, f in enumerate(fields) if f.name == prop), None)
        base_field = fields[own] if own is not None else _find_field(objects, definition.id, prop)
        if base_field is None:
            continue
        literal = _literal_type(values, _enum_of(base_field.type, enums))
        single = next(iter(values)) if len(values) == 1 else None
        narrowed = replace(
            base_field,
            type=literal,
            required=single is None,
            default=ir.Default(value=single) if single is not None else None,
        )
        if own is not None:
            fields[own] = narrowed
        else:
            fields.append(narrowed)
    return replace(definition, fields=tuple(fields))


def _literal_type(values: set[str], enum: str | None) -> ir.TypeExpr:
    # Narrowing an enum-typed field keeps it a subtype: Literal[Kind.CAT], not Literal["cat"].
    literals = [ir.Literal(value=v, enum=enum) for v in sorted(values)]
    return literals[0] if len(literals) == 1 else ir.Union(variants=tuple(literals))
