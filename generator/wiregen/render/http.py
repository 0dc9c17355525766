"""View models of the HTTP modules: ``_endpoints.py``, ``errors.py``, ``client.py``, ``server.py``.

One :class:`OperationView` per operation carries everything the templates print, so
the client and the server agree on names and types by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from wiregen.ir import model as ir
from wiregen.passes.identifiers import Scope, upper_snake
from wiregen.render.escape import docstring_lines, literal
from wiregen.render.imports import from_import, import_block, sort_all
from wiregen.render.types import IMPORT_OF_PREFIX, TypeRenderer

_MODELS = "_models."
# What `<pkg>.client` re-exports from the runtime for configuring resilience.
RESILIENCE_EXPORTS = (
    "BulkheadFullError",
    "BulkheadPolicy",
    "CircuitBreakerPolicy",
    "CircuitOpenError",
    "DeadlineExceededError",
    "ResilienceError",
    "RetryPolicy",
    "TransportError",
)


@dataclass(frozen=True, slots=True)
class ParamView:
    py_name: str
    wire_name: str
    annotation: str
    default: str
    """`` = None`` or empty (required)."""
    spec: str
    """The ``_http.Param(...)`` expression."""


@dataclass(frozen=True, slots=True)
class OperationView:
    py_name: str
    constant: str
    """Name of the Endpoint constant in ``_endpoints/<service>.py``."""
    endpoint: str
    """The ``_http.Endpoint(...)`` expression, one argument per line."""
    signature: str
    """Keyword-only parameters after ``self``, e.g. ``*, pet_id: int, body: ...``."""
    server_signature: str
    """The same for the server stub, whose body arrives validated (never a plain dict)."""
    call_args: str
    """Arguments of ``call(...)`` after the endpoint: params mapping and body."""
    returns: str
    return_kind: str
    """``none`` (call as a statement), ``any`` or ``cast``."""
    doc_lines: list[str]
    server_returns: str


@dataclass(frozen=True, slots=True)
class ErrorView:
    name: str
    body: str
    """Annotation of ``body``, or empty when nothing is documented."""
    doc_lines: list[str]


@dataclass(frozen=True, slots=True)
class ServiceView:
    py_name: str
    """Client attribute, ``create_app`` keyword and module name (``_apis/<py_name>.py``)."""
    class_name: str
    tagged: bool
    doc_lines: list[str]
    operations: list[OperationView]
    used: frozenset[str]
    """What this service's signatures name (models, datetime, ...): their imports
    depend on which module they are written into."""
    api_imports: list[str]
    endpoint_imports: list[str]
    api_type_imports: list[str]
    api_all: list[str]
    lazy_imports: tuple[str, str]
    """The statements (sync, async) that import this tag's API class inside a client property."""
    service_imports: list[str]
    service_type_imports: list[str]


@dataclass(frozen=True, slots=True)
class CredentialView:
    py_name: str
    annotation: str


@dataclass(frozen=True, slots=True)
class HttpModules:
    title: str
    version: str
    user_agent: str
    services: list[ServiceView]
    errors: list[ErrorView]
    security_schemes: list[str]
    credentials: list[CredentialView]
    client_imports: list[str]
    server_imports: list[str]
    errors_imports: list[str]
    annotation_imports: list[str]
    """Imports needed only by annotations of the client and server (under TYPE_CHECKING)."""
    server_annotation_imports: list[str]
    error_annotation_imports: list[str]
    client_all: list[str]
    server_all: list[str]
    errors_all: list[str]
    doc_lines: list[str]


