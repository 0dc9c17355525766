"""Coarse structural shape of a type expression, used to parse untyped wire text.

Query strings, headers, cookies and form bodies carry strings only; knowing
whether a parameter (or form field) is an array, an object or a scalar tells
the parser whether ``a,b`` is one value or two and whether a lone ``x=1`` must
become ``[1]``.  Shapes are computed by introspecting the type annotation.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import abc
from dataclasses import dataclass, field
from typing import Any, Literal, Union

ShapeKind = Literal["scalar", "array", "object", "bytes", "file", "any"]

_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Shape:
    kind: ShapeKind
    item: Shape | None = None
    fields: typing.Mapping[str, Shape] = field(default_factory=dict)
    extra: Shape | None = None

    def field_shape(self, key: str) -> Shape:
        """Shape of an object member (``any`` when unknown)."""
        found = self.fields.get(key)
        if found is not None:
            return found
        return self.extra or ANY

    @property
    def item_shape(self) -> Shape:
        return self.item or ANY


ANY = Shape("any")
SCALAR = Shape("scalar")
BYTES = Shape("bytes")
FILE = Shape("file")

_ARRAY_ORIGINS: tuple[Any, ...] = (
    list, tuple, set, frozenset, abc.Sequence, abc.MutableSequence, abc.Set,
    abc.MutableSet, abc.Iterable, abc.Collection,
)  # fmt: skip
_MAPPING_ORIGINS: tuple[Any, ...] = (dict, abc.Mapping, abc.MutableMapping)
_SCALARS: tuple[type, ...] = (str, int, float, bool, enum.Enum)


class BinaryMarker:
    """Annotated metadata marking a file-like field (see ``files.Binary``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BinaryMarker()"


def shape_of(tp: Any, _depth: int = 0) -> Shape:
    """The shape of a type expression (``Annotated``, unions and aliases unwrapped)."""
    if _depth > _MAX_DEPTH or tp is Any or tp is object:
        return ANY
    depth = _depth + 1
    value = getattr(tp, "__value__", None)  # PEP 695 ``type X = ...`` aliases
    if value is not None and type(tp).__name__ == "TypeAliasType":
        return shape_of(value, depth)
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(tp)
        if any(isinstance(m, BinaryMarker) for m in meta):
            return FILE
        return shape_of(base, depth)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return _merge([shape_of(m, depth) for m in members])
    if origin is Literal:
        return SCALAR
    if origin in _ARRAY_ORIGINS:
        args = typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return Shape("array", item=shape_of(args[0], depth))
        if origin is tuple:
            return Shape("array", item=_merge([shape_of(a, depth) for a in args]) if args else ANY)
        return Shape("array", item=shape_of(args[0], depth) if args else ANY)
    if origin in _MAPPING_ORIGINS:
        args = typing.get_args(tp)
        return Shape("object", extra=shape_of(args[1], depth) if len(args) == 2 else ANY)
    if origin is not None:
        return ANY
    if tp in (list, tuple, set, frozenset):
        return Shape("array", item=ANY)
    if tp is dict:
        return Shape("object", extra=ANY)
    if isinstance(tp, type):
        return _class_shape(tp, depth)
    return ANY


def _class_shape(tp: type, depth: int) -> Shape:
    if issubclass(tp, (bytes, bytearray)):
        return BYTES
    if issubclass(tp, _SCALARS):
        return SCALAR
    model_fields = getattr(tp, "__pydantic_fields__", None)
    if isinstance(model_fields, dict) and hasattr(tp, "model_validate"):
        fields: dict[str, Shape] = {}
        for name, info in model_fields.items():
            shape = shape_of(getattr(info, "annotation", Any), depth)
            if any(isinstance(m, BinaryMarker) for m in getattr(info, "metadata", ())):
                shape = FILE
            for key in (
                getattr(info, "validation_alias", None),
                getattr(info, "serialization_alias", None),
                getattr(info, "alias", None),
                name,
            ):
                if isinstance(key, str):
                    fields.setdefault(key, shape)
        config = getattr(tp, "model_config", {})
        extra = ANY if config.get("extra") == "allow" else None
        return Shape("object", fields=fields, extra=extra)
    if typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return Shape("object", fields={k: shape_of(v, depth) for k, v in hints.items()})
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return Shape(
            "object",
            fields={
                f.name: shape_of(hints.get(f.name, Any), depth) for f in dataclasses.fields(tp)
            },
        )
    # datetime, date, UUID, Decimal, ... travel as strings.
    return SCALAR


def _merge(shapes: list[Shape]) -> Shape:
    if not shapes:
        return ANY
    kinds = {s.kind for s in shapes}
    if "file" in kinds:
        return FILE
    if len(kinds) > 1:
        return ANY
    kind = shapes[0].kind
    if kind == "object":
        fields: dict[str, Shape] = {}
        for s in shapes:
            for k, v in s.fields.items():
                fields.setdefault(k, v)
        extras = [s.extra for s in shapes if s.extra is not None]
        return Shape("object", fields=fields, extra=extras[0] if extras else None)
    if kind == "array":
        return Shape("array", item=_merge([s.item_shape for s in shapes]))
    return shapes[0]
