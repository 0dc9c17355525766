"""Comparing IR types (OpenAPI schemas, AsyncAPI payloads and headers) by direction.

Whether a change breaks anyone depends on which way the value travels: a new
required property breaks clients when the API *accepts* it (request) and nobody
when the API *returns* it (response). :func:`usage` works out, for every named type,
the directions it is used in; the comparer reports each difference under the rule
of every direction in play and keeps the most severe.

Named types are compared once, at the definition (``compare_definitions``), not at
every use: a property removed from a schema used by forty operations is one change.
"""

from __future__ import annotations

import enum
import math
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator

from wiregen.diff.changes import Findings, Site
from wiregen.diff.rules import RULES
from wiregen.ir import model as ir
from wiregen.ir.walk import iter_expr


class Direction(enum.Flag):
    NONE = 0
    REQUEST = enum.auto()
    """Values the API accepts."""
    RESPONSE = enum.auto()
    """Values the API emits."""
    BOTH = REQUEST | RESPONSE


_NULL = ir.Primitive(kind=ir.PrimitiveKind.NULL)


def referenced(expr: ir.TypeExpr | None) -> Iterator[str]:
    """Ids of the named types an expression mentions directly."""
    if expr is not None:
        yield from (item.target for item in iter_expr(expr) if isinstance(item, ir.Ref))


def usage(
    types: dict[str, ir.TypeDef], roots: Iterable[tuple[ir.TypeExpr | None, Direction]]
) -> dict[str, Direction]:
    """Every named type reachable from ``roots``, with the directions it travels in."""
    found: dict[str, Direction] = {}
    stack = [(target, direction) for expr, direction in roots for target in referenced(expr)]
    while stack:
        target, direction = stack.pop()
        had = found.get(target, Direction.NONE)
        if direction in had:
            continue
        found[target] = had | direction
        definition = types.get(target)
        if definition is None:
            continue
        for expr in _children(definition, types):
            stack.extend((child, direction) for child in referenced(expr))
    return found


def _children(definition: ir.TypeDef, types: dict[str, ir.TypeDef]) -> Iterator[ir.TypeExpr]:
    if isinstance(definition, ir.ObjectDef):
        for field in definition.fields:
            yield field.type
        if definition.extra_values is not None:
            yield definition.extra_values
        for base in definition.bases:
            yield ir.Ref(target=base)
    elif isinstance(definition, ir.AliasDef):
        yield definition.target


def canonical_id(api: ir.Api) -> Callable[[str], str]:
    """Type ids without the spec's own file name, so two revisions' ids compare equal.

    IR ids are ``<file>#<pointer>``; the two revisions are different files (or the
    same file at different git revisions), so the root document's part is dropped and
    other documents are named relative to it.
    """
    root = api.span.file
    root_dir = posixpath.dirname(root)

    def key(type_id: str) -> str:
        file, hash_, pointer = type_id.partition("#")
        if not hash_:
            return type_id
        if file == root:
            return f"#{pointer}"
        return f"{posixpath.relpath(file, root_dir or '.')}#{pointer}"

    return key


_NAMED = re.compile(r"#/(components/schemas|components/messages|definitions|\$defs)/[^/]+$")


def is_named(canonical: str) -> bool:
    """Whether a type is one the spec names (a component schema), not an inline one.

    Inline types come and go with the property or parameter that holds them; the
    change is reported there, not again as a type added or removed.
    """
    return "#" not in canonical or bool(_NAMED.search(canonical))


def split_null(expr: ir.TypeExpr) -> tuple[ir.TypeExpr, bool]:
    """(the type without null, whether null is allowed)."""
    if isinstance(expr, ir.Union) and _NULL in expr.variants:
        rest = tuple(v for v in expr.variants if v != _NULL)
        if len(rest) == 1:
            return rest[0], True
        if not rest:
            return _NULL, True
        return ir.Union(variants=rest, discriminator=expr.discriminator), True
    return expr, False


def describe(expr: ir.TypeExpr, types: dict[str, ir.TypeDef]) -> str:
    """A short human name for a type (``integer``, ``array of Pet``, ``Pet | null``)."""
    if isinstance(expr, ir.Primitive):
        return f"{expr.kind.value} ({expr.format})" if expr.format else expr.kind.value
    if isinstance(expr, ir.Literal):
        return f"constant {expr.value!r}"
    if isinstance(expr, ir.Array):
        return f"array of {describe(expr.items, types)}"
    if isinstance(expr, ir.Map):
        return f"map of {describe(expr.values, types)}"
    if isinstance(expr, ir.Ref):
        definition = types.get(expr.target)
        return definition.name if definition is not None else expr.target
    return " | ".join(describe(v, types) for v in expr.variants)


