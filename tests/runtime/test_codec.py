"""Parameter serialisation per OpenAPI style/explode, its inverse, and round trips."""

from __future__ import annotations

import datetime as dt
import string
import uuid
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any, Literal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from wiregen.runtime.codec import (
    MISSING,
    RawParams,
    decode_params,
    encode_cookie,
    encode_header,
    encode_params,
    encode_path_value,
    encode_query,
    extract_param,
    parse_cookie_header,
    parse_query_string,
    validate_param,
)
from wiregen.runtime.spec import Endpoint, Param


class RGB(BaseModel):
    R: int
    G: int
    B: int


PRIMITIVE = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}


def param(location: str, style: str, explode: bool, tp: Any = str, name: str = "color") -> Param:
    return Param(
        name=name,
        py_name=name,
        location=location,  # type: ignore[arg-type]
        style=style,  # type: ignore[arg-type]
        explode=explode,
        required=location == "path",
        type=lambda: tp,
    )


def encode(p: Param, value: Any) -> str:
    if p.location == "path":
        return encode_path_value(p, value)
    if p.location == "query":
        return "&".join(encode_query(p, value))
    if p.location == "header":
        return encode_header(p, value)
    return "; ".join(encode_cookie(p, value))


def raw_for(p: Param, wire: str) -> RawParams:
    if p.location == "path":
        return RawParams(path={p.name: wire})
    if p.location == "query":
        return RawParams(query=parse_query_string(wire))
    if p.location == "header":
        return RawParams(headers=lambda n: wire if n.lower() == p.name.lower() else None)
    return RawParams(cookies=parse_cookie_header(wire))


def decode(p: Param, wire: str) -> Any:
    extracted = extract_param(p, raw_for(p, wire))
    assert extracted is not MISSING
    return validate_param(p, extracted)


# (location, style, explode, primitive, array, object) — the OpenAPI 3.1 style table
STYLE_TABLE = [
    ("path", "simple", False, "blue", "blue,black,brown", "R,100,G,200,B,150"),
    ("path", "simple", True, "blue", "blue,black,brown", "R=100,G=200,B=150"),
    ("path", "label", False, ".blue", ".blue,black,brown", ".R,100,G,200,B,150"),
    ("path", "label", True, ".blue", ".blue.black.brown", ".R=100.G=200.B=150"),
    ("path", "matrix", False, ";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"),
    (
        "path",
        "matrix",
        True,
        ";color=blue",
        ";color=blue;color=black;color=brown",
        ";R=100;G=200;B=150",
    ),
    ("query", "form", False, "color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"),
    (
        "query",
        "form",
        True,
        "color=blue",
        "color=blue&color=black&color=brown",
        "R=100&G=200&B=150",
    ),
    (
        "query",
        "spaceDelimited",
        False,
        None,
        "color=blue%20black%20brown",
        "color=R%20100%20G%20200%20B%20150",
    ),
    ("query", "spaceDelimited", True, None, "color=blue&color=black&color=brown", None),
    (
        "query",
        "pipeDelimited",
        False,
        None,
        "color=blue%7Cblack%7Cbrown",
        "color=R%7C100%7CG%7C200%7CB%7C150",
    ),
    ("query", "pipeDelimited", True, None, "color=blue&color=black&color=brown", None),
    ("query", "deepObject", True, None, None, "color[R]=100&color[G]=200&color[B]=150"),
    ("header", "simple", False, "blue", "blue,black,brown", "R,100,G,200,B,150"),
    ("header", "simple", True, "blue", "blue,black,brown", "R=100,G=200,B=150"),
    ("cookie", "form", False, "color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"),
    (
        "cookie",
        "form",
        True,
        "color=blue",
        "color=blue; color=black; color=brown",
        "R=100; G=200; B=150",
    ),
]