def build(api: ir.Api, package: str) -> HttpModules:
    definitions = {d.id: d for d in api.types}
    error_annotations = TypeRenderer(definitions, class_prefix=_MODELS, validation=False)
    services = [
        _service(
            service,
            api,
            TypeRenderer(definitions, class_prefix=_MODELS),
            TypeRenderer(definitions, class_prefix=_MODELS, validation=False),
        )
        for service in api.services
        if service.operations
    ]
    errors = [
        _error(op, response, error_annotations)
        for op in api.operations
        for response in op.responses
        if not response.is_success
    ]
    credentials = [
        CredentialView(py_name=s.py_name, annotation=_credential_annotation(s))
        for s in api.security_schemes
        if s.kind is not ir.SecurityKind.MUTUAL_TLS
    ]
    tagged = [s for s in services if s.tagged]
    untagged_imports = next((_imports(s.used, ".") for s in services if not s.tagged), [])
    error_names = ["ApiError", "UnexpectedStatusError", *(e.name for e in errors)]
    client_all = sort_all(["AsyncClient", "Client", *error_names, *RESILIENCE_EXPORTS])
    server_all = sort_all(
        ["NotImplementedOperation", "ServiceError", "create_app", "current_request"]
        + [f"{s.class_name}Service" for s in services]
    )
    error_annotation_imports = _imports(error_annotations.used)
    client_type_imports = [
        *untagged_imports,
        *(from_import("._apis", [f"{s.py_name} as _api_{s.py_name}"], indent="    ") for s in tagged),
    ]
    return HttpModules(
        title=literal(api.name),
        version=literal(api.version),
        user_agent=literal(f"{package}/{api.version} (wiregen)"),
        services=services,
        errors=errors,
        security_schemes=[_security_scheme(s) for s in api.security_schemes],
        credentials=credentials,
        client_imports=import_block(
            [
                "import typing as _t",
                "import httpx as _httpx",
                *(["import functools as _functools"] if tagged else []),
                "from . import _endpoints as _ep",
                *(from_import("._endpoints", [f"{s.py_name} as _ep_{s.py_name}"]) for s in services if not s.tagged),
                "from ._runtime import http as _http",
                from_import("._runtime.http", RESILIENCE_EXPORTS),
                from_import(".errors", error_names),
            ]
        ),
        server_imports=import_block(
            [
                "import typing as _t",
                "from ._runtime import server as _server",
                "from ._runtime.server import NotImplementedOperation, ServiceError, current_request",
                *(from_import(f"._services.{s.py_name}", [f"{s.class_name}Service"]) for s in services),
                *(from_import("._endpoints", [f"{s.py_name} as _ep_{s.py_name}"]) for s in services),
            ]
        ),
        errors_imports=import_block(
            (["import typing as _t"] if error_annotation_imports else [])
            + ["from ._runtime.http import ApiError, UnexpectedStatusError"]
        ),
        annotation_imports=import_block(client_type_imports),
        server_annotation_imports=import_block(["import fastapi as _fastapi"]),
        error_annotation_imports=import_block(error_annotation_imports),
        client_all=client_all,
        server_all=server_all,
        errors_all=sort_all(error_names),
        doc_lines=docstring_lines(f"{api.name} {api.version}"),
    )


def _imports(used: set[str] | frozenset[str], parent: str = ".") -> list[str]:
    """Imports for the names in ``used``; ``parent`` is the package's relative name
    from the importing module (``.`` at the top level, ``..`` in a subpackage)."""
    lines = sorted(IMPORT_OF_PREFIX[p] for p in IMPORT_OF_PREFIX if p in used and p != "_t.")
    if "Binary" in used:
        lines.append(f"from {parent}_runtime.files import Binary")
    if "Base64Data" in used:
        lines.append(f"from {parent}_runtime.encoded import Base64Data")
    if _MODELS in used:
        lines.append(f"from {parent} import models as _models")
    return lines


