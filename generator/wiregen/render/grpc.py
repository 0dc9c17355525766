"""The ``grpc`` target: view models of every file of a package built from ``.proto`` files.

Layout for ``--package PKG`` (``a/v1/x.proto`` declaring ``package a.v1;``)::

    PKG/__init__.py               policy classes and resilience errors
    PKG/_pb/a/v1/x_pb2.py         protoc's module, imports made package-relative
    PKG/_pb/a/v1/x_pb2.pyi        our stub for it (strict-clean, unlike protoc's)
    PKG/a/v1/__init__.py          the public module: messages, enums, clients, servicers
    PKG/a/v1/_grpc/<service>.py   <S>Client, Async<S>Client, <S>Servicer
    PKG/service_config.json       gRPC service config matching the runtime's defaults
    PKG/_runtime/                 the part of wiregen's runtime gRPC needs

Files whose ``_pb2`` ships with the protobuf runtime (the well-known types) are
imported from ``google.protobuf``, never copied.
"""

from __future__ import annotations

import json
import keyword
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wiregen.frontends.proto_naming import package_parts, pb2_parts
from wiregen.ir import model as ir
from wiregen.passes.identifiers import Scope
from wiregen.render.environment import render
from wiregen.render.escape import docstring_lines, literal
from wiregen.render.imports import from_import, import_block, sort_all