class SchemaComparer:
    """Compares types of two revisions and reports into ``findings``."""

    def __init__(self, old: ir.Api, new: ir.Api, findings: Findings) -> None:
        self.old_types: dict[str, ir.TypeDef] = {t.id: t for t in old.types}
        """By IR id, which names the spec file: what references (``Ref.target``) use."""
        self.new_types: dict[str, ir.TypeDef] = {t.id: t for t in new.types}
        self.old_key = canonical_id(old)
        self.new_key = canonical_id(new)
        self.findings = findings
        self._compared: set[tuple[str, str, Direction]] = set()

    # ------------------------------------------------------------------ reporting

    def directed(
        self, direction: Direction, request: str, response: str, message: str, site: Site, *, new: bool = True
    ) -> None:
        """Report under the request and/or response rule; the more severe one wins.

        A type used in neither direction (declared, never referenced) is judged as
        if used in both: it is still a generated model that code may depend on.
        """
        if direction is Direction.NONE:
            direction = Direction.BOTH
        codes = []
        if Direction.REQUEST in direction:
            codes.append(request)
        if Direction.RESPONSE in direction:
            codes.append(response)
        worst = max(codes, key=lambda code: RULES[code].severity.rank)
        self.findings.add(worst, message, site, new=new)

    # ------------------------------------------------------------------ named types

    def directions(
        self,
        old_roots: Iterable[tuple[ir.TypeExpr | None, Direction]],
        new_roots: Iterable[tuple[ir.TypeExpr | None, Direction]],
    ) -> dict[str, Direction]:
        """Directions of every named type, by canonical id, over both revisions."""
        found: dict[str, Direction] = {}
        for key, types, roots in ((self.old_key, self.old_types, old_roots), (self.new_key, self.new_types, new_roots)):
            for type_id, direction in usage(types, roots).items():
                canonical = key(type_id)
                found[canonical] = found.get(canonical, Direction.NONE) | direction
        return found

    def compare_definitions(self, directions: dict[str, Direction], scope: str = "") -> None:
        """Every named type of both revisions: removed, added, or compared in place."""
        new_types = {self.new_key(type_id): t for type_id, t in self.new_types.items()}
        old_keys = set()
        for type_id, old in self.old_types.items():
            canonical = self.old_key(type_id)
            old_keys.add(canonical)
            new = new_types.get(canonical)
            site = Site(old.name, old.span, new.span if new else None, scope)
            if new is None:
                if is_named(canonical):
                    self.findings.add("D109", f"type {old.name} was removed", site, new=False)
                continue
            self.compare_definition(old, new, directions.get(canonical, Direction.NONE), site)
        for canonical, new in new_types.items():
            if canonical not in old_keys and is_named(canonical):
                self.findings.add("D110", f"type {new.name} was added", Site(new.name, None, new.span, scope))

    def inline_model(self, expr: ir.TypeExpr) -> str:
        """The name of the object or enum an old expression defines inline, if any.

        Named types that disappear are reported by :meth:`compare_definitions`; an
        inline one goes with the place that held it, which reports it.
        """
        if isinstance(expr, ir.Ref):
            definition = self.old_types.get(expr.target)
            if isinstance(definition, ir.ObjectDef | ir.EnumDef) and not is_named(self.old_key(expr.target)):
                return definition.name
        return ""

    def compare_definition(self, old: ir.TypeDef, new: ir.TypeDef, direction: Direction, site: Site) -> None:
        key = (old.id, new.id, direction)
        if key in self._compared:
            return
        self._compared.add(key)
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"{site.subject} is deprecated", site)
        if isinstance(old, ir.ObjectDef) and isinstance(new, ir.ObjectDef):
            self._compare_objects(old, new, direction, site)
        elif isinstance(old, ir.EnumDef) and isinstance(new, ir.EnumDef):
            self._compare_enums(old, new, direction, site)
        elif isinstance(old, ir.AliasDef) and isinstance(new, ir.AliasDef):
            self.compare(old.target, new.target, direction, site)
        elif isinstance(old, ir.AliasDef):
            self.compare(old.target, ir.Ref(target=new.id), direction, site)
        elif isinstance(new, ir.AliasDef):
            self.compare(ir.Ref(target=old.id), new.target, direction, site)
        else:
            kinds = f"{_kind(old)} to {_kind(new)}"
            self.findings.add("D210", f"{site.subject} changed from {kinds}", site)

    def fields(self, definition: ir.ObjectDef, types: dict[str, ir.TypeDef]) -> dict[str, ir.Field]:
        """Own and inherited (allOf) fields by wire name; own ones win."""
        return {name: field for name, (field, _) in self._owned_fields(definition, types).items()}

    def _owned_fields(
        self, definition: ir.ObjectDef, types: dict[str, ir.TypeDef]
    ) -> dict[str, tuple[ir.Field, str]]:
        """Own and inherited fields by wire name, each with the id of the definition declaring it."""
        found: dict[str, tuple[ir.Field, str]] = {}
        seen: set[str] = set()
        stack = [definition]
        order: list[ir.ObjectDef] = []
        while stack:
            current = stack.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            order.append(current)
            for base in current.bases:
                base_def = types.get(base)
                if isinstance(base_def, ir.ObjectDef):
                    stack.append(base_def)
        for current in reversed(order):
            for field in current.fields:
                found[field.name] = (field, current.id)
        return found

    def _compare_objects(self, old: ir.ObjectDef, new: ir.ObjectDef, direction: Direction, site: Site) -> None:
        old_owned = self._owned_fields(old, self.old_types)
        new_owned = self._owned_fields(new, self.new_types)
        # A property declared by a base (allOf) that both revisions extend is compared
        # once, at the base's own definition, not again in every schema extending it.
        old_bases = {self.old_key(owner) for _, owner in old_owned.values() if owner != old.id}
        new_bases = {self.new_key(owner) for _, owner in new_owned.values() if owner != new.id}
        common = old_bases & new_bases
        old_fields = {n: f for n, (f, owner) in old_owned.items() if owner == old.id or self.old_key(owner) not in common}
        new_fields = {n: f for n, (f, owner) in new_owned.items() if owner == new.id or self.new_key(owner) not in common}
        inherited = old_owned.keys() - old_fields.keys() | new_owned.keys() - new_fields.keys()
        for name in inherited & old_fields.keys():
            del old_fields[name]  # matched by an inherited one in the other revision: moved to the base
        for name in inherited & new_fields.keys():
            del new_fields[name]
        for name, field in old_fields.items():
            moved = new_fields.get(name)
            where = site.at(f"{site.subject}.{name}", field.span, moved.span if moved else None)
            effective = _field_direction(field, moved, direction)
            if moved is None:
                self.directed(
                    effective, "D201", "D202", f"property {name!r} was removed from {site.subject}", where,
                    new=False,
                )
                if not field.deprecated:
                    self.findings.add(
                        "D702", f"property {name!r} of {site.subject} was removed without being deprecated first",
                        where, new=False,
                    )
                continue
            self._compare_field(field, moved, effective, where)
        for name, field in new_fields.items():
            if name in old_fields:
                continue
            where = site.at(f"{site.subject}.{name}", None, field.span)
            effective = _field_direction(None, field, direction)
            if field.required:
                self.directed(
                    effective, "D203", "D230", f"required property {name!r} was added to {site.subject}", where
                )
            else:
                self.directed(effective, "D204", "D205", f"property {name!r} was added to {site.subject}", where)
        if old.extra is ir.ExtraPolicy.ALLOW and new.extra is ir.ExtraPolicy.FORBID and Direction.REQUEST in (
            direction or Direction.BOTH
        ):
            self.findings.add("D229", f"{site.subject} no longer accepts undeclared properties", site)
        if old.extra_values is not None and new.extra_values is not None:
            self.compare(old.extra_values, new.extra_values, direction, site.at(f"{site.subject}.*", site.old, site.new))

    def _compare_field(self, old: ir.Field, new: ir.Field, direction: Direction, site: Site) -> None:
        if old.required and not new.required:
            self.directed(direction, "D207", "D208", f"{site.subject} became optional", site)
        elif new.required and not old.required:
            self.directed(direction, "D206", "D209", f"{site.subject} became required", site)
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"{site.subject} is deprecated", site)
        if old.default != new.default and old.default is not None and new.default is not None:
            self.findings.add(
                "D228", f"default of {site.subject} changed from {old.default.value!r} to {new.default.value!r}", site
            )
        self.compare(old.type, new.type, direction, site)

    def _compare_enums(self, old: ir.EnumDef, new: ir.EnumDef, direction: Direction, site: Site) -> None:
        old_values = {m.value: m for m in old.members}
        new_values = {m.value: m for m in new.members}
        for value, member in old_values.items():
            if value not in new_values:
                # No D702 here: JSON Schema cannot mark one enum value deprecated, so the
                # warning could never be avoided (proto enum values can: see proto.py).
                self.directed(direction, "D212", "D213", f"value {value!r} was removed from {site.subject}", site)
            elif new_values[value].deprecated and not member.deprecated:
                self.findings.add("D701", f"value {value!r} of {site.subject} is deprecated", site)
        for value in new_values:
            if value not in old_values:
                self.directed(direction, "D214", "D215", f"value {value!r} was added to {site.subject}", site)

    # ------------------------------------------------------------------ expressions

    def compare(self, old: ir.TypeExpr, new: ir.TypeExpr, direction: Direction, site: Site) -> None:
        """Compare two uses of types (a property's, a parameter's, a body's)."""
        if old == new and not isinstance(old, ir.Ref):
            return
        old_core, old_null = split_null(old)
        new_core, new_null = split_null(new)
        if new_null and not old_null:
            self.directed(direction, "D222", "D221", f"{site.subject} may now be null", site)
        elif old_null and not new_null:
            self.directed(direction, "D220", "D223", f"{site.subject} may no longer be null", site)
        self._compare_core(old_core, new_core, direction, site)

    def _compare_core(self, old: ir.TypeExpr, new: ir.TypeExpr, direction: Direction, site: Site) -> None:
        if isinstance(old, ir.Ref) and isinstance(new, ir.Ref):
            if self.old_key(old.target) == self.new_key(new.target):
                return  # compared once, at the definition
            old_def, new_def = self.old_types.get(old.target), self.new_types.get(new.target)
            if old_def is None or new_def is None:
                self._type_changed(old, new, site)
            else:
                self.compare_definition(old_def, new_def, direction, site)
            return
        old_alias = self._alias_target(old, self.old_types)
        new_alias = self._alias_target(new, self.new_types)
        if old_alias is not None or new_alias is not None:
            self.compare(old_alias or old, new_alias or new, direction, site)
            return
        if isinstance(old, ir.Union) or isinstance(new, ir.Union):
            self._compare_variants(old, new, direction, site)
        elif isinstance(old, ir.Primitive) and isinstance(new, ir.Primitive):
            self._compare_primitives(old, new, direction, site)
        elif isinstance(old, ir.Array) and isinstance(new, ir.Array):
            self._compare_constraints(old.constraints, new.constraints, direction, site)
            self.compare(old.items, new.items, direction, site.at(f"{site.subject}[]", site.old, site.new))
        elif isinstance(old, ir.Map) and isinstance(new, ir.Map):
            self.compare(old.values, new.values, direction, site.at(f"{site.subject}.*", site.old, site.new))
        elif isinstance(old, ir.Literal) and isinstance(new, ir.Primitive) and _literal_kind(old) is new.kind:
            self.directed(direction, "D217", "D218", f"{site.subject} is no longer fixed to {old.value!r}", site)
        elif isinstance(old, ir.Primitive) and isinstance(new, ir.Literal) and _literal_kind(new) is old.kind:
            self.directed(direction, "D216", "D219", f"{site.subject} is now fixed to {new.value!r}", site)
        elif old != new:
            self._type_changed(old, new, site)

    def _alias_target(self, expr: ir.TypeExpr, types: dict[str, ir.TypeDef]) -> ir.TypeExpr | None:
        if isinstance(expr, ir.Ref):
            definition = types.get(expr.target)
            if isinstance(definition, ir.AliasDef):
                return definition.target
        return None

    def _type_changed(self, old: ir.TypeExpr, new: ir.TypeExpr, site: Site) -> None:
        before, after = describe(old, self.old_types), describe(new, self.new_types)
        self.findings.add("D210", f"type of {site.subject} changed from {before} to {after}", site)

    def _compare_primitives(self, old: ir.Primitive, new: ir.Primitive, direction: Direction, site: Site) -> None:
        if old.kind is not new.kind:
            wider = _wider(old.kind, new.kind)
            if wider is None:
                self._type_changed(old, new, site)
                return
            if wider:
                self.directed(
                    direction, "D217", "D218", f"{site.subject} widened from {old.kind.value} to {new.kind.value}", site
                )
            else:
                self.directed(
                    direction, "D216", "D219", f"{site.subject} narrowed from {old.kind.value} to {new.kind.value}",
                    site,
                )
        elif old.format != new.format:
            if old.format and new.format:
                self.findings.add("D211", f"format of {site.subject} changed from {old.format} to {new.format}", site)
            elif new.format:
                self.directed(direction, "D216", "D219", f"{site.subject} now has format {new.format}", site)
            else:
                self.directed(direction, "D217", "D218", f"{site.subject} no longer has format {old.format}", site)
        self._compare_constraints(old.constraints, new.constraints, direction, site)

    def _compare_constraints(
        self, old: ir.Constraints, new: ir.Constraints, direction: Direction, site: Site
    ) -> None:
        if old == new:
            return
        narrowed, widened, changed = _constraint_changes(old, new)
        if narrowed:
            self.directed(direction, "D216", "D219", f"{site.subject}: {', '.join(narrowed)}", site)
        if widened:
            self.directed(direction, "D217", "D218", f"{site.subject}: {', '.join(widened)}", site)
        if changed:
            self.directed(direction, "D216", "D218", f"{site.subject}: {', '.join(changed)}", site)

    def _compare_variants(self, old: ir.TypeExpr, new: ir.TypeExpr, direction: Direction, site: Site) -> None:
        old_variants = _variants(old, self.old_types)
        new_variants = _variants(new, self.new_types)
        if not old_variants.keys() & new_variants.keys():
            self._type_changed(old, new, site)  # nothing in common: a new type, not new alternatives
            return
        for key, variant in old_variants.items():
            match = new_variants.get(key)
            if match is None:
                name = describe(variant, self.old_types)
                self.directed(direction, "D224", "D227", f"{site.subject} no longer allows {name}", site)
            else:
                self._compare_core(variant, match, direction, site)
        for key, variant in new_variants.items():
            if key not in old_variants:
                name = describe(variant, self.new_types)
                self.directed(direction, "D226", "D225", f"{site.subject} now also allows {name}", site)


