"""OpenAPI 3 parameter serialisation (client) and its inverse (server).

Both directions live here so they stay symmetric.  Styles follow the OpenAPI
3.1 style table:

========== ===================== ========================== =========================
location   style                 array ``[a, b]``           object ``{k: v, l: w}``
========== ===================== ========================== =========================
path       simple                ``a,b``                    ``k,v,l,w`` / ``k=v,l=w``
path       label                 ``.a,b`` / ``.a.b``        ``.k,v,l,w`` / ``.k=v.l=w``
path       matrix                ``;n=a,b`` / ``;n=a;n=b``  ``;n=k,v,l,w`` / ``;k=v;l=w``
query      form                  ``n=a,b`` / ``n=a&n=b``    ``n=k,v,l,w`` / ``k=v&l=w``
query      spaceDelimited        ``n=a%20b``                ``n=k%20v%20l%20w``
query      pipeDelimited         ``n=a%7Cb``                ``n=k%7Cv%7Cl%7Cw``
query      deepObject            (as form, exploded)        ``n[k]=v&n[l]=w``
header     simple                ``a,b``                    ``k,v,l,w`` / ``k=v,l=w``
cookie     form                  ``n=a,b`` / ``n=a; n=b``   ``n=k,v,l,w`` / ``k=v; l=w``
========== ===================== ========================== =========================

(``x / y`` = explode false / true.)  Path values are percent-encoded including
reserved characters; query values use form encoding (space → ``+``), so the
``%20`` delimiter of spaceDelimited stays unambiguous; cookie values are
percent-encoded; header values are sent as is (visible ASCII only).  Values
containing their style's own delimiter cannot round-trip for header and
pipeDelimited parameters (OpenAPI leaves that ambiguous).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from pydantic_core import ValidationError, to_json, to_jsonable_python

from .spec import Endpoint, Param

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from .shapes import Shape


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

# ---------------------------------------------------------------------------
# Values → wire text (client side)
# ---------------------------------------------------------------------------

_PLAIN = (str, int, float, bool)


def to_plain(value: Any) -> Any:
    """JSON-compatible form of a value: models by alias, enums by value, ISO dates."""
    if type(value) in _PLAIN or value is None:
        return value
    return to_jsonable_python(value, by_alias=True)


def scalar_text(value: Any) -> str:
    """Text of a plain scalar: ``true``/``false`` for booleans; nested values as JSON."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return to_json(value).decode()


def _prepare(param: Param, value: Any) -> Any:
    if param.media_type is not None:
        return to_json(value, by_alias=True).decode()
    return to_plain(value)


def _pairs(obj: Mapping[Any, Any]) -> list[tuple[str, str]]:
    return [(str(k), scalar_text(v)) for k, v in obj.items() if v is not None]


def _path_enc(label: bool) -> Callable[[str], str]:
    def enc(text: str) -> str:
        out = quote(text, safe="")
        if label or out in (".", ".."):
            out = out.replace(".", "%2E")
        return out

    return enc


def _qk(text: str) -> str:
    return quote(text, safe="")


def _qv(text: str) -> str:
    return quote_plus(text, safe="")


def _cv(text: str) -> str:
    return quote(text, safe="")


def _header_text(text: str, name: str) -> str:
    if any(not (" " <= c <= "~" or c == "\t") for c in text):
        raise ValueError(f"header parameter {name!r} contains characters not allowed in a header")
    return text


def _join_simple(v: Any, explode: bool, enc: Callable[[str], str], sep: str = ",") -> str:
    """Simple-style expansion (also the value part of non-exploded forms)."""
    if isinstance(v, list):
        return sep.join(enc(scalar_text(x)) for x in v)
    if isinstance(v, dict):
        if explode:
            return sep.join(f"{enc(k)}={enc(x)}" for k, x in _pairs(v))
        return sep.join(enc(t) for kv in _pairs(v) for t in kv)
    return enc(scalar_text(v))


def encode_path_value(param: Param, value: Any) -> str:
    v = _prepare(param, value)
    style, explode = param.effective_style, param.is_exploded
    enc = _path_enc(style == "label")
    name = enc(param.name)
    if style == "label":
        return "." + _join_simple(v, explode, enc, "." if explode else ",")
    if style == "matrix":
        if isinstance(v, list) and explode:
            return "".join(f";{name}={enc(scalar_text(x))}" for x in v) or f";{name}"
        if isinstance(v, dict) and explode:
            return "".join(f";{enc(k)}={enc(x)}" for k, x in _pairs(v)) or f";{name}"
        text = _join_simple(v, False, enc)
        return f";{name}={text}" if text else f";{name}"
    return _join_simple(v, explode, enc)