@pytest.mark.parametrize(("location", "style", "explode", "prim", "arr", "obj"), STYLE_TABLE)
def test_style_table_encode_and_decode(
    location: str, style: str, explode: bool, prim: str | None, arr: str | None, obj: str | None
) -> None:
    for tp, value, wire in ((str, PRIMITIVE, prim), (list[str], ARRAY, arr), (RGB, OBJECT, obj)):
        if wire is None:
            continue
        p = param(location, style, explode, tp)
        assert encode(p, value) == wire, (tp, value)
        decoded = decode(p, wire)
        assert decoded == (RGB(**OBJECT) if tp is RGB else value)
        # plain dicts decode the same way (open object)
        if tp is RGB:
            p2 = param(location, style, explode, dict[str, int])
            assert decode(p2, wire) == OBJECT


@pytest.mark.parametrize(
    ("location", "style", "wire"),
    [
        ("path", "simple", ""),
        ("path", "label", "."),
        ("path", "matrix", ";color"),
        ("query", "form", "color="),
        ("cookie", "form", "color="),
    ],
)
def test_empty_values(location: str, style: str, wire: str) -> None:
    p = param(location, style, False)
    assert encode(p, "") == wire
    assert decode(p, wire) == ""
    pa = param(location, style, False, list[str])
    assert encode(pa, []) == wire
    assert decode(pa, wire) == []


class Color(StrEnum):
    RED = "red"


class Level(IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (-2.5, "-2.5"),
        (Color.RED, "red"),
        (Level.ONE, "1"),
        (dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC), "2024-05-06T07%3A08%3A09Z"),
        (dt.date(2024, 5, 6), "2024-05-06"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (Decimal("1.10"), "1.10"),
    ],
)
def test_scalar_conversions(value: Any, text: str) -> None:
    assert encode_query(param("query", "form", True), value) == [f"color={text}"]


def test_path_values_are_fully_percent_encoded() -> None:
    p = param("path", "simple", False)
    assert encode_path_value(p, "a/b?c#d e%f") == "a%2Fb%3Fc%23d%20e%25f"
    assert encode_path_value(p, "..") == "%2E%2E"
    assert encode_path_value(p, "file.txt") == "file.txt"
    assert encode_path_value(param("path", "label", True), "a.b") == ".a%2Eb"
    # httpx must not normalise the encoded dot segment away
    assert httpx.URL("http://h/api/pets/%2E%2E").raw_path == b"/api/pets/%2E%2E"


def test_query_values_use_form_encoding() -> None:
    assert encode_query(param("query", "form", True), "a b+c&d=e") == ["color=a+b%2Bc%26d%3De"]
    assert encode_query(param("query", "form", False, list[str]), ["a,b", "c"]) == ["color=a%2Cb,c"]


def test_models_serialise_by_alias_and_nested_deep_objects() -> None:
    from pydantic import Field

    class Inner(BaseModel):
        lo: int
        hi: int | None = None

    class Query(BaseModel):
        min_age: int = Field(alias="minAge")
        range_: Inner = Field(alias="range")
        tags: list[str] = []

    q = Query(minAge=3, range=Inner(lo=1, hi=None), tags=["x", "y"])
    p = param("query", "deepObject", True, Query, name="q")
    wire = "&".join(encode_query(p, q))
    assert wire == "q[minAge]=3&q[range][lo]=1&q[range][hi]=&q[tags]=x&q[tags]=y" or wire == (
        "q[minAge]=3&q[range][lo]=1&q[tags]=x&q[tags]=y"
    )
    back = decode(p, wire)
    assert back.min_age == 3 and back.range_.lo == 1 and back.tags == ["x", "y"]
    # a lone array item still decodes as a list
    assert decode(p, "q[minAge]=1&q[range][lo]=2&q[tags]=only").tags == ["only"]
    # brackets sent percent-encoded by other clients are accepted
    assert decode(p, "q%5BminAge%5D=1&q%5Brange%5D%5Blo%5D=2").range_.lo == 2


_DELIMITER_TEXTS = ["a b", "a,b", "a;b", "a=b", "a&b", "a+b", "a%20b", "a.b", "é"]
# Headers carry values verbatim, so delimiters inside them are ambiguous (OpenAPI leaves
# this open) and non-ASCII is refused: those combinations are not round-trip cases.
_HEADER_AMBIGUOUS = {"a,b", "a=b", "é"}


