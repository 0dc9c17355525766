"""``.proto`` files -> IR, from protoc's ``FileDescriptorSet`` (with source info).

protoc (in-process, see :mod:`wiregen.frontends.protoc`) does all the parsing and
checking; this module only reads its descriptors. Every message and enum of the
closure becomes a type definition whose id is its full name (``.a.v1.Foo.Bar``) and
whose name is its path inside the file (``Foo.Bar``, which is also where protoc's
Python class lives). Map entry messages are not types of their own: a map field is a
:class:`~wiregen.ir.model.Map`. Services become IR services named by their full
name; each RPC is an operation ``POST /a.v1.S/Method`` with its streaming kinds.
Comments come from the source info and become docs; positions become spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

from wiregen.diagnostics import Diagnostic, SourceSpan
from wiregen.frontends import proto_naming
from wiregen.frontends.protoc import RUNTIME_PROVIDED, Compilation, compile_protos
from wiregen.ir import model as ir

_F = descriptor_pb2.FieldDescriptorProto
_MEDIA_TYPE = "application/grpc+proto"

_SCALARS: dict[int, ir.Primitive] = {
    _F.TYPE_DOUBLE: ir.Primitive(kind=ir.PrimitiveKind.NUMBER, format="double"),
    _F.TYPE_FLOAT: ir.Primitive(kind=ir.PrimitiveKind.NUMBER, format="float"),
    _F.TYPE_INT64: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="int64"),
    _F.TYPE_UINT64: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="uint64"),
    _F.TYPE_INT32: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="int32"),
    _F.TYPE_FIXED64: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="fixed64"),
    _F.TYPE_FIXED32: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="fixed32"),
    _F.TYPE_BOOL: ir.Primitive(kind=ir.PrimitiveKind.BOOLEAN),
    _F.TYPE_STRING: ir.Primitive(kind=ir.PrimitiveKind.STRING),
    _F.TYPE_BYTES: ir.Primitive(kind=ir.PrimitiveKind.STRING, format="bytes"),
    _F.TYPE_UINT32: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="uint32"),
    _F.TYPE_SFIXED32: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="sfixed32"),
    _F.TYPE_SFIXED64: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="sfixed64"),
    _F.TYPE_SINT32: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="sint32"),
    _F.TYPE_SINT64: ir.Primitive(kind=ir.PrimitiveKind.INTEGER, format="sint64"),
}

# Field numbers of descriptor.proto, as they appear in SourceCodeInfo paths.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE, _SERVICE_METHOD = 2, 2

PROTO_FILES = "proto.files"
"""``Api.extensions`` key: what the grpc target needs to know about each .proto file."""

_MAJOR = re.compile(r"^v(\d+)(?:(?:alpha|beta|p\d+alpha|p\d+beta)\d*)?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtoResult:
    api: ir.Api | None
    python: dict[str, str]
    """Import name of a .proto file -> protoc's ``_pb2.py`` for it."""
    diagnostics: tuple[Diagnostic, ...]
    inputs: tuple[Path, ...]


def build(
    specs: Sequence[Path], includes: Sequence[Path], *, display_base: Path, python: bool = True
) -> ProtoResult:
    """Compile ``specs`` and turn the descriptors into a named IR.

    ``python=False`` skips protoc's Python generator (``ProtoResult.python`` stays
    empty): what reading the IR alone needs, as ``wiregen diff`` does.
    """
    compiled = compile_protos(specs, includes, display_base=display_base, python=python)
    if not compiled.files:
        return ProtoResult(api=None, python={}, diagnostics=compiled.diagnostics, inputs=tuple(specs))
    api = build_ir(compiled)
    inputs = tuple(Path(p) for p in sorted(set(compiled.display.values())) if Path(p).is_file())
    return ProtoResult(api=api, python=compiled.python, diagnostics=compiled.diagnostics, inputs=inputs)


def build_ir(compiled: Compilation, *, only: frozenset[str] | None = None) -> ir.Api:
    """The named IR of a compilation.

    ``only`` limits the IR to the named top-level messages, enums and services (full
    names with a leading dot, nested types going with their top-level message); the
    file list stays complete. ``wiregen diff`` passes the declarations whose
    descriptors differ between two revisions: the others cannot differ.
    """
    return proto_naming.name_api(_Builder(compiled).api(only))


