"""``Base64Data``: the field type of ``format: byte`` (base64-encoded data on the wire).

In Python the value is the raw ``bytes``; on the wire (JSON mode) it is the base64
text. Validation takes either: ``bytes`` as the data itself, ``str`` as base64 text
(standard or URL-safe alphabet, padding optional) — so wire JSON and Python
construction both just work, unlike pydantic's ``Base64Bytes``, which would try to
decode raw bytes passed from Python.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema


def _decode(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        text = value.strip().replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"invalid base64 data: {error}") from None
    raise ValueError("expected bytes or base64 text")


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Data = Annotated[
    bytes,
    PlainValidator(_decode),
    PlainSerializer(_encode, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "byte"}),
]