def _field_direction(old: ir.Field | None, new: ir.Field | None, direction: Direction) -> Direction:
    """readOnly properties are never accepted and writeOnly ones never returned."""
    present = [f for f in (old, new) if f is not None]
    if direction is Direction.NONE:
        direction = Direction.BOTH
    if all(f.read_only for f in present):
        direction &= ~Direction.REQUEST
    if all(f.write_only for f in present):
        direction &= ~Direction.RESPONSE
    return direction or Direction.BOTH


def _kind(definition: ir.TypeDef) -> str:
    if isinstance(definition, ir.ObjectDef):
        return "an object"
    if isinstance(definition, ir.EnumDef):
        return "an enum"
    return "an alias"


def _literal_kind(literal: ir.Literal) -> ir.PrimitiveKind:
    value = literal.value
    if isinstance(value, bool):
        return ir.PrimitiveKind.BOOLEAN
    if isinstance(value, int):
        return ir.PrimitiveKind.INTEGER
    if isinstance(value, float):
        return ir.PrimitiveKind.NUMBER
    if value is None:
        return ir.PrimitiveKind.NULL
    return ir.PrimitiveKind.STRING


def _wider(old: ir.PrimitiveKind, new: ir.PrimitiveKind) -> bool | None:
    """True if ``new`` admits everything ``old`` does, False for the reverse, None if neither."""
    K = ir.PrimitiveKind
    if new is K.ANY or (old is K.INTEGER and new is K.NUMBER):
        return True
    if old is K.ANY or (old is K.NUMBER and new is K.INTEGER):
        return False
    return None