def major_version(package: str) -> str:
    """``v1`` for ``a.b.v1`` and ``v2`` for ``x.v2beta1``; empty when unversioned."""
    last = package.rsplit(".", 1)[-1]
    found = _MAJOR.match(last)
    return f"v{found.group(1)}" if found else ""


class _Source:
    """Comments and positions of one file, by descriptor path."""

    def __init__(
        self,
        proto: descriptor_pb2.FileDescriptorProto,
        display: str,
        roots: frozenset[tuple[int, int]] | None = None,
    ) -> None:
        self.display = display
        self._proto = proto
        self._roots = roots
        self._index: dict[tuple[int, ...], descriptor_pb2.SourceCodeInfo.Location] | None = None

    @property
    def _locations(self) -> dict[tuple[int, ...], descriptor_pb2.SourceCodeInfo.Location]:
        """Built on first use, and only under ``roots`` (top-level declarations) if given."""
        if self._index is None:
            # Declarations sit at even-length paths (pairs of field number and index); the
            # many odd-length ones (a field's name, number, type...) are never asked for.
            roots = self._roots
            self._index = {
                tuple(path): loc
                for loc in self._proto.source_code_info.location
                if not len(path := loc.path) % 2 and (roots is None or tuple(path[:2]) in roots)
            }
        return self._index

    def span(self, path: tuple[int, ...]) -> SourceSpan:
        pointer = "".join(f"/{p}" for p in path)
        loc = self._locations.get(path)
        if loc is None or len(loc.span) < 3:
            return SourceSpan(file=self.display, pointer=pointer)
        return SourceSpan(file=self.display, pointer=pointer, line=loc.span[0] + 1, col=loc.span[1] + 1)

    def doc(self, path: tuple[int, ...]) -> str:
        if len(path) % 2:
            return ""  # not a declaration (see _locations)
        loc = self._locations.get(path)
        if loc is None:
            return ""
        text = loc.leading_comments or loc.trailing_comments
        lines = [line[1:] if line.startswith(" ") else line for line in text.split("\n")]
        return "\n".join(lines).strip()


