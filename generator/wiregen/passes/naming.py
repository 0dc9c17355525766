"""The naming pass: gives every IR node that becomes an identifier its ``py_name``.

Runs once, after the frontend; returns a new :class:`~wiregen.ir.model.Api`. Scopes
mirror where the names end up: one module-wide scope for classes, one per class for
fields, one per service for methods, one per method for parameters.
"""

from __future__ import annotations

import http
from dataclasses import replace

from wiregen.ir import model as ir
from wiregen.passes.identifiers import (
    CLASS_RESERVED,
    PYDANTIC_RESERVED,
    Scope,
    pascal,
    snake,
    upper_snake,
)

# Attributes and constructor keywords of the generated Client/AsyncClient.
CLIENT_RESERVED = frozenset(
    {
        "base_url", "headers", "timeout", "http_client", "retry", "circuit_breaker", "bulkhead",
        "fallbacks", "call", "close", "aclose", "last_response", "with_options", "self", "transport",
        "credentials", "user_agent", "security_schemes", "default", "on_event", "circuit_states",
    }
)
_PARAM_RESERVED = frozenset({"self", "body", "cls"})


def name_api(api: ir.Api) -> ir.Api:
    classes = Scope(CLASS_RESERVED)
    types = tuple(_name_type(t, classes) for t in api.types)
    schemes = _name_security_schemes(api.security_schemes)
    services = _name_errors(_name_services(api.services))
    return replace(api, types=types, security_schemes=schemes, services=services)


# ------------------------------------------------------------------------ types


def _name_type(definition: ir.TypeDef, classes: Scope) -> ir.TypeDef:
    py_name = classes.claim(pascal(definition.name, fallback="Model"))
    if isinstance(definition, ir.ObjectDef):
        fields = Scope(PYDANTIC_RESERVED)
        named = tuple(replace(f, py_name=fields.claim(field_name(f.name))) for f in definition.fields)
        return replace(definition, py_name=py_name, fields=named)
    if isinstance(definition, ir.EnumDef):
        members = Scope({"name", "value"})
        named_members = tuple(replace(m, py_name=members.claim(enum_member_name(m.value))) for m in definition.members)
        return replace(definition, py_name=py_name, members=named_members)
    return replace(definition, py_name=py_name)


def field_name(raw: str) -> str:
    name = snake(raw, fallback="field")
    if name.startswith("model_"):
        name = "field_" + name
    return name


def enum_member_name(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        text = str(value).replace("-", "minus ").replace(".", " point ")
        return upper_snake(f"value {text}", fallback="VALUE")
    return upper_snake(value, fallback="EMPTY" if value == "" else "VALUE")


# ------------------------------------------------------------------- operations


def _name_services(services: tuple[ir.Service, ...]) -> tuple[ir.Service, ...]:
    attributes = Scope(CLIENT_RESERVED)
    class_names = Scope(CLASS_RESERVED)
    named: list[ir.Service] = []
    # Tagged services become client attributes; untagged operations live on the client
    # itself, so their names share the client's attribute scope.
    for service in sorted(services, key=lambda s: s.name == ""):
        if service.name:
            py_name = attributes.claim(snake(service.name, fallback="api"))
            class_name = class_names.claim(pascal(service.name, fallback="Api"))
            methods = Scope(_PARAM_RESERVED)
        else:
            py_name = "default"
            class_name = class_names.claim("Default")
            methods = attributes
        operations = tuple(_name_operation(op, methods) for op in service.operations)
        named.append(replace(service, py_name=py_name, class_name=class_name, operations=operations))
    order = {s.name: i for i, s in enumerate(services)}
    return tuple(sorted(named, key=lambda s: order[s.name]))


def _name_operation(op: ir.Operation, methods: Scope) -> ir.Operation:
    py_name = methods.claim(snake(op.id, fallback="op"))
    params = Scope(_PARAM_RESERVED)
    parameters = tuple(replace(p, py_name=params.claim(snake(p.name, fallback="param"))) for p in op.parameters)
    return replace(op, py_name=py_name, parameters=parameters)


def _name_errors(services: tuple[ir.Service, ...]) -> tuple[ir.Service, ...]:
    """One error class per documented non-success response, unique package-wide."""
    errors = Scope(CLASS_RESERVED)
    named = []
    for service in services:
        operations = []
        for op in service.operations:
            op_class = pascal(op.py_name, fallback="Op")
            responses = tuple(
                r if r.is_success else replace(r, error_py_name=errors.claim(f"{op_class}{_status_word(r.status)}Error"))
                for r in op.responses
            )
            operations.append(replace(op, responses=responses))
        named.append(replace(service, operations=tuple(operations)))
    return tuple(named)


def _status_word(status: str) -> str:
    if status == "default":
        return ""
    if status.endswith("XX"):
        return {"1": "Informational", "3": "Redirection", "4": "ClientError", "5": "ServerError"}.get(status[0], "Status" + status[0])
    try:
        phrase = http.HTTPStatus(int(status)).phrase
    except ValueError:
        return f"Status{status}"
    return pascal(phrase, fallback=f"Status{status}")


def _name_security_schemes(schemes: tuple[ir.SecurityScheme, ...]) -> tuple[ir.SecurityScheme, ...]:
    names = Scope(CLIENT_RESERVED)
    return tuple(replace(s, py_name=names.claim(snake(s.name, fallback="credential"))) for s in schemes)
