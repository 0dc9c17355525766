"""A small ``multipart/form-data`` encoder (RFC 7578) producing re-sendable bytes."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def _quote(value: str) -> str:
    # WHATWG form-data escaping of names/filenames inside quoted-strings.
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def encode_multipart(parts: Sequence[Part], boundary: str | None = None) -> tuple[bytes, str]:
    """The body and its ``Content-Type`` (with boundary) for ``parts``."""
    while True:
        b = boundary or secrets.token_hex(16)
        marker = f"--{b}".encode()
        if boundary or not any(marker in p.data for p in parts):
            break
    chunks: list[bytes] = []
    for p in parts:
        disposition = f'form-data; name="{_quote(p.name)}"'
        if p.filename is not None:
            disposition += f'; filename="{_quote(p.filename)}"'
        head = f"--{b}\r\nContent-Disposition: {disposition}\r\n"
        if p.content_type:
            head += f"Content-Type: {_quote(p.content_type)}\r\n"
        chunks += [head.encode(), b"\r\n", p.data, b"\r\n"]
    chunks.append(f"--{b}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={b}"
