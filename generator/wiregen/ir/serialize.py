"""IR -> plain JSON (the ``ir`` target; its schema is ``schemas/ir.schema.json``).

Members of a type union carry a ``kind`` tag (``object``, ``enum``, ``alias``,
``literal``, ``array``, ``map``, ``ref``, ``union``) so the JSON can be read back
without guessing; a primitive's tag is its own kind (``string``, ``integer``,
``number``, ``boolean``, ``null``, ``any``), which no other node uses. Enum values
become their string value, tuples lists.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from wiregen.ir import model as ir

_KINDS: dict[type, str] = {
    ir.ObjectDef: "object",
    ir.EnumDef: "enum",
    ir.AliasDef: "alias",
    ir.Literal: "literal",
    ir.Array: "array",
    ir.Map: "map",
    ir.Ref: "ref",
    ir.Union: "union",
}


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {}
        kind = _KINDS.get(type(value))
        if kind is not None:
            result["kind"] = kind
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.name == "constraints" and isinstance(item, ir.Constraints) and item.is_empty():
                continue
            result[f.name] = to_json(item)
        if isinstance(value, ir.Response):
            result["is_success"] = value.is_success
        return result
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value
