"""FastAPI application wiring for generated servers.

Each ``Endpoint`` becomes a starlette route that matches the *raw* request
path (so ``%2F`` inside a path value stays a value, and parameter names need
not be identifiers), decodes parameters with ``codec`` — the inverse of the
client's serialisation — validates them and the body with the specs'
TypeAdapters, and calls the implementation method by Python parameter names.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI
from pydantic_core import ValidationError, to_json, to_jsonable_python
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from .bodies import OCTET_STREAM, decode_body, decode_form_body, read_content
from .codec import (
    PATH_LITERAL_SAFE,
    RawParams,
    decode_params,
    parse_cookie_header,
    parse_query_string,
    prefixed_errors,
)
from .spec import Body, Endpoint, ResponseSpec

logger = logging.getLogger(__name__)

_RAW_PATH_PARAMS = "wiregen.raw_path_params"
_CURRENT_REQUEST: contextvars.ContextVar[Request] = contextvars.ContextVar("wiregen_current_request")


def current_request() -> Request:
    """The request being handled, for implementations that need raw headers or
    credentials (authentication is the implementation's decision, not the router's).

    Raises ``LookupError`` outside a request.
    """
    return _CURRENT_REQUEST.get()
_NO_BODY_STATUSES = frozenset({204, 205, 304})


class ServiceError(Exception):
    """Raise from an implementation to answer with a documented (error) response.

    ``body`` is validated against the response documented for ``status_code``
    (exact, range, then ``default``); a body that does not fit becomes a 500.
    """

    def __init__(
        self, status_code: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, body)
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        return f"HTTP {self.status_code}: {self.body!r}"


class NotImplementedOperation(Exception):
    """Raised by the default method bodies of generated service classes (→ 501)."""


class _InvalidResponse(Exception):
    pass


# ---------------------------------------------------------------------------
# Routing on the raw path
# ---------------------------------------------------------------------------


def path_regex(endpoint: Endpoint) -> tuple[re.Pattern[str], dict[str, str]]:
    """A regex over the raw (percent-encoded) path and its group → wire-name map."""
    pattern: list[str] = []
    groups: dict[str, str] = {}
    for part in endpoint.path_parts():
        if isinstance(part, str):
            pattern.append(re.escape(quote(part, safe=PATH_LITERAL_SAFE)))
            continue
        existing = next((g for g, n in groups.items() if n == part.name), None)
        if existing is not None:
            pattern.append(f"(?P={existing})")
            continue
        group = f"p{len(groups)}"
        groups[group] = part.name
        pattern.append(f"(?P<{group}>[^/]+)")
    return re.compile("".join(pattern)), groups


def _placeholder_path(endpoint: Endpoint) -> str:
    out: list[str] = []
    for i, part in enumerate(endpoint.path_parts()):
        out.append(part if isinstance(part, str) else f"{{p{i}}}")
    return "".join(out)


def raw_route_path(scope: Scope) -> str:
    """The request path relative to ``root_path``, still percent-encoded."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    route_path = path[len(root) :] if root and path.startswith(root) else path
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        raw_s = raw.decode("latin-1").partition("?")[0]
        if root and raw_s.startswith(root) and unquote(raw_s[len(root) :]) == route_path:
            return raw_s[len(root) :]
        if unquote(raw_s) == route_path:
            return raw_s
    return quote(route_path, safe=PATH_LITERAL_SAFE.replace("%", ""))


class EndpointRoute(Route):
    """A starlette ``Route`` for one ``Endpoint``, matched against the raw path."""

    def __init__(self, endpoint: Endpoint, handler: Callable[[Request], Any]) -> None:
        super().__init__(
            _placeholder_path(endpoint),
            handler,
            methods=[endpoint.method],
            name=endpoint.name,
            include_in_schema=False,
        )
        self.wire_endpoint = endpoint
        self._regex, self._groups = path_regex(endpoint)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        m = self._regex.fullmatch(raw_route_path(scope))
        if m is None:
            return Match.NONE, {}
        raw = {self._groups[g]: v for g, v in m.groupdict().items()}
        path_params = dict(scope.get("path_params", {}))
        path_params.update({k: unquote(v) for k, v in raw.items()})
        child: Scope = {
            "endpoint": self.endpoint,
            "path_params": path_params,
            _RAW_PATH_PARAMS: raw,
        }
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child
        return Match.FULL, child


# ---------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------


def _raw_params(request: Request) -> RawParams:
    headers = request.headers

    def header(name: str) -> str | None:
        values = headers.getlist(name)
        return ",".join(values) if values else None

    return RawParams(
        path=request.scope.get(_RAW_PATH_PARAMS, {}),
        query=parse_query_string(request.scope.get("query_string", b"").decode("utf-8", "replace")),
        headers=header,
        cookies=parse_cookie_header(headers.get("cookie", "")),
    )


_MISSING_BODY = {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}


async def _read_body(spec: Body, request: Request) -> tuple[Any, list[dict[str, Any]]]:
    try:
        if spec.kind == "multipart":
            if not request.headers.get("content-type", "").lower().startswith("multipart/"):
                return None, [] if not spec.required else [dict(_MISSING_BODY)]
            form = await request.form()
            try:
                items: list[tuple[str, Any]] = []
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        content = await value.read()
                        items.append(
                            (
                                name,
                                (value.filename or "", content, value.content_type or OCTET_STREAM),
                            )
                        )
                    else:
                        items.append((name, value))
            finally:
                await form.close()
            return decode_form_body(spec, items), []
        content = await request.body()
        if not content:
            return None, [] if not spec.required else [dict(_MISSING_BODY)]
        return decode_body(spec, content), []
    except ValidationError as exc:
        return None, prefixed_errors(exc, ["body"])
    except ValueError as exc:
        return None, [{"type": "value_error", "loc": ["body"], "msg": str(exc), "input": None}]