class _Builder:
    def __init__(self, compiled: Compilation) -> None:
        self._compiled = compiled
        self._map_entries: dict[str, descriptor_pb2.DescriptorProto] = {}
        for proto in compiled.files:
            for full, message, _ in _messages(proto):
                if message.options.map_entry:
                    self._map_entries[full] = message

    def api(self, only: frozenset[str] | None = None) -> ir.Api:
        compiled = self._compiled
        types: list[ir.TypeDef] = []
        services: list[ir.Service] = []
        for proto in compiled.files:
            roots = None if only is None else _wanted_roots(proto, only)
            if roots is not None and not roots:
                continue
            source = _Source(proto, compiled.display[proto.name], roots)
            types.extend(self._types(proto, source, only))
            services.extend(self._services(proto, source, only))
        first = next(f for f in compiled.files if f.name == compiled.targets[0])
        syntaxes = {(f.syntax or "proto2") for f in compiled.files if f.name in compiled.targets}
        return ir.Api(
            name=first.package or first.name,
            version=major_version(first.package),
            source_format=syntaxes.pop() if len(syntaxes) == 1 else "proto",
            doc=_Source(first, compiled.display[first.name]).doc((2,)),
            types=tuple(types),
            services=tuple(services),
            extensions=((PROTO_FILES, [self._file_info(f) for f in compiled.files]),),
            span=SourceSpan(file=compiled.display[first.name], line=1, col=1),
        )

    def _file_info(self, proto: descriptor_pb2.FileDescriptorProto) -> dict[str, object]:
        return {
            "name": proto.name,
            "package": proto.package,
            "syntax": proto.syntax or "proto2",
            "dependencies": list(proto.dependency),
            "public_dependencies": [proto.dependency[i] for i in proto.public_dependency],
            "runtime_provided": proto.name in RUNTIME_PROVIDED,
            "target": proto.name in self._compiled.targets,
            "extensions": [
                {"name": ext.name, "number": ext.number, "extendee": ext.extendee.lstrip(".")}
                for ext in proto.extension
            ],
            "deprecated": proto.options.deprecated,
        }

    # --------------------------------------------------------------- types

    def _types(
        self, proto: descriptor_pb2.FileDescriptorProto, source: _Source, only: frozenset[str] | None = None
    ) -> Iterator[ir.TypeDef]:
        prefix = f".{proto.package}" if proto.package else ""
        for full, message, path in _messages(proto):
            if message.options.map_entry:
                continue
            if only is not None and f"{prefix}.{proto.message_type[path[1]].name}" not in only:
                continue
            yield self._object(proto, source, full, message, path, prefix)
            for index, enum in enumerate(message.enum_type):
                yield _enum(proto, source, f"{full}.{enum.name}", enum, (*path, _MESSAGE_ENUM, index), prefix)
        for index, enum in enumerate(proto.enum_type):
            if only is None or f"{prefix}.{enum.name}" in only:
                yield _enum(proto, source, f"{prefix}.{enum.name}", enum, (_FILE_ENUM, index), prefix)

    def _object(
        self,
        proto: descriptor_pb2.FileDescriptorProto,
        source: _Source,
        full: str,
        message: descriptor_pb2.DescriptorProto,
        path: tuple[int, ...],
        prefix: str,
    ) -> ir.ObjectDef:
        proto3 = proto.syntax == "proto3"
        fields = []
        for index, field in enumerate(message.field):
            real_oneof = field.HasField("oneof_index") and not field.proto3_optional
            repeated = field.label == _F.LABEL_REPEATED
            singular_message = not repeated and field.type in (_F.TYPE_MESSAGE, _F.TYPE_GROUP)
            presence = not repeated and (field.proto3_optional or real_oneof or singular_message or not proto3)
            fields.append(
                ir.Field(
                    name=field.name,
                    py_name=field.name,
                    type=self._field_type(field),
                    required=field.label == _F.LABEL_REQUIRED,
                    deprecated=field.options.deprecated,
                    doc=source.doc((*path, _MESSAGE_FIELD, index)),
                    number=field.number,
                    oneof=message.oneof_decl[field.oneof_index].name if real_oneof else "",
                    presence=presence,
                    json_name=field.json_name,
                    span=source.span((*path, _MESSAGE_FIELD, index)),
                )
            )
        return ir.ObjectDef(
            id=full,
            name=full[len(prefix) + 1:],
            py_name=message.name,
            fields=tuple(fields),
            doc=source.doc(path),
            deprecated=message.options.deprecated,
            span=source.span(path),
            source_file=proto.name,
            # Descriptor ranges are end-exclusive; the IR's are inclusive, as written in .proto.
            reserved_numbers=tuple((r.start, r.end - 1) for r in message.reserved_range),
            reserved_names=tuple(message.reserved_name),
        )

    def _field_type(self, field: descriptor_pb2.FieldDescriptorProto) -> ir.TypeExpr:
        entry = self._map_entries.get(field.type_name) if field.type == _F.TYPE_MESSAGE else None
        if entry is not None and field.label == _F.LABEL_REPEATED:
            key, value = entry.field[0], entry.field[1]
            keys = _SCALARS[key.type]
            return ir.Map(
                values=self._single_type(value),
                keys=None if keys.kind is ir.PrimitiveKind.STRING else keys,
            )
        single = self._single_type(field)
        return ir.Array(items=single) if field.label == _F.LABEL_REPEATED else single

    @staticmethod
    def _single_type(field: descriptor_pb2.FieldDescriptorProto) -> ir.TypeExpr:
        if field.type in _SCALARS:
            return _SCALARS[field.type]
        return ir.Ref(target=field.type_name)

    # ------------------------------------------------------------ services

    def _services(
        self, proto: descriptor_pb2.FileDescriptorProto, source: _Source, only: frozenset[str] | None = None
    ) -> Iterator[ir.Service]:
        for index, service in enumerate(proto.service):
            full = f"{proto.package}.{service.name}" if proto.package else service.name
            if only is not None and f".{full}" not in only:
                continue
            operations = tuple(
                _operation(full, method, source, (_FILE_SERVICE, index, _SERVICE_METHOD, m))
                for m, method in enumerate(service.method)
            )
            yield ir.Service(
                name=full,
                package=proto.package,
                operations=operations,
                doc=source.doc((_FILE_SERVICE, index)),
                deprecated=service.options.deprecated,
            )