PROTO_FILES = "proto.files"
PB = "_pb"
# What ``PKG`` itself exports from the runtime (configuration and errors).
ROOT_EXPORTS: dict[str, tuple[str, ...]] = {
    "policy": ("BulkheadPolicy", "CircuitBreakerPolicy", "RetryBudget", "RetryPolicy"),
    "resilience_errors": ("BulkheadFullError", "CircuitOpenError", "DeadlineExceededError", "ResilienceError"),
    "grpc_client": ("CallInfo",),
    "grpc_server": ("HealthService",),
}
_KINDS = {
    (False, False): "UNARY_UNARY",
    (False, True): "UNARY_STREAM",
    (True, False): "STREAM_UNARY",
    (True, True): "STREAM_STREAM",
}
_SCALAR_PY = {"string": "builtins.str", "boolean": "builtins.bool", "integer": "builtins.int", "number": "builtins.float"}
_BUILTIN_NAMES = frozenset({"int", "str", "bytes", "float", "bool"})
_WKT_INIT_EXTRA = {".google.protobuf.Timestamp": "_datetime.datetime", ".google.protobuf.Duration": "_datetime.timedelta"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtoFile:
    name: str
    package: str
    dependencies: tuple[str, ...]
    runtime_provided: bool
    extensions: tuple[str, ...]


def proto_files(api: ir.Api) -> list[ProtoFile]:
    for key, value in api.extensions:
        if key == PROTO_FILES and isinstance(value, list):
            return [
                ProtoFile(
                    name=entry["name"],
                    package=entry["package"],
                    dependencies=tuple(entry["dependencies"]),
                    runtime_provided=bool(entry["runtime_provided"]),
                    extensions=tuple(e["name"] for e in entry["extensions"]),
                )
                for entry in value
            ]
    return []


def module_of(package: str, parts: Sequence[str]) -> str:
    return ".".join((package, *parts))


def relative(source: Sequence[str], target: Sequence[str]) -> tuple[str, str]:
    """``from X import Y`` parts that import module ``target`` from module ``source``
    (both as paths of module names below the package root)."""
    here = list(source[:-1])
    there = list(target[:-1])
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    dots = "." * (len(here) - common + 1)
    return dots + ".".join(there[common:]), target[-1]


# ---------------------------------------------------------------------- pb2


_DEP_IMPORT = re.compile(r"^(?:from (?P<module>[\w.]+) import (?P<name>\w+)|import (?P<plain>\w+)) as (?P<alias>\w+)$")
_STAR_IMPORT = re.compile(r"^from (?P<module>[\w.]+) import \*$")
# protoc imports a module whose path holds a Python keyword (``a/class/x.proto``) this way.
_DYNAMIC_IMPORT = re.compile(r"^(?P<alias>\w+) = importlib\.import_module\('(?P<module>[\w.]+)'\)$")
_BUILDERS = ("_builder.BuildTopDescriptorsAndMessages(", "_builder.BuildServices(")


def protoc_module_name(proto: str) -> str:
    """The module name protoc's generator uses for a file (``a/v1/x.proto`` -> ``a.v1.x_pb2``)."""
    return proto[: -len(".proto")].replace("-", "_").replace("/", ".") + "_pb2"


def pb2_module(text: str, proto: ProtoFile, files: Mapping[str, ProtoFile], package: str, head: str) -> str:
    """protoc's ``_pb2.py`` for ``proto``, laid out to live at ``PKG/_pb/...``.

    Dependencies become package-relative imports (the well-known types keep importing
    from ``google.protobuf``), imports are sorted the way linters want, and the module
    name protoc bakes in becomes the real one. protoc's statements stay as they are.
    """
    own = (PB, *pb2_parts(proto.name))
    by_module = {protoc_module_name(name): name for name in proto.dependencies}
    protoc_name = repr(protoc_module_name(proto.name))
    imports: list[str] = []
    local: list[str] = []
    aliases: list[str] = []
    body: list[str] = []
    # protoc's layout is fixed: comments and its docstring at column 0, one import per
    # line, everything else statements (multi-line ones indented or closing with ")").
    for line in text.split("\n"):
        if line.startswith("  "):  # most lines: below the descriptor guard
            body.append(line)
            continue
        if not line or line.startswith("#") or line.startswith('"""') or line == "import importlib":
            continue
        dynamic = _DYNAMIC_IMPORT.match(line) if "importlib" in line else None
        if dynamic is not None:
            module, _, name = dynamic["module"].rpartition(".")
            line = f"from {module} import {name} as {dynamic['alias']}" if module else f"import {name} as {dynamic['alias']}"
        if line.startswith(("from ", "import ")):
            rewritten = _rewrite_import(line, by_module, files, own)
            (local if rewritten.startswith("from .") else imports).append(rewritten)
            found = _DEP_IMPORT.match(line)
            if found is not None and found["alias"].endswith("__pb2"):
                aliases.append(found["alias"])
            continue
        if line.startswith(_BUILDERS):
            line = line.replace(protoc_name, repr(module_of(package, own)))
        body.append(line)
    # One line, whatever the file is called: the emit check takes a protoc module's
    # docstring on a single line only.
    doc = f'"""Protocol buffer classes of {" ".join(docstring_lines(proto.name))} (protoc\'s Python generator)."""'
    parts = [head, doc, "", *_import_block(imports + local), ""]
    if aliases:
        # Imported for their side effect: their files must be in the pool before this one.
        parts.append(f"_DEPENDENCIES = ({', '.join(aliases)},)")
    parts.extend(body)
    return "\n".join(parts) + "\n"


def _rewrite_import(statement: str, by_module: Mapping[str, str], files: Mapping[str, ProtoFile], own: Sequence[str]) -> str:
    found = _DEP_IMPORT.match(statement)
    if found is not None:
        module = found["plain"] if found["plain"] else f"{found['module']}.{found['name']}"
        proto = by_module.get(module)
        if proto is None or files[proto].runtime_provided:
            return statement
        where, name = relative(own, (PB, *pb2_parts(proto)))
        return f"from {where} import {name} as {found['alias']}"
    star = _STAR_IMPORT.match(statement)
    if star is not None:
        proto = by_module.get(star["module"])
        if proto is not None and not files[proto].runtime_provided:
            where, name = relative(own, (PB, *pb2_parts(proto)))
            return f"from {where}.{name} import *" if not where.endswith(".") else f"from {where}{name} import *"
    return statement


_LINE_LENGTH = 88
_DIGITS = re.compile(r"(\d+)")


def _import_block(lines: Iterable[str]) -> list[str]:
    """Like :func:`~wiregen.render.imports.import_block`, with relative imports ordered
    the way isort does (furthest first) and long single imports wrapped as it would."""
    unique = set(lines)
    result = import_block(line for line in unique if not line.startswith("from ."))
    local = sorted((line for line in unique if line.startswith("from .")), key=_relative_key)
    if local and result:
        result.append("")
    result.extend(local)
    return [_wrapped(line) for line in result]


def _relative_key(line: str) -> tuple[int, list[object], list[object]]:
    module = line.split()[1]
    rest = module.lstrip(".")
    imported = line.partition(" import ")[2]
    return (len(rest) - len(module), _natural(rest.lower()), _natural(imported.lower()))


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(text)]