def _service(service: ir.Service, api: ir.Api, runtime_types: TypeRenderer, annotations: TypeRenderer) -> ServiceView:
    doc = service.doc or (f"Operations tagged {service.name!r}." if service.name else "Operations without a tag.")
    constants = Scope()
    operations = [_operation(op, api, runtime_types, annotations, constants) for op in service.operations]
    type_imports = import_block(_imports(annotations.used, ".."))
    # `typing` only where something says `_t.`: a TYPE_CHECKING block, a cast, an annotation.
    uses_typing = bool(type_imports) or any(
        "_t." in op.signature or "_t." in op.server_signature or "_t." in op.returns for op in operations
    )
    api_typing = ["import typing as _t"] if uses_typing or any(op.return_kind == "cast" for op in operations) else []
    service_typing = ["import typing as _t"] if uses_typing else []
    return ServiceView(
        py_name=service.py_name,
        class_name=service.class_name,
        tagged=bool(service.name),
        doc_lines=docstring_lines(doc),
        operations=operations,
        used=frozenset(annotations.used),
        # Modules of one tag each: a 6 MB client for Kubernetes becomes ~60 small modules,
        # imported when first used and cheap to check.
        api_imports=import_block(
            [*api_typing, from_import(".._endpoints", [f"{service.py_name} as _ep"]), "from .._runtime import http as _http"]
        ),
        endpoint_imports=import_block(
            [
                "import typing as _t",
                "from .._runtime import http as _http",
                "from .._runtime.lazy import LazyModule",
                *(line for line in _imports(runtime_types.used, "..") if "models" not in line),
            ]
        ),
        api_type_imports=type_imports,
        api_all=sort_all([f"{service.class_name}Api", f"Async{service.class_name}Api"]),
        lazy_imports=(
            from_import(f"._apis.{service.py_name}", [f"{service.class_name}Api"], indent=" " * 8),
            from_import(f"._apis.{service.py_name}", [f"Async{service.class_name}Api"], indent=" " * 8),
        ),
        service_imports=import_block([*service_typing, "from .._runtime.server import NotImplementedOperation"]),
        service_type_imports=type_imports,
    )


def _operation(
    op: ir.Operation,
    api: ir.Api,
    runtime_types: TypeRenderer,
    annotations: TypeRenderer,
    constants: Scope,
) -> OperationView:
    constant = constants.claim(upper_snake(op.py_name, fallback="OP"))
    params = [_param(p, runtime_types, annotations) for p in op.parameters]
    required = [p for p in params if not p.default]
    optional = [p for p in params if p.default]
    # The client generates the idempotency key when the caller gives none (the same
    # key on every attempt), so it is optional there even when the spec requires it.
    client_params = [_param(p, runtime_types, annotations, optional=p.name == op.idempotency_header) for p in op.parameters]
    body_arg = "None" if op.body is None else "body"
    signature = _signature(
        [p for p in client_params if not p.default],
        [p for p in client_params if p.default],
        op.body,
        _body_annotation(op.body, annotations, client=True),
    )
    server_signature = _signature(required, optional, op.body, _body_annotation(op.body, annotations, client=False))
    mapping = "{" + ", ".join(f"{literal(p.py_name)}: {p.py_name}" for p in params) + "}"
    returns, return_kind = _returns(op, annotations)
    security = op.security if op.security is not None else api.security
    endpoint = _endpoint(op, [p.spec for p in params], security, runtime_types)
    return OperationView(
        py_name=op.py_name,
        constant=constant,
        endpoint=endpoint,
        signature=signature,
        server_signature=server_signature,
        call_args=f"{mapping}, {body_arg}",
        returns=returns,
        return_kind=return_kind,
        doc_lines=_operation_doc(op),
        server_returns=returns,
    )


def _param(p: ir.Parameter, runtime_types: TypeRenderer, annotations: TypeRenderer, *, optional: bool = False) -> ParamView:
    annotation = annotations.render(p.type)
    default = ""
    if not p.required or optional:
        default = " = None"
        if not (annotation.endswith(" | None") or annotation in ("None", "_t.Any")):
            annotation += " | None"
    spec = (
        f"_http.Param(name={literal(p.name)}, py_name={literal(p.py_name)}, location={literal(p.location.value)}, "
        f"style={literal(p.style)}, explode={p.explode}, required={p.required}, "
        f"type=lambda: {runtime_types.render(p.type)}"
        + (", deprecated=True" if p.deprecated else "")
        + ")"
    )
    return ParamView(py_name=p.py_name, wire_name=p.name, annotation=annotation, default=default, spec=spec)