_DELIMITERS = {"form": ",", "spaceDelimited": "%20", "pipeDelimited": "%7C"}


def encode_query(param: Param, value: Any) -> list[str]:
    """``key=value`` fragments for one query parameter (already percent-encoded)."""
    v = _prepare(param, value)
    style, explode, name = param.effective_style, param.is_exploded, _qk(param.name)
    if style == "deepObject" and isinstance(v, dict):
        out: list[str] = []
        _deep(name, v, out)
        return out
    if isinstance(v, list) and (explode or style == "deepObject"):
        return [f"{name}={_qv(scalar_text(x))}" for x in v]
    if isinstance(v, dict) and explode:
        return [f"{_qk(k)}={_qv(x)}" for k, x in _pairs(v)]
    return [f"{name}={_join_simple(v, False, _qv, _DELIMITERS.get(style, ','))}"]


def _deep(prefix: str, obj: Mapping[str, Any], out: list[str]) -> None:
    for k, x in obj.items():
        if x is None:
            continue
        key = f"{prefix}[{_qk(str(k))}]"
        if isinstance(x, dict):
            _deep(key, x, out)
        elif isinstance(x, list):
            out.extend(f"{key}={_qv(scalar_text(i))}" for i in x)
        else:
            out.append(f"{key}={_qv(scalar_text(x))}")


def encode_header(param: Param, value: Any) -> str:
    v = _prepare(param, value)
    return _join_simple(v, param.is_exploded, lambda t: _header_text(t, param.name))


def encode_cookie(param: Param, value: Any) -> list[str]:
    """``name=value`` cookie pairs (values percent-encoded)."""
    v = _prepare(param, value)
    name = _cv(param.name)
    if isinstance(v, list) and param.is_exploded:
        return [f"{name}={_cv(scalar_text(x))}" for x in v]
    if isinstance(v, dict) and param.is_exploded:
        return [f"{_cv(k)}={_cv(x)}" for k, x in _pairs(v)]
    return [f"{name}={_join_simple(v, False, _cv)}"]


PATH_LITERAL_SAFE = "/:@!$&'()*+,;=-._~%"  # template text: keep delimiters, pre-encoded %XX


@dataclass(slots=True)
class EncodedParams:
    path: str
    query: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)  # py_names of deprecated params used


def lookup(values: Mapping[str, Any], param: Param) -> Any:
    """A parameter's value, keyed by Python name (falling back to the wire name).

    Generated code keys by Python name: two parameters may share a wire name in
    different locations (``id`` in the path and in the query), never a Python name.
    """
    if param.py_name in values:
        return values[param.py_name]
    return values.get(param.name)


def encode_params(endpoint: Endpoint, values: Mapping[str, Any]) -> EncodedParams:
    """Serialise every parameter of ``endpoint``; ``None`` values are omitted."""
    present: dict[str, Any] = {}
    deprecated: list[str] = []
    # The declared idempotency-key header may be left out: the client then sends a
    # fresh key of its own (the same on every attempt of the call).
    key_header = endpoint.policy.idempotency_header if endpoint.policy is not None else None
    for p in endpoint.params:
        v = lookup(values, p)
        if v is None:
            if p.required and not (p.location == "header" and p.name == key_header):
                raise ValueError(f"missing required parameter {p.py_name!r}")
            continue
        present[p.name + "\0" + p.location] = v
        if p.deprecated:
            deprecated.append(p.py_name)
    path: list[str] = []
    for part in endpoint.path_parts():
        if isinstance(part, str):
            path.append(quote(part, safe=PATH_LITERAL_SAFE))
        else:
            path.append(encode_path_value(part, present[part.name + "\0path"]))
    out = EncodedParams(path="".join(path), deprecated=deprecated)
    for p in endpoint.params:
        v = present.get(p.name + "\0" + p.location, MISSING)
        if v is MISSING:
            continue
        if p.location == "query":
            out.query.extend(encode_query(p, v))
        elif p.location == "header":
            out.headers.append((p.name, encode_header(p, v)))
        elif p.location == "cookie":
            out.cookies.extend(encode_cookie(p, v))
    return out


def query_fragment(name: str, text: str) -> str:
    return f"{_qk(name)}={_qv(text)}"


def cookie_fragment(name: str, text: str) -> str:
    return f"{_cv(name)}={_cv(text)}"


# ---------------------------------------------------------------------------
# Wire text → values (server side)
# ---------------------------------------------------------------------------