def _wrapped(line: str) -> str:
    if len(line) <= _LINE_LENGTH or "\n" in line or not line.startswith("from "):
        return line
    head, _, imported = line.partition(" import ")
    return f"{head} import (\n    {imported},\n)"


# ---------------------------------------------------------------------- pyi


@dataclass(slots=True)
class _Imports:
    """Module aliases a generated module needs, named uniquely."""

    own: tuple[str, ...]
    package: str
    lines: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)

    def pb2(self, proto: ProtoFile) -> str:
        alias = self.aliases.get(proto.name)
        if alias is not None:
            return alias
        parts = pb2_parts(proto.name)
        alias = self.scope.claim("_" + parts[-1])
        self.aliases[proto.name] = alias
        if proto.runtime_provided:
            base = proto.name[: -len(".proto")].replace("/", ".")
            module, _, name = base.rpartition(".")
            self.lines.add(f"from {module} import {name}_pb2 as {alias}")
        else:
            where, name = relative(self.own, (PB, *parts))
            self.lines.add(f"from {where} import {name} as {alias}")
        return alias

    def add(self, line: str) -> None:
        self.lines.add(line)


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    constant: str
    attribute: str
    parameter: str


@dataclass(frozen=True, slots=True)
class EnumView:
    name: str
    qualified: str
    values: list[str]
    int_name: str
    """``int``, or ``builtins.int`` where a member of the enclosing scope shadows it."""


@dataclass(frozen=True, slots=True)
class MessageView:
    name: str
    enums: list[EnumView]
    nested: list[MessageView]
    fields: list[FieldView]
    int_name: str


@dataclass(frozen=True, slots=True)
class StubView:
    imports: list[str]
    messages: list[MessageView]
    enums: list[EnumView]
    extensions: list[str]
    int_name: str


