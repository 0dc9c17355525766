"""Comparing the HTTP operations of two OpenAPI revisions.

Operations are matched by method and path template (parameter names ignored, so
renaming ``{id}`` to ``{pet_id}`` is not a new operation), then the leftovers by
operationId (a moved operation keeps its id), and what is left is removed or added.
"""

from __future__ import annotations

import re

from wiregen.diff.changes import Findings, Site
from wiregen.diff.schemas import Direction, SchemaComparer
from wiregen.ir import model as ir

_PLACEHOLDER = re.compile(r"\{[^}/]*\}")


def compare_http(old: ir.Api, new: ir.Api, findings: Findings) -> None:
    schemas = SchemaComparer(old, new, findings)
    schemas.compare_definitions(schemas.directions(_roots(old), _roots(new)))
    _compare_security_schemes(old, new, findings)
    matched, removed, added = _match(old.operations, new.operations)
    for before, after in matched:
        _Operation(before, after, old, new, schemas, findings).compare()
    for operation in removed:
        site = Site(_label(operation), operation.span, None)
        findings.add("D101", f"operation {_label(operation)} was removed", site)
        if not operation.deprecated:
            findings.add("D702", f"operation {_label(operation)} was removed without being deprecated first", site)
    for operation in added:
        findings.add("D102", f"operation {_label(operation)} was added", Site(_label(operation), None, operation.span))


def _label(operation: ir.Operation) -> str:
    return f"{operation.method} {operation.path}"


def _template(operation: ir.Operation) -> tuple[str, str]:
    return operation.method, _PLACEHOLDER.sub("{}", operation.path)


def _match(
    old: tuple[ir.Operation, ...], new: tuple[ir.Operation, ...]
) -> tuple[list[tuple[ir.Operation, ir.Operation]], list[ir.Operation], list[ir.Operation]]:
    by_template = {_template(op): op for op in new}
    matched: list[tuple[ir.Operation, ir.Operation]] = []
    rest_old: list[ir.Operation] = []
    taken: set[int] = set()
    for operation in old:
        found = by_template.get(_template(operation))
        if found is not None and id(found) not in taken:
            matched.append((operation, found))
            taken.add(id(found))
        else:
            rest_old.append(operation)
    by_id = {op.id: op for op in new if id(op) not in taken}
    removed = []
    for operation in rest_old:
        found = by_id.pop(operation.id, None)
        if found is None:
            removed.append(operation)
        else:
            matched.append((operation, found))
            taken.add(id(found))
    added = [op for op in new if id(op) not in taken]
    return matched, removed, added


def _roots(api: ir.Api) -> list[tuple[ir.TypeExpr | None, Direction]]:
    roots: list[tuple[ir.TypeExpr | None, Direction]] = []
    for operation in api.operations:
        roots.extend((p.type, Direction.REQUEST) for p in operation.parameters)
        if operation.body is not None:
            roots.append((operation.body.type, Direction.REQUEST))
        for response in operation.responses:
            roots.append((response.type, Direction.RESPONSE))
            roots.extend((h.type, Direction.RESPONSE) for h in response.headers)
    return roots


def _effective_security(operation: ir.Operation, api: ir.Api) -> frozenset[frozenset[str]]:
    requirements = operation.security if operation.security is not None else api.security
    return frozenset(frozenset(r) for r in requirements)


def _compare_security_schemes(old: ir.Api, new: ir.Api, findings: Findings) -> None:
    new_schemes = {s.name: s for s in new.security_schemes}
    for scheme in old.security_schemes:
        after = new_schemes.get(scheme.name)
        if after is None:
            continue  # its removal shows where requirements lose it
        what = [
            f"{label} {getattr(scheme, attr)!r} -> {getattr(after, attr)!r}"
            for attr, label in (("kind", "type"), ("scheme", "scheme"), ("location", "in"), ("param_name", "name"))
            if getattr(scheme, attr) != getattr(after, attr)
        ]
        if what:
            site = Site(f"security scheme {scheme.name}", scheme.span, after.span)
            findings.add("D604", f"security scheme {scheme.name!r} changed: {'; '.join(what)}", site)