def _variants(expr: ir.TypeExpr, types: dict[str, ir.TypeDef]) -> dict[str, ir.TypeExpr]:
    """Alternatives by identity: named types by id, others by their shape's kind."""
    items = expr.variants if isinstance(expr, ir.Union) else (expr,)
    found: dict[str, ir.TypeExpr] = {}
    for item in items:
        if isinstance(item, ir.Ref):
            definition = types.get(item.target)
            key = f"ref:{definition.name if definition else item.target}"
        elif isinstance(item, ir.Primitive):
            key = f"primitive:{item.kind.value}"
        elif isinstance(item, ir.Literal):
            key = f"literal:{item.value!r}"
        else:
            key = type(item).__name__
        found.setdefault(key, item)
    return found


def _constraint_changes(old: ir.Constraints, new: ir.Constraints) -> tuple[list[str], list[str], list[str]]:
    """Human descriptions of the tightened, the loosened and the otherwise changed limits.

    A changed pattern (or a multipleOf that neither divides nor is divided by the old
    one) admits some new values and rejects some old ones: breaking either way.
    """
    narrowed: list[str] = []
    widened: list[str] = []
    changed: list[str] = []
    for lower in (True, False):
        old_bound, new_bound = _bound(old, lower), _bound(new, lower)
        if old_bound == new_bound:
            continue
        if old_bound is None:
            assert new_bound is not None
            narrowed.append(f"{_bound_text(new_bound)} added")
        elif new_bound is None:
            widened.append(f"{_bound_text(old_bound)} removed")
        else:
            # As (value, exclusive): for a lower bound a larger value, or the same value
            # made exclusive, admits fewer values; mirrored for an upper bound.
            sign = 1 if lower else -1
            tighter = (sign * new_bound[0], new_bound[1]) > (sign * old_bound[0], old_bound[1])
            (narrowed if tighter else widened).append(f"{_bound_text(old_bound)} -> {_bound_text(new_bound)}")
    lower_bounds = ("min_length", "min_items")
    upper_bounds = ("max_length", "max_items")
    for name in (*lower_bounds, *upper_bounds):
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        label = name.replace("_", " ")
        if before is None:
            narrowed.append(f"{label} {after} added")
        elif after is None:
            widened.append(f"{label} {before} removed")
        elif (after > before) == (name in lower_bounds):
            narrowed.append(f"{label} {before} -> {after}")
        else:
            widened.append(f"{label} {before} -> {after}")
    if old.pattern != new.pattern:
        if new.pattern is None:
            widened.append(f"pattern {old.pattern} removed")
        elif old.pattern is None:
            narrowed.append(f"pattern {new.pattern} added")
        else:
            changed.append(f"pattern changed from {old.pattern} to {new.pattern}")
    if old.multiple_of != new.multiple_of:
        text = f"multipleOf {old.multiple_of} -> {new.multiple_of}"
        if old.multiple_of is None or (new.multiple_of is not None and _divides(old.multiple_of, new.multiple_of)):
            narrowed.append(text)
        elif new.multiple_of is None or _divides(new.multiple_of, old.multiple_of):
            widened.append(text)
        else:
            changed.append(text)
    if old.unique_items != new.unique_items:
        (narrowed if new.unique_items else widened).append(
            "items must be unique" if new.unique_items else "items need no longer be unique"
        )
    return narrowed, widened, changed


def _divides(factor: float, multiple: float) -> bool:
    ratio = multiple / factor
    return math.isclose(ratio, round(ratio))


def _bound(constraints: ir.Constraints, lower: bool) -> tuple[float, bool, str] | None:
    """The effective numeric bound (value, exclusive, kind): the tighter of the inclusive
    and the exclusive keyword, so 3.0's ``minimum: 0, exclusiveMinimum: true`` and 3.1's
    ``exclusiveMinimum: 0`` are the same bound."""
    inclusive = constraints.minimum if lower else constraints.maximum
    exclusive = constraints.exclusive_minimum if lower else constraints.exclusive_maximum
    kind = "minimum" if lower else "maximum"
    if inclusive is None and exclusive is None:
        return None
    if exclusive is None:
        assert inclusive is not None
        return (inclusive, False, kind)
    if inclusive is None:
        return (exclusive, True, kind)
    exclusive_tighter = exclusive >= inclusive if lower else exclusive <= inclusive
    return (exclusive, True, kind) if exclusive_tighter else (inclusive, False, kind)


def _bound_text(bound: tuple[float, bool, str]) -> str:
    value, exclusive, kind = bound
    return f"{'exclusive ' if exclusive else ''}{kind} {value:g}"