def _signature(required: list[ParamView], optional: list[ParamView], body: ir.RequestBody | None, body_annotation: str) -> str:
    """Keyword-only: required parameters, the body, then optional parameters."""
    parts = [f"{p.py_name}: {p.annotation}" for p in required]
    if body is not None:
        parts.append(f"body: {body_annotation}" if body.required else f"body: {body_annotation} | None = None")
    parts += [f"{p.py_name}: {p.annotation}{p.default}" for p in optional]
    return ", ".join(["*", *parts]) if parts else ""


def _body_annotation(body: ir.RequestBody | None, annotations: TypeRenderer, *, client: bool) -> str:
    if body is None:
        return ""
    if body.kind is ir.BodyKind.BINARY:
        return "bytes | _t.BinaryIO" if client else "bytes"
    if body.kind is ir.BodyKind.TEXT:
        return "str"
    if body.type is None:
        return "_t.Any"
    rendered = annotations.render(body.type)
    if client and isinstance(body.type, ir.Ref) and rendered.startswith(_MODELS) and " " not in rendered:
        # A plain dict of wire names is accepted wherever a model is.
        return f"{rendered} | dict[str, _t.Any]"
    return rendered


def _returns(op: ir.Operation, annotations: TypeRenderer) -> tuple[str, str]:
    successes = [r for r in op.responses if r.is_success]
    if not successes:
        # Nothing documents success: whatever a 2xx carries comes back as parsed JSON.
        return "_t.Any", "any"
    kinds = []
    for response in successes:
        kinds.append(_response_annotation(response, annotations))
    unique = list(dict.fromkeys(kinds))
    if unique == ["None"]:
        return "None", "none"
    if "_t.Any" in unique:
        return "_t.Any", "any"
    non_null = [k for k in unique if k != "None"]
    annotation = " | ".join(non_null + (["None"] if "None" in unique else []))
    return annotation, "cast"


def _response_annotation(response: ir.Response, annotations: TypeRenderer) -> str:
    if response.kind is ir.BodyKind.EMPTY:
        return "None"
    if response.kind is ir.BodyKind.BINARY:
        return "bytes"
    if response.kind is ir.BodyKind.TEXT:
        return "str"
    if response.type is None:
        return "_t.Any"
    return annotations.render(response.type)


def _endpoint(
    op: ir.Operation, param_specs: list[str], security: tuple[ir.SecurityRequirement, ...], runtime_types: TypeRenderer
) -> str:
    params = "".join(f"\n        {spec}," for spec in param_specs)
    lines = [
        f"name={literal(op.py_name)}",
        f"method={literal(op.method)}",
        f"path={literal(op.path)}",
        f"params=({params}\n    )" if params else "params=()",
        f"body={_body_spec(op.body, runtime_types)}",
        "responses=(" + "".join(f"\n        {_response_spec(r, runtime_types)}," for r in op.responses) + "\n    )"
        if op.responses
        else "responses=()",
        f"security={_security(security)}",
        f"deprecated={op.deprecated}",
    ]
    policy = _policy(op)
    if policy:
        lines.append(f"policy={policy}")
    return "_http.Endpoint(\n" + "".join(f"    {line},\n" for line in lines) + ")"


def _body_spec(body: ir.RequestBody | None, runtime_types: TypeRenderer) -> str:
    if body is None:
        return "None"
    type_src = f"lambda: {runtime_types.render(body.type)}" if body.type is not None else "None"
    return (
        f"_http.Body(media_type={literal(body.media_type)}, kind={literal(body.kind.value)}, "
        f"required={body.required}, type={type_src})"
    )