class _Operation:
    """One matched pair of operations."""

    def __init__(
        self,
        old: ir.Operation,
        new: ir.Operation,
        old_api: ir.Api,
        new_api: ir.Api,
        schemas: SchemaComparer,
        findings: Findings,
    ) -> None:
        self.old, self.new = old, new
        self.old_api, self.new_api = old_api, new_api
        self.schemas = schemas
        self.findings = findings
        self.label = _label(new)
        self.site = Site(self.label, old.span, new.span)

    def compare(self) -> None:
        old, new, site = self.old, self.new, self.site
        if old.path != new.path and _template(old)[1] != _template(new)[1]:
            self.findings.add("D307", f"operation {old.id!r} moved from {old.path} to {new.path}", site)
        if old.method != new.method:
            self.findings.add("D308", f"operation {old.id!r} changed method from {old.method} to {new.method}", site)
        if old.id != new.id:
            self.findings.add("D111", f"{self.label}: operationId changed from {old.id!r} to {new.id!r}", site)
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"operation {self.label} is deprecated", site)
        self._parameters()
        self._body()
        self._responses()
        self._security()

    # ------------------------------------------------------------------ parameters

    def _parameters(self) -> None:
        old_params = {_param_key(p): p for p in self.old.parameters}
        new_params = {_param_key(p): p for p in self.new.parameters}
        old_paths = [p for p in self.old.parameters if p.location is ir.ParamLocation.PATH]
        new_paths = [p for p in self.new.parameters if p.location is ir.ParamLocation.PATH]
        renamed = self._renamed_path_parameters(old_paths, new_paths)
        for key, param in old_params.items():
            after = new_params.get(key) or renamed.get(key)
            where = Site(f"{self.label} > {param.location.value} {param.name}", param.span, after.span if after else None)
            if after is None:
                moved = next((p for p in self.new.parameters if p.name.lower() == param.name.lower()), None)
                if moved is not None and _param_key(moved) not in old_params:
                    self.findings.add(
                        "D306",
                        f"{self.label}: parameter {param.name!r} moved from {param.location.value} "
                        f"to {moved.location.value}",
                        Site(where.subject, param.span, moved.span),
                    )
                    continue
                self.findings.add("D301", f"{self.label}: {param.location.value} parameter {param.name!r} was removed", where)
                if not param.deprecated:
                    self.findings.add(
                        "D702", f"{self.label}: parameter {param.name!r} was removed without being deprecated first",
                        where,
                    )
                continue
            self._parameter(param, after, where)
        moved_to = {
            _param_key(p)
            for p in self.new.parameters
            for q in self.old.parameters
            if p.name.lower() == q.name.lower() and _param_key(q) not in new_params
        }
        renamed_targets = {_param_key(p) for p in renamed.values()}
        for key, param in new_params.items():
            if key in old_params or key in moved_to or key in renamed_targets:
                continue
            where = Site(f"{self.label} > {param.location.value} {param.name}", None, param.span)
            if param.required:
                self.findings.add(
                    "D302", f"{self.label}: new required {param.location.value} parameter {param.name!r}", where
                )
            else:
                self.findings.add("D303", f"{self.label}: new {param.location.value} parameter {param.name!r}", where)

    def _renamed_path_parameters(
        self, old: list[ir.Parameter], new: list[ir.Parameter]
    ) -> dict[tuple[str, str], ir.Parameter]:
        """Path parameters renamed in place: same position in the same template."""
        if _template(self.old)[1] != _template(self.new)[1]:
            return {}
        old_order = _PLACEHOLDER.findall(self.old.path)
        new_order = _PLACEHOLDER.findall(self.new.path)
        by_name_old = {p.name: p for p in old}
        by_name_new = {p.name: p for p in new}
        renamed: dict[tuple[str, str], ir.Parameter] = {}
        for before, after in zip(old_order, new_order, strict=False):
            b, a = before[1:-1], after[1:-1]
            if b != a and b in by_name_old and a in by_name_new and b not in by_name_new:
                param = by_name_old[b]
                renamed[_param_key(param)] = by_name_new[a]
                where = Site(f"{self.label} > path {b}", param.span, by_name_new[a].span)
                self.findings.add("D310", f"{self.label}: path parameter {b!r} renamed to {a!r}", where)
        return renamed

    def _parameter(self, old: ir.Parameter, new: ir.Parameter, site: Site) -> None:
        if new.required and not old.required:
            self.findings.add("D304", f"{site.subject} became required", site)
        elif old.required and not new.required:
            self.findings.add("D305", f"{site.subject} became optional", site)
        if (old.style, old.explode) != (new.style, new.explode):
            self.findings.add(
                "D309",
                f"{site.subject}: serialisation changed from style={old.style}, explode={old.explode} "
                f"to style={new.style}, explode={new.explode}",
                site,
            )
        if new.deprecated and not old.deprecated:
            self.findings.add("D701", f"{site.subject} is deprecated", site)
        if old.default is not None and new.default is not None and old.default != new.default:
            self.findings.add(
                "D228", f"default of {site.subject} changed from {old.default.value!r} to {new.default.value!r}", site
            )
        self.schemas.compare(old.type, new.type, Direction.REQUEST, site)

    # ------------------------------------------------------------------ bodies

    def _body(self) -> None:
        old, new = self.old.body, self.new.body
        if old is None and new is None:
            return
        subject = f"{self.label} > request body"
        if old is None:
            assert new is not None
            code, text = ("D311", "a required request body was added") if new.required else (
                "D314", "an optional request body was added"
            )
            self.findings.add(code, f"{self.label}: {text}", Site(subject, None, new.span))
            return
        if new is None:
            self.findings.add("D313", f"{self.label}: the request body was removed", Site(subject, old.span, None))
            return
        site = Site(subject, old.span, new.span)
        if new.required and not old.required:
            self.findings.add("D312", f"{self.label}: the request body became required", site)
        old_types = {old.media_type, *old.alternatives}
        new_types = {new.media_type, *new.alternatives}
        for media in sorted(old_types - new_types):
            self.findings.add("D315", f"{self.label}: request media type {media} is no longer accepted", site)
        for media in sorted(new_types - old_types):
            self.findings.add("D316", f"{self.label}: request media type {media} is now accepted", site)
        if old.type is not None and new.type is not None:
            self.schemas.compare(old.type, new.type, Direction.REQUEST, site)
        elif old.type is not None or new.type is not None:
            self.findings.add("D210", f"{self.label}: the request body changed between typed and untyped", site)

    # ------------------------------------------------------------------ responses

    def _responses(self) -> None:
        old_responses = {r.status: r for r in self.old.responses}
        new_responses = {r.status: r for r in self.new.responses}
        for status, response in old_responses.items():
            after = new_responses.get(status)
            subject = f"{self.label} > response {status}"
            if after is None:
                code = "D317" if response.is_success else "D319"
                self.findings.add(code, f"{self.label}: response {status} was removed", Site(subject, response.span, None))
                continue
            self._response(response, after, Site(subject, response.span, after.span))
        for status, response in new_responses.items():
            if status not in old_responses:
                code = "D318" if response.is_success else "D320"
                subject = f"{self.label} > response {status}"
                self.findings.add(code, f"{self.label}: response {status} was added", Site(subject, None, response.span))

    def _response(self, old: ir.Response, new: ir.Response, site: Site) -> None:
        if old.media_type is None and new.media_type is not None:
            self.findings.add("D324", f"{site.subject}: now has a body ({new.media_type})", site)
        elif old.media_type is not None and new.media_type is None:
            self.findings.add("D321", f"{site.subject}: the body ({old.media_type}) was removed", site)
        elif old.media_type != new.media_type:
            self.findings.add(
                "D321", f"{site.subject}: media type changed from {old.media_type} to {new.media_type}", site
            )
        if old.type is not None and new.type is not None:
            self.schemas.compare(old.type, new.type, Direction.RESPONSE, site)
        elif old.type is not None and new.media_type == old.media_type:
            self.findings.add("D210", f"{site.subject}: the response no longer has a typed body", site)
        old_headers = {h.name.lower(): h for h in old.headers}
        new_headers = {h.name.lower(): h for h in new.headers}
        for name, header in old_headers.items():
            after = new_headers.get(name)
            where = site.at(f"{site.subject} > header {header.name}", site.old, site.new)
            if after is None:
                self.findings.add("D322", f"{site.subject}: header {header.name} was removed", where)
            else:
                self.schemas.compare(header.type, after.type, Direction.RESPONSE, where)
        for name, header in new_headers.items():
            if name not in old_headers:
                where = site.at(f"{site.subject} > header {header.name}", None, site.new)
                self.findings.add("D323", f"{site.subject}: header {header.name} was added", where)

    # ------------------------------------------------------------------ security

    def _security(self) -> None:
        old = _effective_security(self.old, self.old_api)
        new = _effective_security(self.new, self.new_api)
        if old == new:
            return
        anonymous: frozenset[str] = frozenset()
        if not old or anonymous in old:
            if new and anonymous not in new:
                self.findings.add("D601", f"{self.label} now requires authentication", self.site)
            return
        for alternative in sorted(old - new, key=sorted):
            if new and anonymous not in new:
                names = " + ".join(sorted(alternative))
                self.findings.add("D602", f"{self.label}: authenticating with {names} is no longer accepted", self.site)
        if new - old:
            added = ", ".join(" + ".join(sorted(a)) or "anonymous" for a in sorted(new - old, key=sorted))
            self.findings.add("D603", f"{self.label}: now also accepts {added}", self.site)


def _param_key(param: ir.Parameter) -> tuple[str, str]:
    name = param.name.lower() if param.location is ir.ParamLocation.HEADER else param.name
    return param.location.value, name
