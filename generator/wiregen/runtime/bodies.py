"""Request bodies: encoding on the client, decoding on the server (framework-free)."""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from pydantic_core import to_json

from .codec import (
    parse_query_string,
    query_fragment,
    scalar_text,
    to_plain,
    validate_loose,
)
from .multipart import Part, encode_multipart
from .spec import Body

if TYPE_CHECKING:
    from .shapes import Shape

OCTET_STREAM = "application/octet-stream"

# ---------------------------------------------------------------------------
# Client side
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncodedBody:
    content: bytes
    content_type: str


def is_file_like(value: Any) -> bool:
    """bytes, a binary file object, or a ``(filename, content, content_type)`` tuple."""
    if isinstance(value, (bytes, bytearray, memoryview)) or hasattr(value, "read"):
        return True
    return (
        isinstance(value, tuple)
        and len(value) in (2, 3)
        and (value[0] is None or isinstance(value[0], str))
        and (isinstance(value[1], (bytes, bytearray, memoryview)) or hasattr(value[1], "read"))
    )


def read_content(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if hasattr(value, "read"):
        data = value.read()
        return data.encode() if isinstance(data, str) else bytes(data)
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"expected bytes or a binary file object, got {type(value).__name__}")


def file_parts(value: Any, default_name: str) -> tuple[str, bytes, str]:
    """``(filename, content, content_type)`` of a file-like value."""
    if isinstance(value, tuple):
        filename = value[0] or default_name
        content = read_content(value[1])
        ctype = value[2] if len(value) == 3 and value[2] else None
    else:
        name = getattr(value, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default_name
        content = read_content(value)
        ctype = None
    if ctype is None:
        ctype = mimetypes.guess_type(filename)[0] or OCTET_STREAM
    return filename, content, ctype


def _members(value: Any) -> Iterable[tuple[str, Any]]:
    """Top-level members of a body object, by wire name, keeping raw (file) values."""
    fields = getattr(type(value), "__pydantic_fields__", None)
    if isinstance(fields, dict) and hasattr(value, "model_validate"):
        for name, info in fields.items():
            yield (info.serialization_alias or info.alias or name), getattr(value, name)
        yield from (getattr(value, "__pydantic_extra__", None) or {}).items()
    elif isinstance(value, Mapping):
        yield from ((str(k), v) for k, v in value.items())
    else:
        raise TypeError(f"a form body must be a model or a mapping, got {type(value).__name__}")


def _form(value: Any) -> EncodedBody:
    plain = to_plain(value)
    if not isinstance(plain, dict):
        raise TypeError(f"a form body must be an object, got {type(value).__name__}")
    out: list[str] = []
    for k, v in plain.items():
        if v is None:
            continue
        for item in v if isinstance(v, list) else [v]:
            text = scalar_text(item)  # nested objects become JSON
            out.append(query_fragment(k, text))
    return EncodedBody("&".join(out).encode("ascii"), "application/x-www-form-urlencoded")


def _multipart(value: Any) -> EncodedBody:
    parts: list[Part] = []
    for name, v in _members(value):
        if v is None:
            continue
        if is_file_like(v) or (isinstance(v, list) and v and all(is_file_like(x) for x in v)):
            for item in v if isinstance(v, list) else [v]:
                filename, content, ctype = file_parts(item, name)
                parts.append(Part(name, content, filename, ctype))
            continue
        plain = to_plain(v)
        if isinstance(plain, (dict, list)):
            parts.append(Part(name, to_json(plain), None, "application/json"))
        else:
            parts.append(Part(name, scalar_text(plain).encode(), None, None))
    content, ctype = encode_multipart(parts)
    return EncodedBody(content, ctype)


def _concrete(media_type: str, fallback: str) -> str:
    return fallback if "*" in media_type else media_type


def encode_body(spec: Body, value: Any) -> EncodedBody:
    """Serialise a request body per ``spec.kind``; file objects are read into memory
    (a fully buffered body can be re-sent by retries)."""
    if spec.kind == "json":
        return EncodedBody(
            to_json(value, by_alias=True), _concrete(spec.media_type, "application/json")
        )
    if spec.kind == "form":
        return _form(value)
    if spec.kind == "multipart":
        return _multipart(value)
    if spec.kind == "text":
        text = value if isinstance(value, str) else scalar_text(to_plain(value))
        ctype = _concrete(spec.media_type, "text/plain")
        if "charset=" not in ctype.lower():
            ctype += "; charset=utf-8"
        return EncodedBody(text.encode(), ctype)
    if isinstance(value, tuple) and is_file_like(value):
        _, content, ctype = file_parts(value, "upload")
        return EncodedBody(content, ctype if "*" in spec.media_type else spec.media_type)
    return EncodedBody(read_content(value), _concrete(spec.media_type, OCTET_STREAM))


# ---------------------------------------------------------------------------
# Server side
# ---------------------------------------------------------------------------


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _field_value(values: list[Any], shape: Shape) -> Any:
    """One form/multipart field's raw values (str or file tuples) fitted to its shape."""
    kind = shape.kind
    if kind == "array":
        item = shape.item_shape
        if len(values) == 1 and isinstance(values[0], str) and values[0].startswith("["):
            decoded = _json_or_text(values[0])  # arrays travel as one JSON part
            if isinstance(decoded, list):
                return decoded
        return [_field_value([v], item) for v in values]
    value = values[-1]
    if kind == "object" and isinstance(value, str):
        return json.loads(value)
    if kind == "bytes" and isinstance(value, tuple):
        return value[1]
    if kind == "file" and isinstance(value, str):
        return ("", value.encode(), "text/plain")
    if kind == "any" and len(values) > 1:
        return values
    return value


def fields_to_object(items: Iterable[tuple[str, Any]], shape: Shape) -> dict[str, Any]:
    """Group ``(name, value)`` form items into an object shaped like the body type."""
    grouped: dict[str, list[Any]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(value)
    return {name: _field_value(vals, shape.field_shape(name)) for name, vals in grouped.items()}


def parse_form(content: bytes) -> list[tuple[str, str]]:
    text = content.decode("utf-8", "replace")
    return [(unquote_plus(k), unquote_plus(v)) for k, v in parse_query_string(text)]


def decode_form_body(spec: Body, items: Iterable[tuple[str, Any]]) -> Any:
    """Validate urlencoded or multipart items against the body type (may raise
    ``ValidationError`` or ``ValueError`` for malformed JSON members)."""
    return validate_loose(spec.adapter(), fields_to_object(items, spec.shape()))


def decode_body(spec: Body, content: bytes) -> Any:
    """Decode a non-multipart request body per ``spec.kind``."""
    if spec.kind == "json":
        return spec.adapter().validate_json(content)
    if spec.kind == "form":
        return decode_form_body(spec, parse_form(content))
    if spec.kind == "text":
        return spec.adapter().validate_python(content.decode("utf-8", "replace"))
    return content
