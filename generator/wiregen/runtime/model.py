"""``WireModel``: the base class of every generated pydantic model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
)
from pydantic import model_serializer as _model_serializer

_F = TypeVar("_F", bound=Callable[..., Any])
_OMITTABLE: dict[type[Any], tuple[tuple[str, str], ...]] = {}


def _omittable(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """``(name, wire key)`` of optional fields whose default is ``None``."""
    found = _OMITTABLE.get(cls)
    if found is None:
        found = tuple(
            (name, info.serialization_alias or info.alias or name)
            for name, info in cls.model_fields.items()
            if not info.is_required() and info.default is None and info.default_factory is None
        )
        _OMITTABLE[cls] = found
    return found


def _schema_from_fields(fn: _F) -> _F:
    """Drop ``fn``'s return annotation: pydantic then derives the serialization-mode
    JSON schema from the model's fields instead of from the (``Any``) return type."""
    fn.__annotations__.pop("return", None)
    return fn


@_schema_from_fields
def _wire_serialize(
    self: BaseModel, handler: SerializerFunctionWrapHandler, info: SerializationInfo
) -> Any:
    data = handler(self)
    if not isinstance(data, dict) or not info.mode_is_json():
        return data
    omit = _omittable(type(self))
    if omit:
        by_alias = info.by_alias or bool(type(self).model_config.get("serialize_by_alias"))
        fields_set = self.__pydantic_fields_set__
        for name, key in omit:
            if name not in fields_set:
                data.pop(key if by_alias else name, None)
    return data


class WireModel(BaseModel):
    """Base of generated models.

    Validates by field name or alias; schema building is deferred to first use.
    In JSON mode (``model_dump(mode="json")``, ``model_dump_json``) optional
    fields that were never set and default to ``None`` are left out, while
    fields explicitly set to ``None`` are kept, so
    ``M.model_validate(wire).model_dump(by_alias=True, mode="json") == wire``.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
        regex_engine="python-re",
        arbitrary_types_allowed=False,
    )

    _wiregen_serialize = _model_serializer(mode="wrap")(_wire_serialize)
