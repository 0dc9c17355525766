"""``Binary``: the field type of file-like members (multipart uploads, binary bodies).

Accepts ``bytes``, a binary file object (anything with ``.read``), or a
``(filename, content, content_type)`` tuple; validation keeps the value as
given (``bytearray``/``memoryview`` become ``bytes``, 2-tuples get a ``None``
content type).  The server hands multipart file parts to implementations as
``(filename, bytes, content_type)`` tuples.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TypeAlias

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from .shapes import BinaryMarker

_EXPECTED = "expected bytes, a binary file object or a (filename, content, content_type) tuple"


def _is_content(value: Any) -> bool:
    return isinstance(value, bytes) or (hasattr(value, "read") and not isinstance(value, str))


def _validate(value: Any) -> Any:
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if _is_content(value):
        return value
    if isinstance(value, (tuple, list)) and len(value) in (2, 3):
        filename, content = value[0], value[1]
        ctype = value[2] if len(value) == 3 else None
        if isinstance(content, (bytearray, memoryview)):
            content = bytes(content)
        if (
            (filename is None or isinstance(filename, str))
            and _is_content(content)
            and (ctype is None or isinstance(ctype, str))
        ):
            return (filename, content, ctype)
    raise ValueError(_EXPECTED)


def _serialize(value: Any) -> Any:
    """JSON mode only: bytes as base64; file objects and tuples by file name."""
    if isinstance(value, tuple):
        return value[0]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else None


if TYPE_CHECKING:
    Binary: TypeAlias = bytes | BinaryIO | tuple[str, bytes | BinaryIO, str]
else:
    Binary = Annotated[
        Any,
        PlainValidator(_validate),
        PlainSerializer(_serialize, when_used="json"),
        WithJsonSchema({"type": "string", "format": "binary"}),
        BinaryMarker(),
    ]

__all__ = ["Binary"]
