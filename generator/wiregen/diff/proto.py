"""Comparing two revisions of a set of ``.proto`` files, on their IR.

Fields and enum values are matched by number, which is what the wire carries; the
name matters too, because protobuf's JSON mapping carries names. The rules follow
what stays readable in both encodings (``buf breaking``'s WIRE_JSON category is
the reference; where wiregen judges differently, ``docs/diff-rules.md`` says why):
RPCs and services removed are breaking here (a generated client loses a method),
messages and enums removed only warn (nothing on the wire refers to a type that no
field uses; a field that does is reported itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from wiregen.diagnostics import SourceSpan
from wiregen.diff.changes import Findings, Site
from wiregen.frontends.proto import PROTO_FILES
from wiregen.ir import model as ir

# Scalars whose values read back unchanged in both the binary and the JSON encoding.
_COMPATIBLE = (
    frozenset({"int32", "uint32"}),
    frozenset({"int64", "uint64"}),
    frozenset({"fixed32", "sfixed32"}),
    frozenset({"fixed64", "sfixed64"}),
)


def compare_proto(old: ir.Api, new: ir.Api, findings: Findings) -> None:
    old_files = _files(old)
    new_files = _files(new)
    targets = {name for name, info in (*old_files.items(), *new_files.items()) if info.get("target")}
    moves = _compare_packages(old_files, new_files, findings)
    old_types = {t.id: t for t in old.types if not isinstance(t, ir.AliasDef) and t.source_file in targets}
    new_types = {t.id: t for t in new.types if not isinstance(t, ir.AliasDef) and t.source_file in targets}
    renamed = _moved_types(old_types, new_types, moves)
    comparer = _Comparer(old_files, new_files, findings, renamed, set(moves.values()))
    for type_id, before in old_types.items():
        after = new_types.get(renamed.get(type_id, type_id))
        site = comparer.site(before, after)
        if after is None:
            findings.add("D109", f"{_kind(before)} {type_id.lstrip('.')} was removed", site, path=type_id.lstrip("."))
            continue
        comparer.definition(before, after, site)
    matched = {renamed.get(type_id, type_id) for type_id in old_types}
    for type_id, after in new_types.items():
        if type_id not in matched:
            site = comparer.site(None, after)
            findings.add("D110", f"{_kind(after)} {type_id.lstrip('.')} was added", site, path=type_id.lstrip("."))
    comparer.services(old.services, new.services)


def _files(api: ir.Api) -> dict[str, dict[str, object]]:
    for key, value in api.extensions:
        if key == PROTO_FILES and isinstance(value, list):
            return {str(info["name"]): info for info in value if isinstance(info, dict)}
    return {}


def _kind(definition: ir.TypeDef) -> str:
    return "enum" if isinstance(definition, ir.EnumDef) else "message"


def _compare_packages(
    old: dict[str, dict[str, object]], new: dict[str, dict[str, object]], findings: Findings
) -> dict[str, tuple[str, str]]:
    """D416 for every file whose package changed; returns them: file -> (old, new package)."""
    moves: dict[str, tuple[str, str]] = {}
    for name, info in old.items():
        after = new.get(name)
        if after is None or not info.get("target") or info.get("package") == after.get("package"):
            continue
        before_package, after_package = str(info.get("package", "")), str(after.get("package", ""))
        moves[name] = (before_package, after_package)
        site = Site(name, SourceSpan(file=name), SourceSpan(file=name), before_package)
        findings.add("D416", f"{name} moved from package {before_package} to {after_package}", site, path=name)
    return moves


def _moved_types(
    old: Mapping[str, ir.TypeDef], new: Mapping[str, ir.TypeDef], moves: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """Old id -> new id of the messages and enums that moved with their file's package.

    They are the same declarations under a new name: the move is reported once (D416),
    not as every type removed and added again; what else changed in them still shows.
    """
    renamed: dict[str, str] = {}
    for type_id, definition in old.items():
        move = moves.get(definition.source_file) if isinstance(definition, ir.ObjectDef | ir.EnumDef) else None
        if move is None:
            continue
        candidate = _repackaged(type_id.lstrip("."), *move)
        if candidate is not None and f".{candidate}" in new and f".{candidate}" not in old:
            renamed[type_id] = f".{candidate}"
    return renamed


def _repackaged(name: str, before: str, after: str) -> str | None:
    """``name`` (a full name without the leading dot) moved from package ``before`` to ``after``."""
    if before and not name.startswith(f"{before}."):
        return None
    rest = name[len(before) + 1:] if before else name
    return f"{after}.{rest}" if after else rest


def _reserved(number: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(low <= number <= high for low, high in ranges)


class _Comparer:
    def __init__(
        self,
        old_files: dict[str, dict[str, object]],
        new_files: dict[str, dict[str, object]],
        findings: Findings,
        renamed: dict[str, str],
        moves: set[tuple[str, str]],
    ) -> None:
        self.old_files, self.new_files = old_files, new_files
        self.findings = findings
        self.renamed = renamed
        """Old type id -> new id, for types that moved with their file's package."""
        self.moves = moves
        """(old, new) package of every file that moved (D416)."""

    def old_name(self, expr: ir.TypeExpr | None) -> str:
        """The .proto spelling of an old type, under its new name when its package moved."""
        if isinstance(expr, ir.Ref):
            return _scalar(ir.Ref(target=self.renamed.get(expr.target, expr.target)))
        return _rpc_type(expr)

    def package(self, definition: ir.ObjectDef | ir.EnumDef | None, files: dict[str, dict[str, object]]) -> str:
        if definition is None:
            return ""
        return str(files.get(definition.source_file, {}).get("package", ""))

    def site(self, old: ir.TypeDef | None, new: ir.TypeDef | None) -> Site:
        some = new or old
        assert some is not None
        scope = self.package(new, self.new_files) if isinstance(new, ir.ObjectDef | ir.EnumDef) else ""
        if not scope and isinstance(old, ir.ObjectDef | ir.EnumDef):
            scope = self.package(old, self.old_files)
        return Site(some.id.lstrip("."), old.span if old else None, new.span if new else None, scope)

    # ------------------------------------------------------------------ types

    def definition(self, old: ir.TypeDef, new: ir.TypeDef, site: Site) -> None:
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"{site.subject} is deprecated", site, path=site.subject)
        if isinstance(old, ir.ObjectDef) and isinstance(new, ir.ObjectDef):
            self.message(old, new, site)
        elif isinstance(old, ir.EnumDef) and isinstance(new, ir.EnumDef):
            self.enum(old, new, site)
        else:
            self.findings.add("D404", f"{site.subject} changed from {_kind(old)} to {_kind(new)}", site, path=site.subject)

    def _reserved_removed(
        self,
        old: ir.ObjectDef | ir.EnumDef,
        new: ir.ObjectDef | ir.EnumDef,
        site: Site,
    ) -> None:
        lost = [
            f"{low}" if low == high else f"{low} to {high}"
            for low, high in old.reserved_numbers
            if not _covered((low, high), new.reserved_numbers)
        ]
        lost += [repr(name) for name in old.reserved_names if name not in new.reserved_names]
        if lost:
            self.findings.add(
                "D408", f"{site.subject}: reserved {', '.join(lost)} no longer reserved", site, path=site.subject
            )

    def message(self, old: ir.ObjectDef, new: ir.ObjectDef, site: Site) -> None:
        self._reserved_removed(old, new, site)
        old_fields = {f.number: f for f in old.fields}
        new_fields = {f.number: f for f in new.fields}
        for number, field in old_fields.items():
            after = new_fields.get(number)
            path = f"{site.subject}.{field.name}"
            where = site.at(path, field.span, after.span if after else None)
            if after is None:
                assert number is not None
                number_kept = _reserved(number, new.reserved_numbers)
                name_kept = field.name in new.reserved_names
                if number_kept and name_kept:
                    self.findings.add(
                        "D410", f"field {number} {field.name!r} was deleted (number and name reserved)", where, path=path
                    )
                else:
                    missing = " and ".join(
                        what for what, kept in (("number", number_kept), ("name", name_kept)) if not kept
                    )
                    self.findings.add(
                        "D409", f"field {number} {field.name!r} was deleted without reserving its {missing}", where,
                        path=path,
                    )
                if not field.deprecated:
                    self.findings.add(
                        "D702", f"field {field.name!r} was removed without being deprecated first", where, path=path
                    )
                continue
            self.field(field, after, where)
        for number, field in new_fields.items():
            if number in old_fields:
                continue
            path = f"{site.subject}.{field.name}"
            where = site.at(path, None, field.span)
            assert number is not None
            if _reserved(number, old.reserved_numbers) or field.name in old.reserved_names:
                self.findings.add(
                    "D401", f"field {number} {field.name!r} reuses a number or name reserved before", where, path=path
                )
            elif field.required:
                self.findings.add("D419", f"required field {field.name!r} was added", where, path=path)
            else:
                self.findings.add("D420", f"field {number} {field.name!r} was added", where, path=path)

    def field(self, old: ir.Field, new: ir.Field, site: Site) -> None:
        path = site.subject
        if old.name != new.name:
            self.findings.add("D402", f"field {old.number} was renamed from {old.name!r} to {new.name!r}", site, path=path)
        elif old.json_name != new.json_name:
            self.findings.add(
                "D403", f"json_name of {path} changed from {old.json_name!r} to {new.json_name!r}", site, path=path
            )
        if old.oneof != new.oneof:
            before = f"oneof {old.oneof}" if old.oneof else "no oneof"
            after = f"oneof {new.oneof}" if new.oneof else "no oneof"
            self.findings.add("D407", f"{path} moved from {before} to {after}", site, path=path)
        if old.required != new.required:
            self.findings.add("D419", f"{path} is {'now' if new.required else 'no longer'} required", site, path=path)
        old_shape, new_shape = _shape(old.type), _shape(new.type)
        if old_shape != new_shape:
            self.findings.add("D406", f"{path} changed from {old_shape} to {new_shape}", site, path=path)
            return
        if old.presence != new.presence and old_shape == "singular" and not (old.oneof or new.oneof):
            self.findings.add(
                "D418", f"{path} {'gained' if new.presence else 'lost'} explicit presence", site, path=path
            )
        for old_element, new_element in _elements(old.type, new.type):
            self._element(old_element, new_element, site)
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"{path} is deprecated", site, path=path)

    def _element(self, old: ir.TypeExpr, new: ir.TypeExpr, site: Site) -> None:
        before, after = self.old_name(old), _scalar(new)
        if before == after:
            return
        if any(before in group and after in group for group in _COMPATIBLE):
            self.findings.add(
                "D405", f"{site.subject} changed type from {before} to {after} (wire and JSON compatible)", site,
                path=site.subject,
            )
        else:
            self.findings.add(
                "D404", f"{site.subject} changed type from {before} to {after}", site, path=site.subject
            )

    def enum(self, old: ir.EnumDef, new: ir.EnumDef, site: Site) -> None:
        self._reserved_removed(old, new, site)
        old_names = _names_by_number(old)
        new_names = _names_by_number(new)
        deprecated = {m.name for m in old.members if m.deprecated}
        for number, names in old_names.items():
            after = new_names.get(number)
            label = "/".join(names)
            if after is None:
                if _reserved(number, new.reserved_numbers) and all(n in new.reserved_names for n in names):
                    self.findings.add("D412", f"{site.subject}: value {label} = {number} was deleted and reserved", site)
                else:
                    self.findings.add(
                        "D411", f"{site.subject}: value {label} = {number} was deleted without reserving it", site
                    )
                if not set(names) <= deprecated:
                    self.findings.add(
                        "D702", f"{site.subject}: value {label} was removed without being deprecated first", site
                    )
                continue
            if not set(names) <= set(after):
                renamed = "/".join(after)
                self.findings.add("D413", f"{site.subject}: value {number} renamed from {label} to {renamed}", site)
        for number, names in new_names.items():
            if number in old_names:
                continue
            label = "/".join(names)
            if _reserved(number, old.reserved_numbers) or any(n in old.reserved_names for n in names):
                self.findings.add("D401", f"{site.subject}: value {label} = {number} reuses a reserved number or name", site)
            else:
                self.findings.add("D421", f"{site.subject}: value {label} = {number} was added", site)

    # ------------------------------------------------------------------ services

    def service_name(self, name: str, new: dict[str, ir.Service]) -> str:
        """The new name of an old service: the same, or moved with its file's package."""
        if name in new:
            return name
        for before, after in self.moves:
            candidate = _repackaged(name, before, after)
            if candidate is not None and candidate in new:
                return candidate
        return name

    def services(self, old: tuple[ir.Service, ...], new: tuple[ir.Service, ...]) -> None:
        new_services = {s.name: s for s in new}
        old_names = {self.service_name(s.name, new_services) for s in old}
        for service in old:
            after = new_services.get(self.service_name(service.name, new_services))
            span = service.operations[0].span if service.operations else None
            site = Site(service.name, span, None, service.package)
            if after is None:
                self.findings.add("D103", f"service {service.name} was removed", site, path=service.name)
                if not service.deprecated:
                    self.findings.add(
                        "D702", f"service {service.name} was removed without being deprecated first", site,
                        path=service.name,
                    )
                continue
            if after.deprecated and not service.deprecated:
                self.findings.add("D701", f"service {service.name} is deprecated", site, path=service.name)
            self.rpcs(service, after)
        for service in new:
            if service.name not in old_names:
                span = service.operations[0].span if service.operations else None
                site = Site(service.name, None, span, service.package)
                self.findings.add("D104", f"service {service.name} was added", site, path=service.name)

    def rpcs(self, old: ir.Service, new: ir.Service) -> None:
        # By method name: the service's full name may have moved with its package.
        new_rpcs = {op.id[len(new.name) + 1:]: op for op in new.operations}
        for rpc in old.operations:
            after = new_rpcs.get(rpc.id[len(old.name) + 1:])
            site = Site(rpc.id, rpc.span, after.span if after else None, new.package)
            if after is None:
                self.findings.add("D101", f"rpc {rpc.id} was removed", site, path=rpc.id)
                if not rpc.deprecated:
                    self.findings.add(
                        "D702", f"rpc {rpc.id} was removed without being deprecated first", site, path=rpc.id
                    )
                continue
            self.rpc(rpc, after, site)
        old_ids = {op.id[len(old.name) + 1:] for op in old.operations}
        for rpc in new.operations:
            if rpc.id[len(new.name) + 1:] not in old_ids:
                self.findings.add("D102", f"rpc {rpc.id} was added", Site(rpc.id, None, rpc.span, new.package), path=rpc.id)

    def rpc(self, old: ir.Operation, new: ir.Operation, site: Site) -> None:
        for attr, side in (("client_streaming", "client"), ("server_streaming", "server")):
            if getattr(old, attr) != getattr(new, attr):
                state = "now" if getattr(new, attr) else "no longer"
                self.findings.add("D414", f"rpc {old.id}: {side} streaming {state}", site, path=old.id)
        for label, before, after in (
            ("request", self.old_name(old.body.type if old.body else None), _rpc_type(new.body.type if new.body else None)),
            (
                "response",
                self.old_name(old.responses[0].type if old.responses else None),
                _rpc_type(new.responses[0].type if new.responses else None),
            ),
        ):
            if before != after:
                self.findings.add("D415", f"rpc {old.id}: {label} type changed from {before} to {after}", site, path=old.id)
        if old.idempotency_level != new.idempotency_level:
            levels = f"{old.idempotency_level or 'IDEMPOTENCY_UNKNOWN'} to {new.idempotency_level or 'IDEMPOTENCY_UNKNOWN'}"
            self.findings.add("D417", f"rpc {old.id}: idempotency_level changed from {levels}", site, path=old.id)
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"rpc {old.id} is deprecated", site, path=old.id)