@pytest.mark.parametrize(
    ("location", "style", "explode", "text"),
    [
        (*c[:3], text)
        for c in STYLE_TABLE
        for text in _DELIMITER_TEXTS
        if not (c[0] == "header" and text in _HEADER_AMBIGUOUS)
    ],
)
def test_delimiters_inside_values_round_trip(
    location: str, style: str, explode: bool, text: str
) -> None:
    cases: list[tuple[Any, Any]] = [
        (list[str], [text, "x"]),
        (dict[str, str], {"k": text, text: "v"}),
    ]
    if style not in ("spaceDelimited", "pipeDelimited", "deepObject"):
        cases.append((str, text))
    for tp, value in cases:
        if location == "header" and isinstance(value, dict):
            continue
        p = param(location, style, explode, tp)
        assert decode(p, encode(p, value)) == value, (tp, value, encode(p, value))


def test_header_values_are_checked() -> None:
    p = param("header", "simple", False)
    with pytest.raises(ValueError, match="not allowed"):
        encode_header(p, "a\r\nX-Injected: 1")
    with pytest.raises(ValueError, match="not allowed"):
        encode_header(p, "caf\u00e9")


def test_content_params_travel_as_json() -> None:
    p = Param(
        name="where",
        py_name="where",
        location="query",
        media_type="application/json",
        type=lambda: RGB,
    )
    wire = encode_query(p, RGB(**OBJECT))
    assert wire == ["where=%7B%22R%22%3A100%2C%22G%22%3A200%2C%22B%22%3A150%7D"]
    assert decode(p, wire[0]) == RGB(**OBJECT)


def test_literal_and_int_enum_values_decode() -> None:
    p = param("query", "form", True, Literal[1, 2])
    assert decode(p, "color=2") == 2
    p2 = param("query", "form", True, Level)
    assert decode(p2, "color=1") is Level.ONE
    p3 = param("query", "form", True, bool)
    assert decode(p3, "color=false") is False


def test_encode_params_endpoint() -> None:
    ep = Endpoint(
        name="op",
        method="get",
        path="/a b/{id}/x",
        params=(
            Param(name="id", py_name="id_", location="path", required=True, type=lambda: int),
            Param(name="q", py_name="q", location="query", type=lambda: str),
            Param(name="H", py_name="h", location="header", type=lambda: int),
            Param(name="c", py_name="c", location="cookie", type=lambda: str),
        ),
    )
    assert ep.method == "GET"
    enc = encode_params(ep, {"id": 7, "q": None, "H": 3, "c": "v w"})
    assert enc.path == "/a%20b/7/x"
    assert enc.query == []
    assert enc.headers == [("H", "3")]
    assert enc.cookies == ["c=v%20w"]
    # python names work as keys too
    assert encode_params(ep, {"id_": 8}).path == "/a%20b/8/x"
    with pytest.raises(ValueError, match="'id_'"):
        encode_params(ep, {"q": "x"})


def test_decode_params_reports_fastapi_style_errors() -> None:
    ep = Endpoint(
        name="op",
        method="GET",
        path="/x/{id}",
        params=(
            Param(name="id", py_name="id_", location="path", required=True, type=lambda: int),
            Param(name="limit", py_name="limit", location="query", required=True, type=lambda: int),
            Param(name="opt", py_name="opt", location="query", type=lambda: int),
        ),
    )
    values, errors = decode_params(ep, RawParams(path={"id": "abc"}, query=[]))
    assert values == {}
    assert [e["loc"] for e in errors] == [["path", "id"], ["query", "limit"]]
    assert errors[0]["type"] == "int_parsing"
    assert errors[1]["type"] == "missing"
    values, errors = decode_params(ep, RawParams(path={"id": "5"}, query=[("limit", "2")]))
    assert errors == []
    assert values == {"id_": 5, "limit": 2}  # absent optional params are left out


def test_exploded_form_object_does_not_swallow_other_params() -> None:
    ep = Endpoint(
        name="op",
        method="GET",
        path="/x",
        params=(
            Param(name="page", py_name="page", location="query", type=lambda: int),
            Param(name="attrs", py_name="attrs", location="query", type=lambda: dict[str, str]),
        ),
    )
    values, errors = decode_params(ep, RawParams(query=parse_query_string("page=2&a=1&b=x")))
    assert errors == []
    assert values == {"page": 2, "attrs": {"a": "1", "b": "x"}}


