"""OpenAPI 3.0 / 3.1 -> IR.

Knows the OpenAPI document structure and nothing about Python or templates. Schemas
are handed to :class:`~wiregen.frontends.jsonschema.SchemaConverter`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wiregen.diagnostics import Diagnostic
from wiregen.frontends.jsonschema import Loc, SchemaConverter
from wiregen.ir import model as ir
from wiregen.load import Document, Workspace

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_IDEMPOTENCY_HEADERS = frozenset({"idempotency-key", "x-idempotency-key"})
_DEFAULT_STYLE = {
    ir.ParamLocation.PATH: "simple",
    ir.ParamLocation.QUERY: "form",
    ir.ParamLocation.HEADER: "simple",
    ir.ParamLocation.COOKIE: "form",
}
_NOT_RESPONSE_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})


def build_api(doc: Document, workspace: Workspace) -> tuple[ir.Api, list[Diagnostic]]:
    return _OpenApiFrontend(doc, workspace).build()


def body_kind(media_type: str) -> ir.BodyKind:
    """How a media type is encoded on the wire."""
    media = media_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json") or media.endswith("/json") or media == "*/*":
        return ir.BodyKind.JSON
    if media == "application/x-www-form-urlencoded":
        return ir.BodyKind.FORM
    if media.startswith("multipart/"):
        return ir.BodyKind.MULTIPART
    if media.startswith("text/") or media.endswith("+xml") or media.endswith("/xml"):
        return ir.BodyKind.TEXT
    return ir.BodyKind.BINARY


_KIND_PREFERENCE = (ir.BodyKind.JSON, ir.BodyKind.FORM, ir.BodyKind.MULTIPART, ir.BodyKind.BINARY, ir.BodyKind.TEXT)


def _preferred_media_type(content: Mapping[str, Any]) -> str | None:
    media_types = [m for m in content if isinstance(m, str)]
    if not media_types:
        return None
    return min(media_types, key=lambda m: (_KIND_PREFERENCE.index(body_kind(m)), media_types.index(m)))


class _OpenApiFrontend:
    def __init__(self, doc: Document, workspace: Workspace) -> None:
        self._doc = doc
        self._ws = workspace
        self._root = Loc(doc, "", doc.data)
        version = str(doc.data.get("openapi", ""))
        self._is_31 = version.startswith("3.1") or version.startswith("3.2")
        # Many 3.1 specs still write `nullable: true`; honouring it costs nothing.
        self._schemas = SchemaConverter(workspace, nullable_keyword=True)
        self._diagnostics: list[Diagnostic] = []

    def build(self) -> tuple[ir.Api, list[Diagnostic]]:
        data = self._root.node
        info = data.get("info") if isinstance(data.get("info"), Mapping) else {}
        components = data.get("components") if isinstance(data.get("components"), Mapping) else {}
        if isinstance(components.get("schemas"), Mapping):
            self._schemas.register_components(self._root.child("components", "schemas"))
        schemes = self._security_schemes(components)
        services = self._services()
        api = ir.Api(
            name=str(info.get("title") or "API"),
            version=str(info.get("version") or "0.0.0"),
            source_format="openapi-3.1" if self._is_31 else "openapi-3.0",
            doc=_text(info.get("description")),
            servers=self._servers(data.get("servers")),
            security_schemes=schemes,
            security=_security(data.get("security")) or (),
            types=self._schemas.definitions(),
            services=services,
            span=self._root.span,
        )
        return api, self._diagnostics + self._schemas.diagnostics

    # ----------------------------------------------------------------- servers

    def _servers(self, servers: Any) -> tuple[ir.Server, ...]:
        if not isinstance(servers, list):
            return ()
        result = []
        for server in servers:
            if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
                continue
            variables = []
            raw_vars = server.get("variables")
            if isinstance(raw_vars, Mapping):
                for name, var in raw_vars.items():
                    if not isinstance(var, Mapping):
                        continue
                    enum = var.get("enum")
                    variables.append(
                        ir.ServerVariable(
                            name=str(name),
                            default=str(var.get("default", "")),
                            enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
                            doc=_text(var.get("description")),
                        )
                    )
            result.append(ir.Server(url=server["url"], variables=tuple(variables), doc=_text(server.get("description"))))
        return tuple(result)

    # ---------------------------------------------------------------- security

    def _security_schemes(self, components: Mapping[str, Any]) -> tuple[ir.SecurityScheme, ...]:
        raw = components.get("securitySchemes")
        if not isinstance(raw, Mapping):
            return ()
        schemes = []
        for name in raw:
            loc = self._deref(self._root.child("components", "securitySchemes", name))
            node = loc.node
            if not isinstance(node, Mapping):
                continue
            try:
                kind = ir.SecurityKind(str(node.get("type")))
            except ValueError:
                continue
            location = None
            if kind is ir.SecurityKind.API_KEY:
                try:
                    location = ir.ParamLocation(str(node.get("in")))
                except ValueError:
                    continue
            scheme = node.get("scheme")
            schemes.append(
                ir.SecurityScheme(
                    name=str(name),
                    kind=kind,
                    scheme=scheme.lower() if isinstance(scheme, str) else None,
                    location=location,
                    param_name=str(node["name"]) if kind is ir.SecurityKind.API_KEY and "name" in node else None,
                    doc=_text(node.get("description")),
                    span=loc.span,
                )
            )
        return tuple(schemes)

    # -------------------------------------------------------------- operations

    def _services(self) -> tuple[ir.Service, ...]:
        data = self._root.node
        operations: list[ir.Operation] = []
        paths = data.get("paths")
        if isinstance(paths, Mapping):
            for path in paths:
                if not isinstance(path, str) or path.startswith("x-"):
                    continue
                item = self._deref(self._root.child("paths", path))
                if not isinstance(item.node, Mapping):
                    continue
                for method in HTTP_METHODS:
                    if isinstance(item.node.get(method), Mapping):
                        operations.append(self._operation(path, method, item))
        declared_tags = [t.get("name") for t in data.get("tags", []) if isinstance(t, Mapping)] if isinstance(data.get("tags"), list) else []
        tag_docs = {t.get("name"): _text(t.get("description")) for t in data.get("tags", []) if isinstance(t, Mapping)} if isinstance(data.get("tags"), list) else {}
        order: dict[str, int] = {}
        for tag in declared_tags:
            if isinstance(tag, str):
                order.setdefault(tag, len(order))
        grouped: dict[str, list[ir.Operation]] = {}
        for op in operations:
            key = op.tag or ""
            if key:
                order.setdefault(key, len(order))
            grouped.setdefault(key, []).append(op)
        names = sorted(grouped, key=lambda t: (t == "", order.get(t, 0)))
        return tuple(ir.Service(name=t, operations=tuple(grouped[t]), doc=tag_docs.get(t, "")) for t in names)

    def _operation(self, path: str, method: str, item: Loc) -> ir.Operation:
        loc = item.child(method)
        node = loc.node
        op_id = node.get("operationId")
        if not isinstance(op_id, str) or not op_id.strip():
            op_id = f"{method} {path}"
        tags = node.get("tags")
        tag = tags[0] if isinstance(tags, list) and tags and isinstance(tags[0], str) else None
        parameters = self._parameters(item, loc, op_id)
        idempotency_header = next(
            (p.name for p in parameters if p.location is ir.ParamLocation.HEADER and p.name.lower() in _IDEMPOTENCY_HEADERS),
            None,
        )
        declared_idempotent = self._extension(node, "x-wiregen-idempotent")
        idempotent = method.upper() in _IDEMPOTENT_METHODS or idempotency_header is not None
        if isinstance(declared_idempotent, bool):
            idempotent = declared_idempotent
        return ir.Operation(
            id=op_id,
            method=method.upper(),
            path=path,
            tag=tag,
            summary=_text(node.get("summary")),
            doc=_text(node.get("description")),
            parameters=parameters,
            body=self._request_body(loc, op_id),
            responses=self._responses(loc, op_id),
            security=_security(node["security"]) if "security" in node else None,
            deprecated=node.get("deprecated") is True,
            idempotent=idempotent,
            idempotency_header=idempotency_header,
            timeout=_positive(self._extension(node, "x-wiregen-timeout")),
            retry=_retry(self._extension(node, "x-wiregen-retry")),
            circuit_breaker=_circuit_breaker(self._extension(node, "x-wiregen-circuit-breaker")),
            span=loc.span,
        )

    def _extension(self, operation: Mapping[str, Any], name: str) -> Any:
        """An ``x-wiregen-*`` setting: the operation's own, else the document's."""
        return operation[name] if name in operation else self._root.node.get(name)

    def _parameters(self, item: Loc, op: Loc, op_id: str) -> tuple[ir.Parameter, ...]:
        by_key: dict[tuple[str, str], Loc] = {}
        for owner in (item, op):
            raw = owner.node.get("parameters")
            if not isinstance(raw, list):
                continue
            for index in range(len(raw)):
                param = self._deref(owner.child("parameters", index))
                if isinstance(param.node, Mapping) and isinstance(param.node.get("name"), str):
                    by_key[(param.node["name"], str(param.node.get("in")))] = param
        result = []
        for (name, location), loc in by_key.items():
            try:
                where = ir.ParamLocation(location)
            except ValueError:
                continue
            if where is ir.ParamLocation.HEADER and name.lower() in ("accept", "content-type", "authorization"):
                continue  # OpenAPI says these are ignored: content negotiation and auth own them.
            result.append(self._parameter(name, where, loc, op_id))
        return tuple(result)

    def _parameter(self, name: str, where: ir.ParamLocation, loc: Loc, op_id: str) -> ir.Parameter:
        node = loc.node
        schema_loc: Loc | None = None
        if isinstance(node.get("schema"), Mapping):
            schema_loc = loc.child("schema")
        elif isinstance(node.get("content"), Mapping) and node["content"]:
            media = next(iter(node["content"]))
            if isinstance(node["content"][media], Mapping) and isinstance(node["content"][media].get("schema"), Mapping):
                schema_loc = loc.child("content", media, "schema")
        type_expr = self._schemas.convert(schema_loc, f"{op_id} {name}") if schema_loc else ir.Primitive(kind=ir.PrimitiveKind.STRING)
        style = node.get("style") if isinstance(node.get("style"), str) else _DEFAULT_STYLE[where]
        explode = node.get("explode")
        if not isinstance(explode, bool):
            explode = style == "form"
        default = None
        if schema_loc is not None and isinstance(schema_loc.node, Mapping) and "default" in schema_loc.node:
            default = ir.Default(value=schema_loc.node["default"])
        return ir.Parameter(
            name=name,
            location=where,
            type=type_expr,
            required=where is ir.ParamLocation.PATH or node.get("required") is True,
            style=style,
            explode=explode,
            default=default,
            deprecated=node.get("deprecated") is True,
            doc=_text(node.get("description")),
            span=loc.span,
        )

    def _request_body(self, op: Loc, op_id: str) -> ir.RequestBody | None:
        if not isinstance(op.node.get("requestBody"), Mapping):
            return None
        loc = self._deref(op.child("requestBody"))
        content = loc.node.get("content") if isinstance(loc.node, Mapping) else None
        if not isinstance(content, Mapping):
            return None
        media = _preferred_media_type(content)
        if media is None:
            return None
        kind = body_kind(media)
        return ir.RequestBody(
            media_type=media,
            kind=kind,
            type=self._content_type(loc.child("content", media), kind, f"{op_id} request"),
            required=loc.node.get("required") is True,
            doc=_text(loc.node.get("description")),
            alternatives=tuple(sorted(m for m in content if m != media)),
            span=loc.span,
        )

    def _content_type(self, media: Loc, kind: ir.BodyKind, name_hint: str) -> ir.TypeExpr | None:
        if kind in (ir.BodyKind.BINARY, ir.BodyKind.TEXT):
            return None
        if not isinstance(media.node, Mapping) or "schema" not in media.node:
            return None
        return self._schemas.convert(media.child("schema"), name_hint)

    def _responses(self, op: Loc, op_id: str) -> tuple[ir.Response, ...]:
        raw = op.node.get("responses")
        if not isinstance(raw, Mapping):
            return ()
        result = []
        statuses = [str(s) for s in raw if not str(s).startswith("x-")]
        several_successes = sum(1 for s in statuses if s.startswith("2")) > 1
        for status in raw:
            status_text = str(status)
            if status_text.startswith("x-"):
                continue
            loc = self._deref(op.child("responses", status))
            if not isinstance(loc.node, Mapping):
                continue
            suffix = "response" if status_text.startswith("2") and not several_successes else f"{status_text} response"
            result.append(self._response(status_text.upper() if status_text != "default" else status_text, loc, f"{op_id} {suffix}"))
        return tuple(sorted(result, key=_status_order))

    def _response(self, status: str, loc: Loc, name_hint: str) -> ir.Response:
        content = loc.node.get("content")
        media = _preferred_media_type(content) if isinstance(content, Mapping) else None
        kind = body_kind(media) if media else ir.BodyKind.EMPTY
        type_expr = self._content_type(loc.child("content", media), kind, name_hint) if media else None
        headers = []
        raw_headers = loc.node.get("headers")
        if isinstance(raw_headers, Mapping):
            for name in raw_headers:
                if not isinstance(name, str) or name.lower() in _NOT_RESPONSE_HEADERS:
                    continue
                header = self._deref(loc.child("headers", name))
                if not isinstance(header.node, Mapping):
                    continue
                htype: ir.TypeExpr = ir.Primitive(kind=ir.PrimitiveKind.STRING)
                if isinstance(header.node.get("schema"), Mapping):
                    htype = self._schemas.convert(header.child("schema"), f"{name_hint} {name}")
                headers.append(
                    ir.ResponseHeader(name=name, type=htype, required=header.node.get("required") is True, doc=_text(header.node.get("description")))
                )
        return ir.Response(
            status=status,
            kind=kind,
            media_type=media,
            type=type_expr,
            headers=tuple(headers),
            doc=_text(loc.node.get("description")),
            span=loc.span,
        )

    def _deref(self, loc: Loc) -> Loc:
        seen: set[str] = set()
        while isinstance(loc.node, Mapping) and isinstance(loc.node.get("$ref"), str) and loc.id not in seen:
            seen.add(loc.id)
            resolved = self._ws.resolve_ref(loc.node["$ref"], loc.doc, loc.child("$ref").span)
            loc = Loc(resolved.document, resolved.pointer, resolved.node)
        return loc


def _status_order(response: ir.Response) -> tuple[int, str]:
    status = response.status
    if status == "default":
        return (2, status)
    return (1 if "X" in status else 0, status)


def _security(raw: Any) -> tuple[ir.SecurityRequirement, ...] | None:
    if not isinstance(raw, list):
        return None
    requirements = []
    for requirement in raw:
        if isinstance(requirement, Mapping):
            requirements.append(tuple(sorted(str(name) for name in requirement)))
    return tuple(requirements)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _positive(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _retry(value: Any) -> ir.RetrySpec | None:
    if value is False:
        return ir.RetrySpec(enabled=False)
    if not isinstance(value, Mapping):
        return None
    return ir.RetrySpec(
        max_attempts=_count(_setting(value, "max_attempts")),
        base_delay=_positive(_setting(value, "base_delay")),
        max_delay=_positive(_setting(value, "max_delay")),
    )


def _circuit_breaker(value: Any) -> ir.CircuitBreakerSpec | None:
    if value is False:
        return ir.CircuitBreakerSpec(enabled=False)
    if not isinstance(value, Mapping):
        return None
    rate = _positive(_setting(value, "failure_rate"))
    return ir.CircuitBreakerSpec(
        failure_rate=rate if rate is not None and rate <= 1 else None,
        window=_count(_setting(value, "window")),
        min_calls=_count(_setting(value, "min_calls")),
        open_seconds=_positive(_setting(value, "open_seconds")),
        half_open_probes=_count(_setting(value, "half_open_probes")),
    )


def _setting(value: Mapping[str, Any], name: str) -> Any:
    """One setting of an extension (validated against schemas/extensions.schema.json)."""
    return value.get(name)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def path_parameters(path: str) -> list[str]:
    return re.findall(r"\{([^{}]+)\}", path)


__all__ = ["HTTP_METHODS", "body_kind", "build_api", "path_parameters"]
