"""JSON Schema (OpenAPI 3.0 / 3.1 / AsyncAPI dialects) -> IR types.

Shared by the OpenAPI and AsyncAPI frontends. Every ``$ref`` target and every inline
object or enum becomes a named definition whose id is where it came from
(``file#pointer``), so the same schema reached twice is one definition, and
recursion needs no special case: a definition is registered before its body is
converted, and a reference to it is just a :class:`Ref`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from wiregen.diagnostics import Diagnostic, SourceSpan, warning
from wiregen.ir import model as ir
from wiregen.load import Document, Workspace

_PRIMITIVES = {
    "string": ir.PrimitiveKind.STRING,
    "integer": ir.PrimitiveKind.INTEGER,
    "number": ir.PrimitiveKind.NUMBER,
    "boolean": ir.PrimitiveKind.BOOLEAN,
    "null": ir.PrimitiveKind.NULL,
}
_ANY = ir.Primitive(kind=ir.PrimitiveKind.ANY)
_NULL = ir.Primitive(kind=ir.PrimitiveKind.NULL)
_OBJECT_KEYWORDS = ("properties", "additionalProperties", "patternProperties", "required")
_CONSTRAINT_KEYWORDS = frozenset(
    {
        "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems",
    }
)
_NO_CONSTRAINTS = ir.Constraints()


@dataclass(frozen=True, slots=True)
class Loc:
    """A node in a loaded document."""

    doc: Document
    pointer: str
    node: Any

    @property
    def span(self) -> SourceSpan:
        return SourceSpan(file=self.doc.display, pointer=self.pointer)

    @property
    def id(self) -> str:
        return f"{self.doc.display}#{self.pointer}"

    def child(self, *tokens: str | int) -> Loc:
        node = self.node
        pointer = self.pointer
        for token in tokens:
            node = node[token]
            pointer += "/" + str(token).replace("~", "~0").replace("/", "~1")
        return Loc(self.doc, pointer, node)


@dataclass(slots=True)
class _Merged:
    """An object schema with its allOf parts flattened."""

    properties: dict[str, Loc]
    required: set[str]
    additional: Loc | None
    additional_forbidden: bool
    discriminator: Loc | None


class SchemaConverter:
    """Converts schemas on demand; collects named definitions as it goes."""

    def __init__(self, workspace: Workspace, *, nullable_keyword: bool) -> None:
        self._ws = workspace
        # OpenAPI 3.0 spells "or null" as `nullable: true`; 3.1 and AsyncAPI use type lists.
        self._nullable_keyword = nullable_keyword
        self._defs: dict[str, ir.TypeDef | None] = {}
        """id -> definition; None while its body is being converted."""
        self._order: list[str] = []
        self._subtypes: dict[str, list[str]] | None = None
        self._scanned_roots: list[Loc] = []
        self.diagnostics: list[Diagnostic] = []

    # ----------------------------------------------------------------- public

    def definitions(self) -> tuple[ir.TypeDef, ...]:
        """All definitions, in the order they were first reached."""
        return tuple(d for d in (self._defs[i] for i in self._order) if d is not None)

    def register_components(self, container: Loc) -> None:
        """Define every schema of a ``components/schemas``-like mapping, by name."""
        if not isinstance(container.node, Mapping):
            return
        self._scanned_roots.append(container)
        for name in container.node:
            self.define(container.child(name), name)

    def define(self, loc: Loc, name: str) -> ir.TypeExpr:
        """Convert a schema that deserves a name; returns a reference to it when it got one."""
        loc = self._deref(loc)
        if loc.id in self._defs:
            return self._ref_to(loc)
        if not isinstance(loc.node, Mapping):
            return self.convert(loc, name)
        self._defs[loc.id] = None
        self._order.append(loc.id)
        self._defs[loc.id] = self._build_definition(loc, name)
        return self._ref_to(loc)

    def convert(self, loc: Loc, name_hint: str) -> ir.TypeExpr:
        """The type of the schema at ``loc``; inline objects and enums are hoisted."""
        node = loc.node
        if node is True or node is None:
            return _ANY
        if node is False or not isinstance(node, Mapping):
            return _ANY
        if "$ref" in node:
            return self._convert_ref(loc, name_hint)
        expr = self._convert_plain(loc, name_hint)
        if self._is_nullable(node):
            return ir.nullable(expr)
        return expr

    # ------------------------------------------------------------- references

    def _deref(self, loc: Loc) -> Loc:
        """Follow a chain of bare ``$ref`` nodes to the schema they name."""
        seen: set[str] = set()
        while isinstance(loc.node, Mapping) and isinstance(loc.node.get("$ref"), str):
            if loc.id in seen:
                break
            seen.add(loc.id)
            resolved = self._ws.resolve_ref(loc.node["$ref"], loc.doc, loc.child("$ref").span)
            loc = Loc(resolved.document, resolved.pointer, resolved.node)
        return loc

    def _convert_ref(self, loc: Loc, name_hint: str) -> ir.TypeExpr:
        target = self._deref(loc)
        expr = self.define(target, _name_from_pointer(target.pointer, name_hint))
        siblings = loc.node
        if self._is_nullable(siblings) and "$ref" in siblings:
            expr = ir.nullable(expr)
        return expr

    def _ref_to(self, loc: Loc) -> ir.TypeExpr:
        polymorphic = self._polymorphic_union(loc)
        return polymorphic if polymorphic is not None else ir.Ref(target=loc.id)

    # ------------------------------------------------------------ definitions

    def _build_definition(self, loc: Loc, name: str) -> ir.TypeDef:
        node = loc.node
        doc = _doc(node)
        deprecated = bool(node.get("deprecated", False))
        enum = self._enum_def(loc, name, doc, deprecated)
        if enum is not None:
            return enum
        if self._is_object(node):
            return self._object_def(loc, name, doc, deprecated)
        target = self._convert_plain(loc, name)
        if self._is_nullable(node):
            target = ir.nullable(target)
        return ir.AliasDef(id=loc.id, name=name, target=target, doc=doc, deprecated=deprecated, span=loc.span)

    def _enum_def(self, loc: Loc, name: str, doc: str, deprecated: bool) -> ir.EnumDef | None:
        values = loc.node.get("enum")
        if not isinstance(values, list) or not values:
            return None
        members = [v for v in values if v is not None]
        if members and all(isinstance(v, str) for v in members):
            base = ir.PrimitiveKind.STRING
        elif members and all(isinstance(v, int) and not isinstance(v, bool) for v in members):
            base = ir.PrimitiveKind.INTEGER
        else:
            return None
        unique = list(dict.fromkeys(members))
        return ir.EnumDef(
            id=loc.id,
            name=name,
            members=tuple(ir.EnumMember(value=v) for v in unique),
            base=base,
            doc=doc,
            deprecated=deprecated,
            span=loc.span,
        )

    def _is_object(self, node: Mapping[str, Any]) -> bool:
        if any(k in node for k in ("oneOf", "anyOf")) and "properties" not in node:
            return False
        if "allOf" in node:
            return self._all_of_is_object(node)
        types = _types(node)
        if "properties" in node and isinstance(node["properties"], Mapping) and node["properties"]:
            return types <= {"object", "null"} or not types
        return False

    def _all_of_is_object(self, node: Mapping[str, Any]) -> bool:
        parts = node.get("allOf")
        if not isinstance(parts, list):
            return False
        # `allOf: [$ref]` alone is how 3.0 specs attach a description or nullable to a ref.
        return len(parts) != 1 or any(k in node for k in _OBJECT_KEYWORDS)

    def _object_def(self, loc: Loc, name: str, doc: str, deprecated: bool) -> ir.ObjectDef:
        merged = self._merge(loc, set())
        bases = self._bases(loc)
        inherited = self._inherited(bases)
        if not self._extends_soundly(merged, inherited):
            # allOf intersects schemas; a Python subclass can only narrow. When the
            # child redefines a property, it gets all fields of its own instead.
            bases, inherited = [], {}
        fields = []
        for prop, prop_loc in merged.properties.items():
            required = prop in merged.required
            if inherited.get(prop) == (prop_loc.id, required):
                continue
            fields.append(self._field(prop, prop_loc, required, name))
        extra = ir.ExtraPolicy.FORBID if merged.additional_forbidden else ir.ExtraPolicy.ALLOW
        extra_values = None
        if merged.additional is not None:
            extra_values = self.convert(merged.additional, f"{name} value")
        for base in bases:
            self.define(base, _name_from_pointer(base.pointer, name))
        return ir.ObjectDef(
            id=loc.id,
            name=name,
            fields=tuple(fields),
            bases=tuple(b.id for b in bases),
            extra=extra,
            extra_values=extra_values,
            doc=doc,
            deprecated=deprecated,
            span=loc.span,
        )

    def _inherited(self, bases: list[Loc]) -> dict[str, tuple[str, bool]]:
        """Properties the bases define: wire name -> (schema id, required)."""
        inherited: dict[str, tuple[str, bool]] = {}
        for base in bases:
            base_merged = self._merge(base, set())
            for prop, prop_loc in base_merged.properties.items():
                inherited[prop] = (prop_loc.id, prop in base_merged.required)
        return inherited

    @staticmethod
    def _extends_soundly(merged: _Merged, inherited: dict[str, tuple[str, bool]]) -> bool:
        """A subclass may repeat a base property or make it required, nothing else."""
        for prop, (source, was_required) in inherited.items():
            own = merged.properties.get(prop)
            if own is None:
                continue
            if own.id != source or (was_required and prop not in merged.required):
                return False
        return True

    def _bases(self, loc: Loc) -> list[Loc]:
        """The first allOf part that names an object schema is the Python base class."""
        parts = loc.node.get("allOf")
        if not isinstance(parts, list):
            return []
        for index, part in enumerate(parts):
            if isinstance(part, Mapping) and "$ref" in part:
                target = self._deref(loc.child("allOf", index))
                if isinstance(target.node, Mapping) and self._is_object(target.node):
                    return [target]
        return []

    def _merge(self, loc: Loc, seen: set[str]) -> _Merged:
        """Flatten an object schema and its allOf parts into one property list."""
        merged = _Merged(properties={}, required=set(), additional=None, additional_forbidden=False, discriminator=None)
        if loc.id in seen:
            return merged
        seen = seen | {loc.id}
        node = loc.node
        parts = node.get("allOf")
        if isinstance(parts, list):
            for index in range(len(parts)):
                part = self._deref(loc.child("allOf", index))
                if isinstance(part.node, Mapping):
                    inner = self._merge(part, seen)
                    merged.properties.update(inner.properties)
                    merged.required |= inner.required
                    merged.additional = inner.additional or merged.additional
                    merged.additional_forbidden |= inner.additional_forbidden
                    merged.discriminator = inner.discriminator or merged.discriminator
        properties = node.get("properties")
        if isinstance(properties, Mapping):
            for prop in properties:
                merged.properties[str(prop)] = loc.child("properties", prop)
        required = node.get("required")
        if isinstance(required, list):
            merged.required |= {r for r in required if isinstance(r, str)}
        additional = node.get("additionalProperties")
        if additional is False:
            merged.additional_forbidden = True
        elif isinstance(additional, Mapping) and additional:
            merged.additional = loc.child("additionalProperties")
        if isinstance(node.get("discriminator"), Mapping):
            merged.discriminator = loc.child("discriminator")
        return merged

    def _field(self, name: str, loc: Loc, required: bool, owner: str) -> ir.Field:
        node = loc.node if isinstance(loc.node, Mapping) else {}
        target = self._deref(loc) if "$ref" in node else loc
        target_node = target.node if isinstance(target.node, Mapping) else {}
        type_expr = self.convert(loc, f"{owner} {name}")
        # OpenAPI: readOnly properties are absent from requests and writeOnly ones from
        # responses, so a "required" one cannot be required in both directions.
        read_only = bool(node.get("readOnly", target_node.get("readOnly", False)))
        write_only = bool(node.get("writeOnly", target_node.get("writeOnly", False)))
        default = None
        if "default" in node:
            default = ir.Default(value=node["default"])
        return ir.Field(
            name=name,
            type=type_expr,
            required=required and not (read_only or write_only),
            default=default,
            read_only=read_only,
            write_only=write_only,
            deprecated=bool(node.get("deprecated", False)),
            doc=_doc(node) or _doc(target_node),
            span=loc.span,
        )

    # ------------------------------------------------------------ plain types

    def _convert_plain(self, loc: Loc, name_hint: str) -> ir.TypeExpr:
        node = loc.node
        if "const" in node:
            return ir.Literal(value=_literal(node["const"]))
        if "enum" in node:
            return self._inline_enum(loc, name_hint)
        if self._is_object(node):
            return self.define(loc, name_hint)
        for keyword in ("oneOf", "anyOf"):
            if isinstance(node.get(keyword), list):
                return self._union(loc, keyword, name_hint)
        if isinstance(node.get("allOf"), list):
            return self._single_all_of(loc, name_hint)
        types = [t for t in _type_list(node) if t in _PRIMITIVES or t in ("object", "array")]
        if not types:
            types = _implied_types(node)
        variants = [self._typed(loc, t, name_hint) for t in types]
        if not variants:
            return _ANY
        if len(variants) == 1:
            return variants[0]
        return _union_of(variants)

    def _typed(self, loc: Loc, type_name: str, name_hint: str) -> ir.TypeExpr:
        node = loc.node
        if type_name == "array":
            items = node.get("items")
            item_type = self.convert(loc.child("items"), f"{name_hint} item") if isinstance(items, Mapping) else _ANY
            return ir.Array(items=item_type, constraints=self._constraints(loc))
        if type_name == "object":
            additional = node.get("additionalProperties")
            if isinstance(additional, Mapping) and additional:
                return ir.Map(values=self.convert(loc.child("additionalProperties"), f"{name_hint} value"))
            return ir.Map(values=_ANY)
        kind = _PRIMITIVES[type_name]
        fmt = node.get("format")
        return ir.Primitive(
            kind=kind,
            format=fmt if isinstance(fmt, str) else None,
            constraints=self._constraints(loc),
        )

    def _inline_enum(self, loc: Loc, name_hint: str) -> ir.TypeExpr:
        values = loc.node["enum"]
        if not isinstance(values, list) or not values:
            return _ANY
        non_null = [v for v in values if v is not None]
        if self._enum_def(loc, name_hint, "", False) is not None:
            expr = self.define(loc, name_hint)
        else:
            expr = _union_of([ir.Literal(value=_literal(v)) for v in non_null]) if non_null else _NULL
        if None in values:
            expr = ir.nullable(expr)
        return expr

    def _single_all_of(self, loc: Loc, name_hint: str) -> ir.TypeExpr:
        parts = loc.node["allOf"]
        if not parts:
            return _ANY
        return self.convert(loc.child("allOf", 0), name_hint)

    def _union(self, loc: Loc, keyword: str, name_hint: str) -> ir.TypeExpr:
        parts = loc.node[keyword]
        variants: list[ir.TypeExpr] = []
        for index in range(len(parts)):
            variants.append(self.convert(loc.child(keyword, index), f"{name_hint} option{index + 1}"))
        discriminator = None
        if isinstance(loc.node.get("discriminator"), Mapping):
            discriminator = self._discriminator(loc.child("discriminator"), variants)
        return _union_of(variants, discriminator)

    def _discriminator(self, loc: Loc, variants: list[ir.TypeExpr]) -> ir.Discriminator | None:
        prop = loc.node.get("propertyName")
        if not isinstance(prop, str):
            return None
        mapping: dict[str, str] = {}
        raw = loc.node.get("mapping")
        if isinstance(raw, Mapping):
            for tag, ref in raw.items():
                if isinstance(ref, str):
                    target = self._resolve_mapping_target(loc, str(tag), ref)
                    if target is not None:
                        mapping[str(tag)] = target
        # Variants the mapping does not name are tagged by their schema name (OpenAPI rule).
        named = set(mapping.values())
        for variant in variants:
            if isinstance(variant, ir.Ref) and variant.target not in named:
                mapping.setdefault(_name_from_pointer(variant.target.rsplit("#", 1)[-1], ""), variant.target)
        return ir.Discriminator(property=prop, mapping=tuple(sorted(mapping.items())))

    def _resolve_mapping_target(self, loc: Loc, tag: str, ref: str) -> str | None:
        if "#" not in ref and "/" not in ref and "." not in ref:
            # A bare schema name: OpenAPI allows `mapping: {dog: Dog}`.
            ref = f"#/components/schemas/{ref}"
        mapping_loc = loc.child("mapping", tag)
        resolved = self._ws.resolve_ref(ref, loc.doc, mapping_loc.span)
        target = self._deref(Loc(resolved.document, resolved.pointer, resolved.node))
        expr = self.define(target, _name_from_pointer(target.pointer, tag))
        if isinstance(expr, ir.Ref):
            return expr.target
        return target.id if target.id in self._defs else None

    # ---------------------------------------------------- polymorphic bases

    def _polymorphic_union(self, loc: Loc) -> ir.TypeExpr | None:
        """A reference to a base schema with a discriminator means "one of its subtypes"."""
        node = loc.node
        if not isinstance(node, Mapping) or any(k in node for k in ("oneOf", "anyOf")):
            return None
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, Mapping) or not isinstance(discriminator.get("propertyName"), str):
            return None
        subtypes = self._subtypes_of(loc)
        if not subtypes:
            return None
        variants: list[ir.TypeExpr] = []
        disc_loc = loc.child("discriminator")
        mapping_ids: set[str] = set()
        raw = discriminator.get("mapping")
        if isinstance(raw, Mapping):
            for tag, ref in raw.items():
                if isinstance(ref, str):
                    target_id = self._resolve_mapping_target(disc_loc, str(tag), ref)
                    if target_id is not None:
                        mapping_ids.add(target_id)
        for target_id in sorted(mapping_ids | set(subtypes)):
            variants.append(ir.Ref(target=target_id))
        disc = self._discriminator(disc_loc, variants)
        return ir.Union(variants=tuple(variants), discriminator=disc)

    def _subtypes_of(self, loc: Loc) -> list[str]:
        if self._subtypes is None:
            self._subtypes = self._index_subtypes()
        return self._subtypes.get(loc.id, [])

    def _index_subtypes(self) -> dict[str, list[str]]:
        """Which registered component schemas extend which (through allOf $refs)."""
        index: dict[str, list[str]] = {}
        for root in self._scanned_roots:
            for name in root.node:
                child = root.child(name)
                parts = child.node.get("allOf") if isinstance(child.node, Mapping) else None
                if not isinstance(parts, list):
                    continue
                for i, part in enumerate(parts):
                    if isinstance(part, Mapping) and "$ref" in part:
                        base = self._deref(child.child("allOf", i))
                        index.setdefault(base.id, []).append(child.id)
        return index

    # ---------------------------------------------------------------- helpers

    def _is_nullable(self, node: Mapping[str, Any]) -> bool:
        if self._nullable_keyword and node.get("nullable") is True:
            return True
        types = node.get("type")
        return isinstance(types, list) and "null" in types and len(types) > 1

    def _constraints(self, loc: Loc) -> ir.Constraints:
        node = loc.node
        if not isinstance(node, Mapping) or node.keys().isdisjoint(_CONSTRAINT_KEYWORDS):
            return _NO_CONSTRAINTS
        minimum = _number(node.get("minimum"))
        maximum = _number(node.get("maximum"))
        exclusive_minimum = _number(node.get("exclusiveMinimum"))
        exclusive_maximum = _number(node.get("exclusiveMaximum"))
        # OpenAPI 3.0 (JSON Schema draft 4): exclusiveMinimum is a boolean modifier.
        if node.get("exclusiveMinimum") is True and minimum is not None:
            exclusive_minimum, minimum = minimum, None
        if node.get("exclusiveMaximum") is True and maximum is not None:
            exclusive_maximum, maximum = maximum, None
        pattern = node.get("pattern")
        multiple_of = _number(node.get("multipleOf"))
        return ir.Constraints(
            min_length=_count(node.get("minLength")),
            max_length=_count(node.get("maxLength")),
            pattern=pattern if isinstance(pattern, str) else None,
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_minimum,
            exclusive_maximum=exclusive_maximum,
            multiple_of=multiple_of if multiple_of and multiple_of > 0 else None,
            min_items=_count(node.get("minItems")),
            max_items=_count(node.get("maxItems")),
            unique_items=node.get("uniqueItems") is True,
        )

    def warn(self, code: str, message: str, span: SourceSpan) -> None:
        self.diagnostics.append(warning(code, message, span))


def _union_of(variants: list[ir.TypeExpr], discriminator: ir.Discriminator | None = None) -> ir.TypeExpr:
    flat: list[ir.TypeExpr] = []
    for variant in variants:
        nested = variant.variants if isinstance(variant, ir.Union) and variant.discriminator is None else (variant,)
        for v in nested:
            if v not in flat:
                flat.append(v)
    if _ANY in flat:
        return _ANY
    nulls = [v for v in flat if v == _NULL]
    rest = [v for v in flat if v != _NULL]
    if not rest:
        return _NULL
    if len(rest) == 1:
        expr = rest[0]
    else:
        expr = ir.Union(variants=tuple(rest), discriminator=discriminator)
    return ir.nullable(expr) if nulls else expr


def _types(node: Mapping[str, Any]) -> set[str]:
    return set(_type_list(node))


def _type_list(node: Mapping[str, Any]) -> list[str]:
    value = node.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v != "null"]
    return []


def _implied_types(node: Mapping[str, Any]) -> list[str]:
    """Schemas often omit `type`; infer it from the keywords present."""
    if any(k in node for k in _OBJECT_KEYWORDS):
        return ["object"]
    if "items" in node or "minItems" in node or "maxItems" in node:
        return ["array"]
    if any(k in node for k in ("minLength", "maxLength", "pattern")):
        return ["string"]
    if "format" in node and node["format"] in ("date-time", "date", "uuid", "email", "uri", "binary", "byte"):
        return ["string"]
    return []


def _literal(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _doc(node: Any) -> str:
    if not isinstance(node, Mapping):
        return ""
    for key in ("description", "title", "summary"):
        value = node.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _name_from_pointer(pointer: str, fallback: str) -> str:
    last = pointer.rsplit("/", 1)[-1] if pointer else ""
    last = last.replace("~1", "/").replace("~0", "~")
    if not last or last.isdigit() or last in ("schema", "items", "additionalProperties"):
        return fallback or "Model"
    return last


def iter_schema_roots(loc: Loc) -> Iterator[Loc]:
    """The schema mappings of a components section (kept for AsyncAPI reuse)."""
    node = loc.node
    if isinstance(node, Mapping) and isinstance(node.get("schemas"), Mapping):
        yield loc.child("schemas")