def _operation(
    service: str, method: descriptor_pb2.MethodDescriptorProto, source: _Source, path: tuple[int, ...]
) -> ir.Operation:
    span = source.span(path)
    doc = source.doc(path)
    level = descriptor_pb2.MethodOptions.IdempotencyLevel.Name(method.options.idempotency_level)
    level = "" if level == "IDEMPOTENCY_UNKNOWN" else level
    return ir.Operation(
        id=f"{service}.{method.name}",
        method="POST",
        path=f"/{service}/{method.name}",
        tag=service,
        summary=doc.split("\n", 1)[0] if doc else "",
        doc=doc,
        body=ir.RequestBody(
            media_type=_MEDIA_TYPE,
            kind=ir.BodyKind.BINARY,
            type=ir.Ref(target=method.input_type),
            required=True,
            span=span,
        ),
        responses=(
            ir.Response(
                status="200",
                kind=ir.BodyKind.BINARY,
                media_type=_MEDIA_TYPE,
                type=ir.Ref(target=method.output_type),
                span=span,
            ),
        ),
        deprecated=method.options.deprecated,
        idempotent=bool(level),
        client_streaming=method.client_streaming,
        server_streaming=method.server_streaming,
        idempotency_level=level,
        span=span,
    )


def _enum(
    proto: descriptor_pb2.FileDescriptorProto,
    source: _Source,
    full: str,
    enum: descriptor_pb2.EnumDescriptorProto,
    path: tuple[int, ...],
    prefix: str,
) -> ir.EnumDef:
    members = tuple(
        ir.EnumMember(
            value=value.number,
            name=value.name,
            py_name=value.name,
            doc=source.doc((*path, _ENUM_VALUE, index)),
            deprecated=value.options.deprecated,
        )
        for index, value in enumerate(enum.value)
    )
    return ir.EnumDef(
        id=full,
        name=full[len(prefix) + 1:],
        py_name=enum.name,
        members=members,
        base=ir.PrimitiveKind.INTEGER,
        doc=source.doc(path),
        deprecated=enum.options.deprecated,
        span=source.span(path),
        source_file=proto.name,
        # Enum reserved ranges are inclusive in descriptors already.
        reserved_numbers=tuple((r.start, r.end) for r in enum.reserved_range),
        reserved_names=tuple(enum.reserved_name),
    )


def top_level(proto: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[str, Any]]:
    """(full name with a leading dot, descriptor) of every top-level message, enum and service."""
    prefix = f".{proto.package}" if proto.package else ""
    for group in (proto.message_type, proto.enum_type, proto.service):
        for item in group:
            yield f"{prefix}.{item.name}", item


def _wanted_roots(proto: descriptor_pb2.FileDescriptorProto, only: frozenset[str]) -> frozenset[tuple[int, int]]:
    """Source-info path prefixes of the top-level declarations named in ``only``."""
    prefix = f".{proto.package}" if proto.package else ""
    groups: tuple[tuple[int, Any], ...] = (
        (_FILE_MESSAGE, proto.message_type),
        (_FILE_ENUM, proto.enum_type),
        (_FILE_SERVICE, proto.service),
    )
    return frozenset(
        (kind, index) for kind, group in groups for index, item in enumerate(group) if f"{prefix}.{item.name}" in only
    )


def top_level_names(proto: descriptor_pb2.FileDescriptorProto) -> Iterator[str]:
    return (name for name, _ in top_level(proto))


def _messages(
    proto: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[str, descriptor_pb2.DescriptorProto, tuple[int, ...]]]:
    """Every message of a file, nested ones after their parent: (full name, message, path)."""
    prefix = f".{proto.package}" if proto.package else ""
    stack: list[tuple[str, descriptor_pb2.DescriptorProto, tuple[int, ...]]] = [
        (f"{prefix}.{m.name}", m, (_FILE_MESSAGE, i)) for i, m in enumerate(proto.message_type)
    ]
    stack.reverse()
    while stack:
        full, message, path = stack.pop()
        yield full, message, path
        nested: list[tuple[str, descriptor_pb2.DescriptorProto, tuple[int, ...]]] = [
            (f"{full}.{m.name}", m, (*path, _MESSAGE_NESTED, i)) for i, m in enumerate(message.nested_type)
        ]
        stack.extend(reversed(nested))