def test_invalid_style_for_location_is_rejected() -> None:
    with pytest.raises(ValueError, match="not allowed"):
        Param(name="x", py_name="x", location="path", style="form", required=True)
    with pytest.raises(ValueError, match="must be required"):
        Param(name="x", py_name="x", location="path")
    with pytest.raises(ValueError, match="no parameter"):
        Endpoint(name="e", method="GET", path="/a/{b}").path_parts()


# ---------------------------------------------------------------------------
# Round trip property: encode → (httpx URL / headers) → decode == value
# ---------------------------------------------------------------------------

COMBOS = [(loc, style, explode) for loc, style, explode, *_ in STYLE_TABLE]
SPECIAL = " ,;=&|.+%/[]?#\"'\\:@$!*()~é\u2603"
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL),
        st.sampled_from(" ,;=&+%."),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    max_size=12,
)
HEADER_TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + "-_.~!$&'()*+;:@/?[] ", max_size=12
).map(str.strip)


def _text_for(location: str, style: str, container: bool) -> st.SearchStrategy[str]:
    if location == "header":
        base = HEADER_TEXT
        if container:
            base = base.map(lambda s: s.replace("=", "").replace(",", "").strip())
    else:
        base = TEXT
    if style == "pipeDelimited" and container:
        base = base.map(lambda s: s.replace("|", ""))
    if container:
        base = base.filter(bool)  # [""] and [] share a wire form
    return base


class Flat(BaseModel):
    name: str
    n: int
    ok: bool


def _values(location: str, style: str, explode: bool) -> st.SearchStrategy[tuple[Any, Any]]:
    scalar = _text_for(location, style, False)
    item = _text_for(location, style, True)
    keys = item.filter(lambda s: s not in ("color",))
    options: list[st.SearchStrategy[tuple[Any, Any]]] = []
    if style not in ("spaceDelimited", "pipeDelimited", "deepObject"):
        options.append(scalar.map(lambda v: (str, v)))
        options.append(st.integers(-(10**12), 10**12).map(lambda v: (int, v)))
        options.append(st.booleans().map(lambda v: (bool, v)))
        options.append(
            st.floats(allow_nan=False, allow_infinity=False, width=64).map(lambda v: (float, v))
        )
    if style != "deepObject":
        options.append(st.lists(item, min_size=1, max_size=4).map(lambda v: (list[str], v)))
        options.append(
            st.lists(st.integers(-1000, 1000), min_size=1, max_size=4).map(lambda v: (list[int], v))
        )
    if not (style in ("spaceDelimited", "pipeDelimited") and explode):
        options.append(
            st.dictionaries(keys, item, min_size=1, max_size=3).map(lambda v: (dict[str, str], v))
        )
        options.append(
            st.builds(Flat, name=item, n=st.integers(-99, 99), ok=st.booleans()).map(
                lambda v: (Flat, v)
            )
        )
    return st.one_of(options)


@pytest.mark.parametrize(("location", "style", "explode"), COMBOS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_property(location: str, style: str, explode: bool, data: st.DataObject) -> None:
    tp, value = data.draw(_values(location, style, explode))
    p = param(location, style, explode, tp)
    ep = Endpoint(
        name="op", method="GET", path="/r/{color}" if location == "path" else "/r", params=(p,)
    )
    if location == "path" and tp in (str,) and value == "":
        return  # an empty simple path segment cannot be routed
    enc = encode_params(ep, {"color": value})
    # go through httpx so its URL normalisation is part of the property
    url = httpx.URL("http://h/base" + enc.path + ("?" + "&".join(enc.query) if enc.query else ""))
    request = httpx.Request("GET", url, headers=enc.headers)
    raw = RawParams(
        path={"color": url.raw_path.split(b"?")[0].decode()[len("/base/r/") :]},
        query=parse_query_string(url.query.decode()),
        headers=lambda n: request.headers.get(n),
        cookies=parse_cookie_header("; ".join(enc.cookies)),
    )
    values, errors = decode_params(ep, raw)
    assert errors == []
    assert values["color"] == value