def _covered(span: tuple[int, int], ranges: Iterable[tuple[int, int]]) -> bool:
    """Whether every number of ``span`` is inside ``ranges``."""
    low, high = span
    for start, end in sorted(ranges):
        if start > low:
            return False
        if end >= low:
            low = end + 1
            if low > high:
                return True
    return low > high


def _names_by_number(definition: ir.EnumDef) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for member in definition.members:
        if isinstance(member.value, int):
            found.setdefault(member.value, []).append(member.name)
    return found


def _shape(expr: ir.TypeExpr) -> str:
    if isinstance(expr, ir.Map):
        return "map"
    if isinstance(expr, ir.Array):
        return "repeated"
    return "singular"


def _elements(old: ir.TypeExpr, new: ir.TypeExpr) -> list[tuple[ir.TypeExpr, ir.TypeExpr]]:
    """The scalar or message types to compare, pairwise, for fields of the same shape."""
    if isinstance(old, ir.Map) and isinstance(new, ir.Map):
        string = ir.Primitive(kind=ir.PrimitiveKind.STRING)
        return [(old.keys or string, new.keys or string), (old.values, new.values)]
    if isinstance(old, ir.Array) and isinstance(new, ir.Array):
        return [(old.items, new.items)]
    return [(old, new)]


def _scalar(expr: ir.TypeExpr) -> str:
    """The .proto spelling of a field type (``int32``, ``bytes``, ``.a.v1.Foo``)."""
    if isinstance(expr, ir.Ref):
        return expr.target.lstrip(".")
    if isinstance(expr, ir.Primitive):
        if expr.format:
            return expr.format
        return {"string": "string", "boolean": "bool"}.get(expr.kind.value, expr.kind.value)
    return type(expr).__name__


def _rpc_type(expr: ir.TypeExpr | None) -> str:
    return _scalar(expr) if expr is not None else ""
