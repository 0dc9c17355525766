"""Declarative operation specs emitted into ``_endpoints.py`` by the generator.

All classes are frozen, slotted dataclasses.  ``type`` members are thunks
(zero-argument callables returning a type expression) so that importing the
endpoint table never imports the models module; the matching pydantic
``TypeAdapter`` is built on first use and cached on the spec object.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .policy import OperationPolicy

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from .errors import ApiError
    from .shapes import Shape

TypeThunk = Callable[[], Any]
ParamLocation = Literal["path", "query", "header", "cookie"]
ParamStyle = Literal[
    "simple", "label", "matrix", "form", "spaceDelimited", "pipeDelimited", "deepObject"
]
BodyKind = Literal["json", "form", "multipart", "binary", "text"]
ResponseKind = Literal["json", "binary", "text", "empty"]
SecurityKind = Literal["http", "apiKey", "oauth2", "openIdConnect", "mutualTLS"]

_STYLES_BY_LOCATION: dict[str, frozenset[str]] = {
    "path": frozenset({"simple", "label", "matrix"}),
    "query": frozenset({"form", "spaceDelimited", "pipeDelimited", "deepObject"}),
    "header": frozenset({"simple"}),
    "cookie": frozenset({"form"}),
}
_DEFAULT_STYLE: dict[str, ParamStyle] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}


def _adapter_for(tp: Any) -> TypeAdapter[Any]:
    """A TypeAdapter that compiles spec patterns with Python's ``re``.

    Specs write ECMA-262 patterns, which often use look-arounds that pydantic's
    default (Rust) regex engine rejects. Models carry that setting in their own
    config; a TypeAdapter of a model may not be given another one.
    """
    from pydantic import BaseModel, ConfigDict, TypeAdapter

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return TypeAdapter(tp)
    return TypeAdapter(tp, config=ConfigDict(regex_engine="python-re"))


class _LazyAdapter:
    """Mixin: a TypeAdapter for ``self.type()`` built on first use and cached."""

    __slots__ = ()

    type: TypeThunk | None
    _adapter: Any

    def resolved_type(self) -> Any:
        """The type expression (``Any`` when the spec has no typed content)."""
        return Any if self.type is None else self.type()

    def adapter(self) -> TypeAdapter[Any]:
        cached = self._adapter
        if cached is None:
            cached = _adapter_for(self.resolved_type())
            object.__setattr__(self, "_adapter", cached)
        return cached  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class Param(_LazyAdapter):
    """One OpenAPI parameter.

    ``style``/``explode`` default to OpenAPI's defaults for the location.
    ``media_type`` is set for parameters declared with ``content`` instead of
    ``schema``: the value is then JSON-encoded into a single string.
    """

    name: str
    py_name: str
    location: ParamLocation
    style: ParamStyle | None = None
    explode: bool | None = None
    required: bool = False
    type: TypeThunk | None = None
    media_type: str | None = None
    deprecated: bool = False
    _adapter: Any = field(default=None, init=False, repr=False, compare=False)
    _shape: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.location not in _STYLES_BY_LOCATION:
            raise ValueError(f"parameter {self.name!r}: unknown location {self.location!r}")
        style = self.style or _DEFAULT_STYLE[self.location]
        if style not in _STYLES_BY_LOCATION[self.location]:
            raise ValueError(
                f"parameter {self.name!r}: style {style!r} is not allowed in {self.location}"
            )
        object.__setattr__(self, "style", style)
        if self.explode is None:
            object.__setattr__(self, "explode", style == "form")
        if self.location == "path" and not self.required:
            raise ValueError(f"path parameter {self.name!r} must be required")

    @property
    def effective_style(self) -> ParamStyle:
        assert self.style is not None  # set in __post_init__
        return self.style

    @property
    def is_exploded(self) -> bool:
        return bool(self.explode)

    def shape(self) -> Shape:
        cached = self._shape
        if cached is None:
            from .shapes import shape_of

            cached = shape_of(self.resolved_type())
            object.__setattr__(self, "_shape", cached)
        return cached  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class Body(_LazyAdapter):
    """A request body.  ``kind`` picks the encoding; ``media_type`` is sent as Content-Type."""

    media_type: str
    kind: BodyKind
    required: bool = True
    type: TypeThunk | None = None
    _adapter: Any = field(default=None, init=False, repr=False, compare=False)
    _shape: Any = field(default=None, init=False, repr=False, compare=False)

    def shape(self) -> Shape:
        cached = self._shape
        if cached is None:
            from .shapes import shape_of

            cached = shape_of(self.resolved_type())
            object.__setattr__(self, "_shape", cached)
        return cached  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseSpec(_LazyAdapter):
    """A documented response: ``status`` is ``"200"``, a range like ``"4XX"``, or ``"default"``."""

    status: str
    kind: ResponseKind
    media_type: str | None = None
    type: TypeThunk | None = None
    error: Callable[[], builtins.type[ApiError]] | None = None
    _adapter: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_success(self) -> bool:
        return self.status[:1] == "2"


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityScheme:
    """A security scheme from ``components.securitySchemes``.

    Credentials by kind: ``http`` + ``bearer`` → token str; ``http`` + ``basic`` →
    ``(username, password)``; other ``http`` schemes → the credential str sent
    as ``Authorization: <scheme> <credential>``; ``apiKey`` → the key str, sent
    in ``location`` (header/query/cookie) under ``param_name``; ``oauth2`` and
    ``openIdConnect`` → an access token sent as ``Authorization: Bearer``.
    """

    name: str
    py_name: str
    kind: SecurityKind
    scheme: str | None = None
    location: Literal["header", "query", "cookie"] | None = None
    param_name: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "apiKey" and (self.location is None or not self.param_name):
            raise ValueError(f"apiKey scheme {self.name!r} needs location and param_name")


_TEMPLATE_VAR = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One operation.  ``security`` is an OR of AND-sets of scheme names;
    ``policy`` is what the spec says about its resilience (``None``: nothing)."""

    name: str
    method: str
    path: str
    params: tuple[Param, ...] = ()
    body: Body | None = None
    responses: tuple[ResponseSpec, ...] = ()
    security: tuple[tuple[str, ...], ...] = ()
    deprecated: bool = False
    policy: OperationPolicy | None = None
    _path_parts: Any = field(default=None, init=False, repr=False, compare=False)
    _accept: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if not self.path.startswith("/"):
            raise ValueError(f"endpoint {self.name!r}: path must start with '/'")

    def path_parts(self) -> tuple[str | Param, ...]:
        """The path template split into literal text and path params, in order."""
        cached = self._path_parts
        if cached is None:
            by_name = {p.name: p for p in self.params if p.location == "path"}
            parts: list[str | Param] = []
            pos = 0
            for m in _TEMPLATE_VAR.finditer(self.path):
                if m.start() > pos:
                    parts.append(self.path[pos : m.start()])
                try:
                    parts.append(by_name[m.group(1)])
                except KeyError:
                    raise ValueError(
                        f"endpoint {self.name!r}: path variable {m.group(1)!r} has no parameter"
                    ) from None
                pos = m.end()
            if pos < len(self.path):
                parts.append(self.path[pos:])
            cached = tuple(parts)
            object.__setattr__(self, "_path_parts", cached)
        return cached  # type: ignore[no-any-return]

    def accept_header(self) -> str:
        """The ``Accept`` value: the documented response media types, in order."""
        cached = self._accept
        if cached is None:
            seen: dict[str, None] = {}
            for r in self.responses:
                if r.media_type:
                    seen.setdefault(r.media_type, None)
            cached = ", ".join(seen)
            object.__setattr__(self, "_accept", cached)
        return cached  # type: ignore[no-any-return]

    def response_for(
        self, status_code: int, content_type: str | None = None
    ) -> ResponseSpec | None:
        """The spec for a status: exact code, then range (``4XX``), then ``default``.

        When several specs share the matching status (one per media type), the
        one whose media type matches ``content_type`` wins, else the first.
        """
        exact = str(status_code)
        ranged = f"{status_code // 100}XX"
        for wanted in (exact, ranged, "DEFAULT"):
            candidates = [r for r in self.responses if r.status.upper() == wanted]
            if candidates:
                return _by_media_type(candidates, content_type)
        return None

    def success_spec(self) -> ResponseSpec | None:
        """The first documented 2xx response (exact codes before ranges)."""
        for r in self.responses:
            if r.status[:1] == "2" and r.status.isdigit():
                return r
        for r in self.responses:
            if r.status.upper() == "2XX":
                return r
        return None


def _by_media_type(candidates: list[ResponseSpec], content_type: str | None) -> ResponseSpec:
    if content_type and len(candidates) > 1:
        ct = content_type.split(";", 1)[0].strip().lower()
        for r in candidates:
            if r.media_type and r.media_type.lower() == ct:
                return r
        for r in candidates:
            mt = (r.media_type or "").lower()
            if mt.endswith("/*") and ct.startswith(mt[:-1]):
                return r
    return candidates[0]