class _StubBuilder:
    def __init__(self, proto: ProtoFile, files: Mapping[str, ProtoFile], definitions: Mapping[str, ir.TypeDef], package: str) -> None:
        self.proto = proto
        self.files = files
        self.definitions = definitions
        self.imports = _Imports(own=(PB, *pb2_parts(proto.name)), package=package)
        self.imports.add("from google.protobuf import descriptor as _descriptor")
        self.imports.scope.claim("builtins")
        self.module_shadowed = False

    def build(self, types: Sequence[ir.TypeDef]) -> StubView:
        children: dict[str, list[ir.TypeDef]] = defaultdict(list)
        for definition in types:
            parent = definition.name.rpartition(".")[0]
            children[parent].append(definition)
        self.module_shadowed = any(d.name in _BUILTIN_NAMES for d in children[""])
        messages = [self._message(d, children) for d in children[""] if isinstance(d, ir.ObjectDef)]
        enums = [self._enum(d, self.module_shadowed) for d in children[""] if isinstance(d, ir.EnumDef)]
        extensions = [name for name in self.proto.extensions if _usable(name)]
        if messages:
            self.imports.add("from google.protobuf import message as _message")
        return StubView(
            imports=_import_block(self.imports.lines),
            messages=messages,
            enums=enums,
            extensions=extensions,
            int_name=self._int(self.module_shadowed and bool(extensions)),
        )

    def _int(self, shadowed: bool) -> str:
        """How to spell ``int`` where a class or module might define its own ``int``."""
        if shadowed:
            self.imports.add("import builtins")
            return "builtins.int"
        return "int"

    def _enum(self, definition: ir.EnumDef, shadowed: bool) -> EnumView:
        self.imports.add("from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper")
        self.imports.add("from typing import ClassVar as _ClassVar")
        values = [str(m.name) for m in definition.members if _usable(str(m.name))]
        return EnumView(
            name=definition.name.rpartition(".")[2],
            qualified=definition.name,
            values=values,
            int_name=self._int(shadowed),
        )

    def _message(self, definition: ir.ObjectDef, children: Mapping[str, list[ir.TypeDef]]) -> MessageView:
        nested = children.get(definition.name, [])
        # Names of the class body shadow builtins in its annotations (a field called
        # `bytes`, say): only then are they spelled ``builtins.bytes``.
        shadowed = (
            self.module_shadowed
            or any(f.name in _BUILTIN_NAMES for f in definition.fields)
            or any(d.name.rpartition(".")[2] in _BUILTIN_NAMES for d in nested)
        )
        fields = []
        for f in definition.fields:
            if not _usable(f.name):
                continue
            self.imports.add("from typing import ClassVar as _ClassVar")
            attribute, parameter = self._field_types(f.type)
            if not shadowed:
                attribute, parameter = attribute.replace("builtins.", ""), parameter.replace("builtins.", "")
            fields.append(FieldView(name=f.name, constant=f"{f.name.upper()}_FIELD_NUMBER", attribute=attribute, parameter=parameter))
        return MessageView(
            name=definition.name.rpartition(".")[2],
            enums=[self._enum(d, shadowed) for d in nested if isinstance(d, ir.EnumDef)],
            nested=[self._message(d, children) for d in nested if isinstance(d, ir.ObjectDef)],
            fields=fields,
            int_name=self._int(shadowed and bool(fields)),
        )

    def _ref(self, target: str) -> str:
        definition = self.definitions[target]
        source = definition.source_file if isinstance(definition, ir.ObjectDef | ir.EnumDef) else ""
        if source == self.proto.name:
            return definition.name
        return f"{self.imports.pb2(self.files[source])}.{definition.name}"

    def _single(self, expr: ir.TypeExpr) -> tuple[str, str, str]:
        """(attribute type, accepted-in-constructor type, kind: scalar/enum/message)."""
        if isinstance(expr, ir.Primitive):
            py = "builtins.bytes" if expr.format == "bytes" else _SCALAR_PY[expr.kind.value]
            return py, py, "scalar"
        if isinstance(expr, ir.Ref):
            name = self._ref(expr.target)
            if isinstance(self.definitions[expr.target], ir.EnumDef):
                return name, f"{name} | builtins.str", "enum"
            accepted = f"{name} | _Mapping[builtins.str, _Any]"
            extra = _WKT_INIT_EXTRA.get(expr.target)
            if extra is not None:
                self.imports.add("import datetime as _datetime")
                accepted = f"{extra} | {accepted}"
            return name, accepted, "message"
        raise TypeError(f"unexpected protobuf field type {expr!r}")

    def _field_types(self, expr: ir.TypeExpr) -> tuple[str, str]:
        if isinstance(expr, ir.Map):
            self.imports.add("from google.protobuf.internal import containers as _containers")
            self.imports.add("from collections.abc import Mapping as _Mapping")
            key = self._single(expr.keys)[0] if expr.keys is not None else "builtins.str"
            value, _, kind = self._single(expr.values)
            container = "MessageMap" if kind == "message" else "ScalarMap"
            return f"_containers.{container}[{key}, {value}]", f"_Mapping[{key}, {value}] | None"
        if isinstance(expr, ir.Array):
            self.imports.add("from google.protobuf.internal import containers as _containers")
            self.imports.add("from collections.abc import Iterable as _Iterable")
            item, accepted, kind = self._single(expr.items)
            self._accepting(kind)
            container = "RepeatedCompositeFieldContainer" if kind == "message" else "RepeatedScalarFieldContainer"
            return f"_containers.{container}[{item}]", f"_Iterable[{accepted}] | None"
        attribute, accepted, kind = self._single(expr)
        self._accepting(kind)
        return attribute, f"{accepted} | None"

    def _accepting(self, kind: str) -> None:
        """Constructors take a message or a mapping of its fields."""
        if kind == "message":
            self.imports.add("from collections.abc import Mapping as _Mapping")
            self.imports.add("from typing import Any as _Any")