def parse_query_string(qs: str) -> list[tuple[str, str]]:
    """Raw ``(key, value)`` pairs of a query string, still percent-encoded."""
    out: list[tuple[str, str]] = []
    for piece in qs.split("&"):
        if piece:
            k, _, v = piece.partition("=")
            out.append((k, v))
    return out


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for piece in header.split(";"):
        k, eq, v = piece.strip().partition("=")
        if k and eq:
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            out.append((k.strip(), v))
    return out


@dataclass(slots=True)
class RawParams:
    """Undecoded parameter sources of one request."""

    path: Mapping[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: Callable[[str], str | None] = lambda _name: None
    cookies: list[tuple[str, str]] = field(default_factory=list)


def _split_pairs(items: list[str]) -> dict[str, str]:
    return dict(zip(items[::2], items[1::2], strict=False))


def _kv(items: Iterable[str], dec: Callable[[str], str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        k, _, v = item.partition("=")
        out[dec(k)] = dec(v)
    return out


def _structure(text: str, kind: str, sep: str, dec: Callable[[str], str], explode: bool) -> Any:
    """Inverse of ``_join_simple`` for a raw (undecoded) string."""
    if kind == "array":
        return [dec(x) for x in text.split(sep)] if text else []
    if kind == "object":
        if not text:
            return {}
        parts = text.split(sep)
        return _kv(parts, dec) if explode else _split_pairs([dec(x) for x in parts])
    return dec(text)


def _kind(param: Param) -> str:
    """Structural kind for extraction (``content`` params travel as one JSON string)."""
    return "scalar" if param.media_type is not None else param.shape().kind


def _decode_path(param: Param, raw: str) -> Any:
    kind, style, explode = _kind(param), param.effective_style, param.is_exploded
    if style == "label":
        body = raw.removeprefix(".")
        return _structure(body, kind, "." if explode else ",", unquote, explode)
    if style == "matrix":
        segs = [s.partition("=") for s in raw.split(";")[1:]]
        if kind == "object" and explode:
            return {unquote(k): unquote(v) for k, _, v in segs}
        mine = [v for k, _, v in segs if unquote(k) == param.name]
        if kind == "array" and explode:
            return [unquote(v) for v in mine]
        return _structure(mine[-1] if mine else "", kind, ",", unquote, False)
    return _structure(raw, kind, ",", unquote, explode)


_SPLITTERS: dict[str, re.Pattern[str]] = {
    "form": re.compile(","),
    "spaceDelimited": re.compile(r"%20| "),
    "pipeDelimited": re.compile(r"%7[cC]|\|"),
}


def _decode_query(param: Param, raw: RawParams, claimed: frozenset[str]) -> Any:
    shape = param.shape()
    kind, style, explode = _kind(param), param.effective_style, param.is_exploded
    if style == "deepObject" and kind != "array":
        found = _deep_collect(param.name, raw.query)
        if found is not MISSING or kind == "object":
            return found
    if kind == "object" and explode:
        obj = {
            key: unquote_plus(v)
            for k, v in raw.query
            if (key := unquote_plus(k)) not in claimed
            and (key in shape.fields or shape.extra is not None)
        }
        return obj if obj else MISSING
    mine = [v for k, v in raw.query if unquote_plus(k) == param.name]
    if not mine:
        return MISSING
    if kind == "array" and (explode or style == "deepObject"):
        return [unquote_plus(v) for v in mine]
    if kind in ("array", "object"):
        text = mine[-1]
        if not text:
            return [] if kind == "array" else {}
        parts = [unquote_plus(x) for x in _SPLITTERS.get(style, _SPLITTERS["form"]).split(text)]
        return parts if kind == "array" else _split_pairs(parts)
    if kind == "any" and len(mine) > 1:
        return [unquote_plus(v) for v in mine]
    return unquote_plus(mine[-1])


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _deep_collect(name: str, query: list[tuple[str, str]]) -> Any:
    root: dict[str, Any] = {}
    found = False
    for k, v in query:
        if "[" not in k:  # brackets sent percent-encoded
            k = unquote_plus(k)
        head, bracket, rest = k.partition("[")
        if not bracket or unquote_plus(head) != name:
            continue
        keys = [unquote_plus(s) for s in _BRACKETS.findall("[" + rest)]
        if not keys:
            continue
        found = True
        node = root
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        leaf, value = keys[-1], unquote_plus(v)
        if leaf in node:
            prev = node[leaf]
            node[leaf] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            node[leaf] = value
    return root if found else MISSING


def _decode_header(param: Param, raw: RawParams) -> Any:
    text = raw.headers(param.name)
    if text is None:
        return MISSING
    kind = _kind(param)
    if kind in ("array", "object"):
        return _structure(text, kind, ",", str.strip, param.is_exploded)
    return text


def _decode_cookie(param: Param, raw: RawParams, claimed: frozenset[str]) -> Any:
    shape = param.shape()
    kind = _kind(param)
    if kind == "object" and param.is_exploded:
        obj = {
            key: unquote(v)
            for k, v in raw.cookies
            if (key := unquote(k)) not in claimed
            and (key in shape.fields or shape.extra is not None)
        }
        return obj if obj else MISSING
    mine = [v for k, v in raw.cookies if unquote(k) == param.name]
    if not mine:
        return MISSING
    if kind == "array" and param.is_exploded:
        return [unquote(v) for v in mine]
    return _structure(mine[-1], kind, ",", unquote, False)


def extract_param(param: Param, raw: RawParams, claimed: frozenset[str] = frozenset()) -> Any:
    """The undecoded-to-Python value of one parameter (strings, lists, dicts) or ``MISSING``.

    ``claimed`` holds the names of the endpoint's other parameters in the same
    location, which an exploded form-style object must not swallow.
    """
    if param.location == "path":
        text = raw.path.get(param.name)
        return MISSING if text is None else _decode_path(param, text)
    if param.location == "query":
        return _decode_query(param, raw, claimed)
    if param.location == "header":
        return _decode_header(param, raw)
    return _decode_cookie(param, raw, claimed)


def coerce(value: Any, shape: Shape) -> Any:
    """Fit string structures to a shape: lone values become one-item arrays, etc."""
    if shape.kind == "array":
        items = value if isinstance(value, list) else [value]
        return [coerce(x, shape.item_shape) for x in items]
    if shape.kind == "object" and isinstance(value, dict):
        return {k: coerce(v, shape.field_shape(k)) for k, v in value.items()}
    if shape.kind in ("scalar", "bytes") and isinstance(value, list) and value:
        return value[-1]
    return value


_JSONISH = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")


def jsonish(value: Any) -> Any:
    """Strings that read as JSON numbers/booleans/null, converted (recursively)."""
    if isinstance(value, str):
        return json.loads(value) if _JSONISH.fullmatch(value) else value
    if isinstance(value, list):
        return [jsonish(x) for x in value]
    if isinstance(value, dict):
        return {k: jsonish(v) for k, v in value.items()}
    return value


def validate_param(param: Param, value: Any) -> Any:
    """Validate an extracted value with the param's TypeAdapter (raises ``ValidationError``)."""
    adapter = param.adapter()
    if param.media_type is not None and isinstance(value, str):
        return adapter.validate_json(value)
    return validate_loose(adapter, coerce(value, param.shape()))


def validate_loose(adapter: TypeAdapter[Any], value: Any) -> Any:
    """Lax validation of text-derived data; retries with JSON-looking leaves decoded
    (so ``"1"`` can satisfy ``Literal[1]``).  Raises the first attempt's error."""
    try:
        return adapter.validate_python(value)
    except ValidationError:
        alt = jsonish(value)
        if alt == value:
            raise
        try:
            return adapter.validate_python(alt)
        except ValidationError:
            pass
        raise


def decode_params(
    endpoint: Endpoint, raw: RawParams
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Python values by ``py_name`` (absent optionals left out) and FastAPI-style errors."""
    names: dict[str, frozenset[str]] = {}
    for loc in ("query", "cookie"):
        names[loc] = frozenset(p.name for p in endpoint.params if p.location == loc)
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for p in endpoint.params:
        claimed = names.get(p.location, frozenset()) - {p.name}
        extracted = extract_param(p, raw, claimed)
        if extracted is MISSING:
            if p.required:
                errors.append(
                    {
                        "type": "missing",
                        "loc": [p.location, p.name],
                        "msg": "Field required",
                        "input": None,
                    }
                )
            continue
        try:
            values[p.py_name] = validate_param(p, extracted)
        except ValidationError as exc:
            errors.extend(prefixed_errors(exc, [p.location, p.name]))
        except ValueError as exc:  # e.g. malformed JSON content
            errors.append(
                {
                    "type": "value_error",
                    "loc": [p.location, p.name],
                    "msg": str(exc),
                    "input": extracted,
                }
            )
    return values, errors


def prefixed_errors(exc: ValidationError, prefix: list[Any]) -> list[dict[str, Any]]:
    """pydantic errors as JSON-safe dicts with ``loc`` prefixed (FastAPI's 422 format)."""
    out: list[dict[str, Any]] = json.loads(exc.json(include_url=False))
    for err in out:
        err["loc"] = [*prefix, *err.get("loc", [])]
    return out
