"""The naming pass for APIs read from ``.proto`` files.

Message, enum and field names are protoc's (its Python classes carry them as they
are), so only what wiregen itself adds is named here: per service the base of its
class names (``<S>Client``, ``Async<S>Client``, ``<S>Servicer``) and its module,
per RPC the snake_case method name, and the Python module path of every proto
package and file. All of it goes through :mod:`wiregen.passes.identifiers`.
"""

from __future__ import annotations

import keyword
from collections import defaultdict
from dataclasses import replace

from wiregen.ir import model as ir
from wiregen.passes.identifiers import CLASS_RESERVED, Scope, pascal, snake

# Attributes and keywords of the generated clients and servicers, which RPC methods must not shadow.
METHOD_RESERVED = frozenset(
    {
        "self", "channel", "target", "close", "aclose", "with_options", "timeout", "retry",
        "circuit_breaker", "fallbacks", "metadata", "last_call", "add_to_server", "service_name",
        "request", "requests", "context", "wait_for_ready", "compression", "credentials", "options",
    }
)
SERVICE_SUFFIXES = ("Client", "Servicer")


def module_part(raw: str) -> str:
    """One component of a module path: protoc's (``-`` becomes ``_``), never a keyword."""
    part = raw.replace("-", "_")
    if not part.isidentifier() or not part.isascii():
        part = snake(part, fallback="m")
    if keyword.iskeyword(part) or keyword.issoftkeyword(part):
        part += "_"
    return part


def package_parts(package: str) -> tuple[str, ...]:
    """``a.b.v1`` -> ``("a", "b", "v1")``: where the package's public module lives."""
    return tuple(module_part(p) for p in package.split(".") if p)


def pb2_parts(proto_file: str) -> tuple[str, ...]:
    """``a/v1/x-y.proto`` -> ``("a", "v1", "x_y_pb2")`` (below ``_pb``)."""
    stem = proto_file[: -len(".proto")] if proto_file.endswith(".proto") else proto_file
    parts = [module_part(p) for p in stem.split("/") if p]
    parts[-1] = module_part(stem.rsplit("/", 1)[-1].replace("-", "_") + "_pb2")
    return tuple(parts)


def name_api(api: ir.Api) -> ir.Api:
    by_package: dict[str, list[int]] = defaultdict(list)
    for index, service in enumerate(api.services):
        by_package[service.package].append(index)
    taken: dict[str, set[str]] = {}
    for package in by_package:
        taken[package] = {name.lower() for name in CLASS_RESERVED}
    for definition in api.types:
        names = taken.get(_package_of(definition))
        if names is not None and "." not in definition.name:
            names.add(definition.name.lower())
    named = list(api.services)
    for package, indexes in by_package.items():
        modules = Scope({"_pb", "_runtime"})
        for index in indexes:
            service = named[index]
            simple = service.name.rsplit(".", 1)[-1]
            class_name = _claim_class_base(taken[package], pascal(simple, fallback="Service"))
            methods = Scope(METHOD_RESERVED)
            operations = tuple(
                replace(op, py_name=methods.claim(snake(op.id.rsplit(".", 1)[-1], fallback="rpc")))
                for op in service.operations
            )
            named[index] = replace(
                service,
                py_name=modules.claim(snake(simple, fallback="service")),
                class_name=class_name,
                operations=operations,
            )
    return replace(api, services=tuple(named))


def _package_of(definition: ir.TypeDef) -> str:
    full = definition.id.lstrip(".")
    return full[: -len(definition.name) - 1] if full != definition.name else ""


def _claim_class_base(taken: set[str], base: str) -> str:
    """A base ``B`` such that ``BClient``, ``AsyncBClient`` and ``BServicer`` are all free."""
    candidate = base
    counter = 2
    while any(name.lower() in taken for name in _class_names(candidate)):
        candidate = f"{base}{counter}"
        counter += 1
    taken.update(name.lower() for name in _class_names(candidate))
    return candidate


def _class_names(base: str) -> tuple[str, ...]:
    return (f"{base}Client", f"Async{base}Client", f"{base}Servicer")