def _usable(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


# ------------------------------------------------------------- services


@dataclass(frozen=True, slots=True)
class RpcView:
    py_name: str
    name: str
    path: str
    constant: str
    kind: str
    request: str
    response: str
    idempotent: bool
    deprecated: bool
    client_streaming: bool
    server_streaming: bool
    doc_lines: list[str]


@dataclass(frozen=True, slots=True)
class ServiceView:
    name: str
    full_name: str
    py_name: str
    client: str
    async_client: str
    servicer: str
    exports: list[str]
    module_doc_lines: list[str]
    client_doc_lines: list[str]
    async_client_doc_lines: list[str]
    servicer_doc_lines: list[str]
    imports: list[str]
    rpcs: list[RpcView]


@dataclass(frozen=True, slots=True)
class PackageView:
    package: str
    version: str
    doc_lines: list[str]
    imports: list[str]
    exports: list[str]
    import_lines: list[str]
    """The imports before grouping, and the names they bring (for merging into ``PKG``)."""
    names: list[str]


def service_view(service: ir.Service, files: Mapping[str, ProtoFile], definitions: Mapping[str, ir.TypeDef], package: str) -> ServiceView:
    own = (*package_parts(service.package), "_grpc", service.py_name)
    imports = _Imports(own=own, package=package)
    for line in (
        "import grpc",
        "import grpc.aio",
        f"from {relative(own, ('_runtime', 'grpc_client'))[0]} import grpc_client as _client",
        f"from {relative(own, ('_runtime', 'grpc_server'))[0]} import grpc_server as _server",
    ):
        imports.add(line)
    abc: set[str] = set()
    for op in service.operations:
        if op.client_streaming:
            abc.update(("AsyncIterable", "AsyncIterator", "Iterable"))
        if op.server_streaming:
            abc.update(("AsyncIterator", "Iterator"))
    if abc:
        imports.add(from_import("collections.abc", abc))
    constants = Scope()
    rpcs = []
    for op in service.operations:
        request = _message_ref(op.body.type if op.body else None, files, definitions, imports)
        response = _message_ref(op.responses[0].type if op.responses else None, files, definitions, imports)
        doc = op.doc
        if op.deprecated:
            doc = f"{doc}\n\nDeprecated: this RPC is marked deprecated in the .proto file.".strip()
        rpcs.append(
            RpcView(
                py_name=op.py_name,
                name=op.path.rsplit("/", 1)[-1],
                path=op.path,
                constant=constants.claim("_" + op.py_name.upper()),
                kind=_KINDS[(op.client_streaming, op.server_streaming)],
                request=request,
                response=response,
                idempotent=op.idempotent,
                deprecated=op.deprecated,
                client_streaming=op.client_streaming,
                server_streaming=op.server_streaming,
                doc_lines=docstring_lines(doc or f"The ``{op.path.rsplit('/', 1)[-1]}`` RPC."),
            )
        )
    base = service.class_name
    doc = service.doc or ""
    if service.deprecated:
        doc = f"{doc}\n\nDeprecated: this service is marked deprecated in the .proto file.".strip()
    what = f"``{service.name}``"
    return ServiceView(
        name=service.name.rsplit(".", 1)[-1],
        full_name=literal(service.name),
        py_name=service.py_name,
        client=f"{base}Client",
        async_client=f"Async{base}Client",
        servicer=f"{base}Servicer",
        exports=sort_all([f"{base}Client", f"Async{base}Client", f"{base}Servicer"]),
        module_doc_lines=docstring_lines(f"Clients and servicer of the gRPC service {what}.\n\n{doc}".strip()),
        client_doc_lines=docstring_lines(f"Sync client of {what}.\n\n{doc}".strip()),
        async_client_doc_lines=docstring_lines(f"``grpc.aio`` client of {what}.\n\n{doc}".strip()),
        servicer_doc_lines=docstring_lines(
            f"Servicer of {what}: override the RPCs you implement; the others answer UNIMPLEMENTED.\n\n{doc}".strip()
        ),
        imports=_import_block(imports.lines),
        rpcs=rpcs,
    )


def _message_ref(expr: ir.TypeExpr | None, files: Mapping[str, ProtoFile], definitions: Mapping[str, ir.TypeDef], imports: _Imports) -> str:
    if not isinstance(expr, ir.Ref):
        raise TypeError("an RPC's request and response are messages")
    definition = definitions[expr.target]
    source = definition.source_file if isinstance(definition, ir.ObjectDef | ir.EnumDef) else ""
    return f"{imports.pb2(files[source])}.{definition.name}"


# -------------------------------------------------------------- the package


def render_grpc(
    api: ir.Api,
    *,
    package: str,
    head: str,
    search_path: Sequence[Path],
    python_sources: Mapping[str, str],
    runtime_files: Mapping[str, str],
) -> dict[str, str]:
    root = package.replace(".", "/")
    files_list = proto_files(api)
    files = {f.name: f for f in files_list}
    definitions = {d.id: d for d in api.types}
    out: dict[str, str] = {}
    packages: set[tuple[str, ...]] = set()

    by_file: dict[str, list[ir.TypeDef]] = defaultdict(list)
    for definition in api.types:
        if isinstance(definition, ir.ObjectDef | ir.EnumDef):
            by_file[definition.source_file].append(definition)

    pb2: dict[str, ProtoFile] = {}
    for proto in files_list:
        if proto.runtime_provided:
            continue
        parts = (PB, *pb2_parts(proto.name))
        packages.update(parts[:i] for i in range(1, len(parts)))
        pb2[f"{root}/{'/'.join(parts)}.py"] = proto
        out[f"{root}/{'/'.join(parts)}.py"] = ""  # protoc's module, laid out last (below)
        stub = _StubBuilder(proto, files, definitions, package).build(by_file.get(proto.name, []))
        out[f"{root}/{'/'.join(parts)}.pyi"] = render(search_path, "grpc/stub.pyi.j2", header=head, stub=stub)

    services_by_package: dict[str, list[ir.Service]] = defaultdict(list)
    for service in api.services:
        services_by_package[service.package].append(service)

    public: dict[str, list[ProtoFile]] = defaultdict(list)
    for proto in files_list:
        if not proto.runtime_provided:
            public[proto.package].append(proto)
    # Files without a package statement: their classes are exported by PKG itself.
    root_lines = [from_import(f"._runtime.{module}", names) for module, names in ROOT_EXPORTS.items()]
    root_names = [n for names in ROOT_EXPORTS.values() for n in names]
    for proto_package in sorted(set(public) | set(services_by_package)):
        parts = package_parts(proto_package)
        packages.update(parts[:i] for i in range(1, len(parts)))
        view, service_files = _package_module(proto_package, public[proto_package], services_by_package.get(proto_package, []), by_file, files, definitions, package, search_path, head)
        where = "/".join((root, *parts))
        for rel, text in service_files.items():
            out[f"{where}/{rel}"] = text
        if parts:
            out[f"{where}/__init__.py"] = render(search_path, "grpc/package.py.j2", header=head, module=view)
        else:
            root_lines.extend(view.import_lines)
            root_names.extend(view.names)

    for parts in sorted(packages):
        path = f"{root}/{'/'.join(parts)}/__init__.py"
        if path not in out:
            label = ".".join(p for p in parts if p != PB)
            what = "protoc's modules" if parts[0] == PB else "protobuf packages"
            out[path] = f'{head}\n"""{what.capitalize()} below ``{label or package}``."""\n'

    out[f"{root}/__init__.py"] = render(
        search_path,
        "grpc/root.py.j2",
        header=head,
        doc_lines=docstring_lines(f"{api.name}: gRPC clients and servicers generated from .proto files."),
        imports=_import_block(root_lines),
        exports=sort_all(root_names),
    )
    out[f"{root}/py.typed"] = ""
    out[f"{root}/service_config.json"] = service_config(api)
    out.update({f"{root}/_runtime/{rel}": text for rel, text in runtime_files.items()})
    # Last: protoc's modules may still be in the making (frontends.protoc.PythonJob).
    for path, proto in pb2.items():
        out[path] = pb2_module(python_sources[proto.name], proto, files, package, head)
    return out


def _package_module(
    proto_package: str,
    protos: list[ProtoFile],
    services: list[ir.Service],
    by_file: Mapping[str, list[ir.TypeDef]],
    files: Mapping[str, ProtoFile],
    definitions: Mapping[str, ir.TypeDef],
    package: str,
    search_path: Sequence[Path],
    head: str,
) -> tuple[PackageView, dict[str, str]]:
    own = (*package_parts(proto_package), "__init__")
    lines: list[str] = []
    exports: list[str] = []
    for proto in protos:
        names = [d.name for d in by_file.get(proto.name, []) if "." not in d.name and _usable(d.name)]
        if names:
            where, name = relative(own, (PB, *pb2_parts(proto.name)))
            lines.append(from_import(f"{where}.{name}" if not where.endswith(".") else f"{where}{name}", names))
            exports.extend(names)
    service_files: dict[str, str] = {}
    if services:
        service_files["_grpc/__init__.py"] = f'{head}\n"""One module per service of ``{proto_package}``."""\n'
    for service in services:
        view = service_view(service, files, definitions, package)
        service_files[f"_grpc/{service.py_name}.py"] = render(search_path, "grpc/service.py.j2", header=head, service=view)
        names = [view.client, view.async_client, view.servicer]
        lines.append(from_import(f"._grpc.{service.py_name}", names))
        exports.extend(names)
    from wiregen.frontends.proto import major_version

    module = PackageView(
        package=literal(proto_package),
        version=literal(major_version(proto_package)),
        doc_lines=docstring_lines(f"Protobuf package ``{proto_package}``: messages, enums and services."),
        imports=_import_block(lines),
        exports=sort_all([*exports, "__proto_package__", "__api_version__"]),
        import_lines=lines,
        names=exports,
    )
    return module, service_files


def service_config(api: ir.Api) -> str:
    """The gRPC service config (A6 retries, throttling) equivalent to the runtime's defaults."""
    from wiregen.runtime.policy import DEFAULT_BUDGET, DEFAULT_RETRY, DEFAULT_TIMEOUT

    names = sorted({s.name for s in api.services})
    config: dict[str, object] = {
        "methodConfig": [
            {
                "name": [{"service": name} for name in names],
                "timeout": _duration(DEFAULT_TIMEOUT),
                "retryPolicy": {
                    "maxAttempts": min(DEFAULT_RETRY.max_attempts, 5),
                    "initialBackoff": _duration(DEFAULT_RETRY.base_delay),
                    "maxBackoff": _duration(DEFAULT_RETRY.max_delay),
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
        if names
        else [],
        "retryThrottling": {
            "maxTokens": DEFAULT_BUDGET.max_tokens,
            "tokenRatio": DEFAULT_BUDGET.token_ratio,
        },
    }
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def _duration(seconds: float) -> str:
    text = f"{seconds:.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def runtime_closure(available: Mapping[str, str], roots: Iterable[str]) -> list[str]:
    """The runtime modules ``roots`` need, following their relative imports."""
    wanted: list[str] = []
    pending = list(roots)
    pattern = re.compile(r"^\s*from \.(\w+) import", re.MULTILINE)
    while pending:
        name = pending.pop()
        if name in wanted or f"{name}.py" not in available:
            continue
        wanted.append(name)
        pending.extend(pattern.findall(available[f"{name}.py"]))
    return sorted(wanted)
