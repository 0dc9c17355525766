"""Checks on operations that a JSON Schema cannot express.

Unique operationIds (WG203), path templates against ``in: path`` parameters (WG204),
path parameters being required (WG205), duplicate parameters (WG206) and security
requirements naming defined schemes (WG207). Parameters, path items and callbacks
may be ``$ref``s; they are followed here (a broken one is reported by the ref check).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from wiregen.diagnostics import Abort, Diagnostic, SourceSpan, error
from wiregen.load import Document, Workspace
from wiregen.load.pointer import escape

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_METHODS_32 = (*_METHODS, "query")
_TEMPLATE_NAME = re.compile(r"\{([^{}]*)\}")
_MAX_REF_HOPS = 32
_MAX_CALLBACK_NESTING = 16


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str
    use: SourceSpan  # where the operation lists it
    definition: SourceSpan  # where it is defined (differs for $ref'd parameters)


@dataclass(slots=True)
class _Context:
    ws: Workspace
    methods: tuple[str, ...]
    schemes: set[str]
    out: list[Diagnostic] = field(default_factory=list)
    operation_ids: dict[str, str] = field(default_factory=dict)
    seen_operations: set[tuple[str, str]] = field(default_factory=set)
    reported: set[tuple[str, str, str, str]] = field(default_factory=set)

    def report(self, code: str, message: str, span: SourceSpan, hint: str | None = None) -> None:
        key = (code, span.file, span.pointer, message)
        if key not in self.reported:  # shared path-level parameters would repeat per operation
            self.reported.add(key)
            self.out.append(error(code, message, span, hint))


def _deref(
    ws: Workspace, doc: Document, pointer: str, node: Any
) -> tuple[Document, str, Any] | None:
    """Follow ``$ref`` chains; None when one is broken (reported elsewhere) or loops."""
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return doc, pointer, node
        try:
            target = ws.resolve_ref(
                node["$ref"], doc, SourceSpan(file=doc.display, pointer=pointer + "/$ref")
            )
        except Abort:
            return None
        doc, pointer, node = target.document, target.pointer, target.node
    return None


def _parameters(ctx: _Context, doc: Document, pointer: str, value: Any) -> list[_Param]:
    if not isinstance(value, list):
        return []
    params: list[_Param] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(value):
        use = SourceSpan(file=doc.display, pointer=f"{pointer}/{index}")
        target = _deref(ctx.ws, doc, use.pointer, item)
        if target is None or not isinstance(target[2], dict):
            continue
        target_doc, target_pointer, node = target
        name, location = node.get("name"), node.get("in")
        if not isinstance(name, str) or not isinstance(location, str):
            continue
        # Header names are case-insensitive on the wire (RFC 9110).
        key = (location, name.lower() if location == "header" else name)
        if key in seen:
            ctx.report(
                "WG206",
                f"duplicate parameter {name!r} (in: {location})",
                use,
                hint=f"the same parameter is item {seen[key]} of this list; a parameter is "
                "identified by its name and location",
            )
            continue
        seen[key] = index
        definition = SourceSpan(file=target_doc.display, pointer=target_pointer)
        if location == "path" and node.get("required") is not True:
            ctx.report(
                "WG205",
                f"path parameter {name!r} must be required",
                definition,
                hint="add `required: true`: a path cannot lack one of its segments",
            )
        params.append(_Param(name, location, use, definition))
    return params


def _check_operation(
    ctx: _Context,
    doc: Document,
    pointer: str,
    operation: dict[str, Any],
    where: tuple[str, str | None],
    shared: list[_Param],
    nesting: int,
) -> None:
    if (doc.display, pointer) in ctx.seen_operations:
        return  # the same operation reached twice through references
    ctx.seen_operations.add((doc.display, pointer))
    method, template = where
    label = f"{method.upper()} {template}" if template is not None else method.upper()

    operation_id = operation.get("operationId")
    if isinstance(operation_id, str):
        if operation_id in ctx.operation_ids:
            ctx.report(
                "WG203",
                f"duplicate operationId {operation_id!r}",
                SourceSpan(file=doc.display, pointer=pointer + "/operationId"),
                hint=f"{ctx.operation_ids[operation_id]} already uses it; operationIds must be unique",
            )
        else:
            ctx.operation_ids[operation_id] = label

    own = _parameters(ctx, doc, pointer + "/parameters", operation.get("parameters"))
    if template is not None:
        _check_template(ctx, doc, pointer, template, label, shared, own)
    _check_security(ctx, doc, pointer + "/security", operation.get("security"))

    callbacks = operation.get("callbacks")
    if isinstance(callbacks, dict) and nesting < _MAX_CALLBACK_NESTING:
        for name, callback in callbacks.items():
            target = _deref(ctx.ws, doc, f"{pointer}/callbacks/{escape(name)}", callback)
            if target is None or not isinstance(target[2], dict):
                continue
            cb_doc, cb_pointer, cb_node = target
            for expression, item in cb_node.items():
                if not expression.startswith("x-"):
                    # Callback URLs are runtime expressions, not path templates.
                    check_path_item(
                        ctx, cb_doc, f"{cb_pointer}/{escape(expression)}", item, None, nesting + 1
                    )


def _check_template(
    ctx: _Context,
    doc: Document,
    pointer: str,
    template: str,
    label: str,
    shared: list[_Param],
    own: list[_Param],
) -> None:
    declared = {p.name: p for p in shared if p.location == "path"}
    declared.update({p.name: p for p in own if p.location == "path"})
    in_template = _TEMPLATE_NAME.findall(template)
    for name in in_template:
        if name not in declared:
            ctx.report(
                "WG204",
                f"path parameter {name!r} of {label} is not declared",
                SourceSpan(file=doc.display, pointer=pointer),
                hint=f"add a parameter `name: {name}, in: path, required: true` to the operation "
                "or to its path item",
            )
    for name, param in declared.items():
        if name not in in_template:
            ctx.report(
                "WG204",
                f"parameter {name!r} is declared 'in: path' but {template!r} has no {{{name}}}",
                param.use,
                hint="rename the parameter to match the template, or change its location",
            )


def _check_security(ctx: _Context, doc: Document, pointer: str, value: Any) -> None:
    if not isinstance(value, list):
        return
    for index, requirement in enumerate(value):
        if not isinstance(requirement, dict):
            continue
        for name in requirement:
            if name in ctx.schemes:
                continue
            close = difflib.get_close_matches(name, sorted(ctx.schemes), n=1)
            ctx.report(
                "WG207",
                f"security requirement names an undefined scheme {name!r}",
                SourceSpan(file=doc.display, pointer=f"{pointer}/{index}/{escape(name)}"),
                hint=f"did you mean {close[0]!r}?"
                if close
                else "define it under components/securitySchemes",
            )


def check_path_item(
    ctx: _Context,
    doc: Document,
    pointer: str,
    item: Any,
    template: str | None,
    nesting: int = 0,
) -> None:
    target = _deref(ctx.ws, doc, pointer, item)
    if target is None or not isinstance(target[2], dict):
        return
    doc, pointer, node = target
    shared = _parameters(ctx, doc, pointer + "/parameters", node.get("parameters"))
    operations = [
        (method, node[method]) for method in ctx.methods if isinstance(node.get(method), dict)
    ]
    extra = node.get("additionalOperations")  # 3.2: custom HTTP methods
    if "query" in ctx.methods and isinstance(extra, dict):
        operations += [(m, op) for m, op in extra.items() if isinstance(op, dict)]
    for method, operation in operations:
        segment = (
            method if node.get(method) is operation else f"additionalOperations/{escape(method)}"
        )
        _check_operation(
            ctx, doc, f"{pointer}/{segment}", operation, (method, template), shared, nesting
        )


def check_operations(doc: Document, ws: Workspace, version: str) -> list[Diagnostic]:
    data = doc.data
    components = data.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    ctx = _Context(
        ws=ws,
        methods=_METHODS_32 if version == "3.2" else _METHODS,
        schemes=set(schemes) if isinstance(schemes, dict) else set(),
    )
    paths = data.get("paths")
    if isinstance(paths, dict):
        for template, item in paths.items():
            if not template.startswith("x-"):
                check_path_item(ctx, doc, f"/paths/{escape(template)}", item, template)
    webhooks = data.get("webhooks")
    if isinstance(webhooks, dict):
        for name, item in webhooks.items():
            check_path_item(ctx, doc, f"/webhooks/{escape(name)}", item, None)
    _check_security(ctx, doc, "/security", data.get("security"))
    return ctx.out