# ---------------------------------------------------------------------------
# Response encoding
# ---------------------------------------------------------------------------


def _json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        to_json(payload), status_code=status, headers=headers, media_type="application/json"
    )


def _render(
    spec: ResponseSpec | None, status: int, value: Any, headers: Mapping[str, str] | None
) -> Response:
    if status in _NO_BODY_STATUSES or (spec is not None and spec.kind == "empty"):
        return Response(status_code=status, headers=headers)
    if spec is None:
        if value is None:
            return Response(status_code=status, headers=headers)
        return _json_response(status, value, headers)
    media_type = spec.media_type
    if spec.kind == "json":
        if spec.type is None:
            content = to_json(value, by_alias=True)
        else:
            adapter = spec.adapter()
            try:
                valid = adapter.validate_python(value)
            except ValidationError:
                if value is None or isinstance(value, (str, int, float, bool)):
                    raise
                # e.g. another model class with the same wire shape
                valid = adapter.validate_python(to_jsonable_python(value, by_alias=True))
            content = adapter.dump_json(valid, by_alias=True)
        return Response(
            content,
            status_code=status,
            headers=headers,
            media_type=media_type or "application/json",
        )
    if spec.kind == "text":
        text = value if isinstance(value, str) else str(value)
        return Response(
            text, status_code=status, headers=headers, media_type=media_type or "text/plain"
        )
    if isinstance(value, tuple) and len(value) == 3:
        _, value, tuple_type = value
        media_type = tuple_type if not media_type or "*" in media_type else media_type
    if not media_type or "*" in media_type:
        media_type = OCTET_STREAM
    return Response(read_content(value), status_code=status, headers=headers, media_type=media_type)


def _success(endpoint: Endpoint, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    spec = endpoint.success_spec()
    status = int(spec.status) if spec is not None and spec.status.isdigit() else 200
    try:
        return _render(spec, status, result, None)
    except (ValidationError, ValueError, TypeError) as exc:
        logger.error(
            "operation %s returned a value that does not match its %s response: %s",
            endpoint.name,
            status,
            exc,
        )
        return _json_response(
            500, {"detail": f"operation {endpoint.name} returned an invalid response body"}
        )


def _service_error(endpoint: Endpoint, err: ServiceError) -> Response:
    spec = endpoint.response_for(err.status_code)
    try:
        return _render(spec, err.status_code, err.body, err.headers)
    except (ValidationError, ValueError, TypeError) as exc:
        logger.error(
            "operation %s raised ServiceError(%s) with a body that does not match the documented response: %s",
            endpoint.name, err.status_code, exc,
        )  # fmt: skip
        return _json_response(
            500,
            {
                "detail": f"operation {endpoint.name}: error body for status {err.status_code} does not match the documented response"
            },
        )


def _not_implemented(endpoint: Endpoint) -> Response:
    return _json_response(501, {"detail": f"operation {endpoint.name} is not implemented"})


# ---------------------------------------------------------------------------
# App
# ---------------------------------------------------------------------------


def make_handler(
    endpoint: Endpoint, implementation: object | None, method_name: str
) -> Callable[[Request], Any]:
    """The ``Request → Response`` coroutine for one endpoint."""
    fn: Callable[..., Any] | None = None
    if implementation is not None:
        fn = getattr(implementation, method_name, None)
        if not callable(fn):
            raise TypeError(f"{type(implementation).__name__} has no method {method_name!r}")
    is_async = fn is not None and inspect.iscoroutinefunction(fn)

    async def handler(request: Request) -> Response:
        if fn is None:
            return _not_implemented(endpoint)
        _CURRENT_REQUEST.set(request)
        kwargs, errors = decode_params(endpoint, _raw_params(request))
        if endpoint.body is not None:
            body, body_errors = await _read_body(endpoint.body, request)
            errors.extend(body_errors)
            kwargs["body"] = body
        if errors:
            return _json_response(422, {"detail": errors})
        try:
            if is_async:
                result = await fn(**kwargs)
            else:
                result = await run_in_threadpool(fn, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
        except ServiceError as err:
            return _service_error(endpoint, err)
        except NotImplementedOperation:
            return _not_implemented(endpoint)
        return _success(endpoint, result)

    handler.__name__ = endpoint.name
    return handler


def build_app(
    *,
    title: str,
    version: str,
    routes: Sequence[tuple[Endpoint, object | None, str]],
    openapi_document: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """A FastAPI app serving ``routes`` — ``(endpoint, implementation or None, method
    name)`` — plus ``/healthz`` and ``/readyz``; ``openapi_document`` (the original
    description) replaces FastAPI's generated ``/openapi.json``."""
    app = FastAPI(title=title, version=version)
    for endpoint, implementation, method_name in routes:
        app.router.routes.append(
            EndpointRoute(endpoint, make_handler(endpoint, implementation, method_name))
        )

    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/readyz", readyz, methods=["GET"], include_in_schema=False)

    if openapi_document is not None:
        cache: list[dict[str, Any]] = []

        def openapi() -> dict[str, Any]:
            if not cache:
                cache.append(openapi_document())
            return cache[0]

        app.openapi = openapi  # type: ignore[method-assign]
    return app