def _response_spec(response: ir.Response, runtime_types: TypeRenderer) -> str:
    type_src = f"lambda: {runtime_types.render(response.type)}" if response.type is not None else "None"
    error = f"lambda: _errors.{response.error_py_name}" if response.error_py_name else "None"
    return (
        f"_http.ResponseSpec(status={literal(response.status)}, kind={literal(response.kind.value)}, "
        f"media_type={literal(response.media_type)}, type={type_src}, error={error})"
    )


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def _policy(op: ir.Operation) -> str:
    """``_http.OperationPolicy(...)`` for what the spec says beyond the defaults, or ``""``."""
    args = []
    if op.idempotent and op.method not in _SAFE_METHODS:
        args.append("idempotent=True")
    if op.idempotency_header:
        args.append(f"idempotency_header={literal(op.idempotency_header)}")
    if op.timeout is not None:
        args.append(f"timeout={op.timeout!r}")
    if op.retry is not None:
        retry = _settings("_http.RetryPolicy", op.retry, ("max_attempts", "base_delay", "max_delay"))
        args.append(f"retry={retry}")
    if op.circuit_breaker is not None:
        names = ("failure_rate", "window", "min_calls", "open_seconds", "half_open_probes")
        args.append(f"circuit_breaker={_settings('_http.CircuitBreakerPolicy', op.circuit_breaker, names)}")
    return f"_http.OperationPolicy({', '.join(args)})" if args else ""


def _settings(constructor: str, spec: ir.RetrySpec | ir.CircuitBreakerSpec, names: tuple[str, ...]) -> str:
    if not spec.enabled:
        return "None"  # switched off by the spec
    values = [f"{name}={getattr(spec, name)!r}" for name in names if getattr(spec, name) is not None]
    return f"{constructor}({', '.join(values)})"


def _security(security: tuple[ir.SecurityRequirement, ...]) -> str:
    if not security:
        return "()"
    alternatives = ", ".join("(" + "".join(f"{literal(name)}, " for name in req).rstrip(" ") + ")" for req in security)
    return f"({alternatives},)"


def _security_scheme(s: ir.SecurityScheme) -> str:
    args = [f"name={literal(s.name)}", f"py_name={literal(s.py_name)}", f"kind={literal(s.kind.value)}"]
    if s.scheme is not None:
        args.append(f"scheme={literal(s.scheme)}")
    if s.location is not None:
        args.append(f"location={literal(s.location.value)}")
    if s.param_name is not None:
        args.append(f"param_name={literal(s.param_name)}")
    return f"_http.SecurityScheme({', '.join(args)})"


def _credential_annotation(s: ir.SecurityScheme) -> str:
    if s.kind is ir.SecurityKind.HTTP and s.scheme == "basic":
        return "tuple[str, str] | None"
    return "str | None"


def _error(op: ir.Operation, response: ir.Response, annotations: TypeRenderer) -> ErrorView:
    body = ""
    if response.kind is ir.BodyKind.JSON and response.type is not None:
        body = annotations.render(response.type)
    elif response.kind is ir.BodyKind.TEXT:
        body = "str"
    what = "any status it does not otherwise document" if response.status == "default" else f"status {response.status}"
    doc = f"Raised by ``{op.py_name}`` for {what}."
    if response.doc:
        doc += f"\n\n{response.doc}"
    return ErrorView(name=response.error_py_name, body=body, doc_lines=docstring_lines(doc))


def _operation_doc(op: ir.Operation) -> list[str]:
    parts = [p for p in (op.summary, op.doc) if p]
    text = "\n\n".join(dict.fromkeys(parts)) or f"{op.method} {op.path}"
    documented = [p for p in op.parameters if p.doc or p.deprecated]
    if documented:
        text += "\n\nArgs:"
        for p in documented:
            line = " ".join(p.doc.split()) if p.doc else ""
            if p.deprecated:
                line = f"(deprecated) {line}".strip()
            text += f"\n    {p.py_name}: {line}"
    if op.deprecated:
        text += "\n\nDeprecated: this operation may be removed in a future version of the API."
    return docstring_lines(text)
