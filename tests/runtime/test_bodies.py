"""Request body encodings (client) and their decoding (server side helpers)."""

from __future__ import annotations

import io
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from wiregen.runtime.bodies import decode_body, decode_form_body, encode_body, parse_form
from wiregen.runtime.files import Binary
from wiregen.runtime.multipart import Part, encode_multipart
from wiregen.runtime.spec import Body

from .petstore import NewPet, Species, Tag, Upload


def parse_multipart(content: bytes, ctype: str) -> list[tuple[Any, ...]]:
    """(name, filename, content type, payload) of each part, via the stdlib parser."""
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + content
    )
    out = []
    for part in msg.iter_parts():
        out.append(
            (
                part.get_param("name", header="content-disposition"),
                part.get_filename(),
                part.get("content-type"),
                part.get_payload(decode=True),
            )
        )
    return out


JSON_BODY = Body(media_type="application/json", kind="json", type=lambda: NewPet)


def test_json_body_from_model_uses_aliases_and_omits_unset() -> None:
    enc = encode_body(JSON_BODY, NewPet(name="Rex", species=Species.DOG))
    assert enc.content_type == "application/json"
    assert json.loads(enc.content) == {"name": "Rex", "species": "dog"}


def test_json_body_from_plain_data() -> None:
    import datetime as dt

    enc = encode_body(
        Body(media_type="application/merge-patch+json", kind="json"),
        {"when": dt.date(2024, 1, 2), "tags": [Tag(name="a")], "x": None},
    )
    assert enc.content_type == "application/merge-patch+json"
    assert json.loads(enc.content) == {"when": "2024-01-02", "tags": [{"name": "a"}], "x": None}


def test_form_body_repeats_arrays_and_json_encodes_objects() -> None:
    spec = Body(media_type="application/x-www-form-urlencoded", kind="form", type=lambda: NewPet)
    pet = NewPet(name="Rex & co", species=Species.CAT, tags=[Tag(name="a"), Tag(name="b b")])
    enc = encode_body(spec, pet)
    assert enc.content_type == "application/x-www-form-urlencoded"
    pairs = parse_form(enc.content)
    assert pairs == [
        ("name", "Rex & co"),
        ("species", "cat"),
        ("tags", '{"name":"a"}'),
        ("tags", '{"name":"b b"}'),
    ]
    assert decode_body(spec, enc.content) == pet


def test_form_body_scalars_and_bools() -> None:
    class F(BaseModel):
        flag: bool
        n: int
        names: list[str]

    spec = Body(media_type="application/x-www-form-urlencoded", kind="form", type=lambda: F)
    enc = encode_body(spec, {"flag": True, "n": 3, "names": ["x"], "skip": None})
    assert enc.content == b"flag=true&n=3&names=x"
    assert decode_body(spec, enc.content) == F(flag=True, n=3, names=["x"])


def test_multipart_parts() -> None:
    spec = Body(media_type="multipart/form-data", kind="multipart", type=lambda: Upload)
    f = io.BytesIO(b"file-object")
    f.name = "/tmp/dir/report.pdf"
    upload = Upload(
        file=("a.txt", b"hello", "text/plain"),
        attachments=[b"raw", f],
        meta={"color": "red", "minAge": 2},  # type: ignore[arg-type]
        labels=["x", "y"],
        count=3,
    )
    enc = encode_body(spec, upload)
    assert enc.content_type.startswith("multipart/form-data; boundary=")
    parts = parse_multipart(enc.content, enc.content_type)
    assert parts == [
        ("file", "a.txt", "text/plain", b"hello"),
        ("attachments", "attachments", "application/octet-stream", b"raw"),
        ("attachments", "report.pdf", "application/pdf", b"file-object"),
        ("meta", None, "application/json", b'{"color":"red","minAge":2}'),
        ("labels", None, "application/json", b'["x","y"]'),
        ("count", None, None, b"3"),
    ]


def test_multipart_server_side_decoding() -> None:
    spec = Body(media_type="multipart/form-data", kind="multipart", type=lambda: Upload)
    items: list[tuple[str, Any]] = [
        ("file", ("a.txt", b"hello", "text/plain")),
        ("attachments", ("b.bin", b"\x00", "application/octet-stream")),
        ("meta", '{"color": "red"}'),
        ("labels", '["x", "y"]'),
        ("count", "4"),
    ]
    got = decode_form_body(spec, items)
    assert got.file == ("a.txt", b"hello", "text/plain")
    assert got.attachments == [("b.bin", b"\x00", "application/octet-stream")]
    assert got.meta.color == "red"
    assert got.labels == ["x", "y"]
    assert got.count == 4
    with pytest.raises(ValidationError):
        decode_form_body(spec, [("count", "4")])  # file missing
    with pytest.raises(ValueError):
        decode_form_body(spec, [("file", ("a", b"", "x/y")), ("meta", "{not json")])


def test_multipart_bytes_field_gets_bytes() -> None:
    class Doc(BaseModel):
        data: bytes
        other: Binary | None = None

    spec = Body(media_type="multipart/form-data", kind="multipart", type=lambda: Doc)
    got = decode_form_body(spec, [("data", ("d", b"xyz", "a/b")), ("other", ("o", b"1", "c/d"))])
    assert got.data == b"xyz"
    assert got.other == ("o", b"1", "c/d")


def test_multipart_encoder_escapes_names() -> None:
    content, ctype = encode_multipart(
        [Part('we"ird\r\nname', b"v", 'f"n.txt', "text/plain")], boundary="BOUNDARY"
    )
    assert ctype == "multipart/form-data; boundary=BOUNDARY"
    assert b'name="we%22ird%0D%0Aname"; filename="f%22n.txt"' in content
    assert content.endswith(b"--BOUNDARY--\r\n")


def test_binary_and_text_bodies() -> None:
    spec = Body(media_type="image/png", kind="binary")
    assert encode_body(spec, b"\x89PNG").content == b"\x89PNG"
    assert encode_body(spec, b"x").content_type == "image/png"
    assert encode_body(spec, io.BytesIO(b"stream")).content == b"stream"
    wildcard = Body(media_type="image/*", kind="binary")
    enc = encode_body(wildcard, ("pic.gif", b"GIF", "image/gif"))
    assert (enc.content, enc.content_type) == (b"GIF", "image/gif")
    assert encode_body(wildcard, b"?").content_type == "application/octet-stream"
    text = Body(media_type="text/csv", kind="text")
    enc = encode_body(text, "a,é")
    assert (enc.content, enc.content_type) == ("a,é".encode(), "text/csv; charset=utf-8")
    assert decode_body(Body(media_type="text/plain", kind="text", type=lambda: str), b"hi") == "hi"
    assert decode_body(spec, b"\x00\x01") == b"\x00\x01"
