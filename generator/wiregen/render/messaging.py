"""View model of a messaging package's ``app.py``: one typed attribute per operation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wiregen.ir import model as ir
from wiregen.passes.identifiers import Scope, pascal
from wiregen.render.escape import docstring_lines, literal
from wiregen.render.imports import import_block, sort_all
from wiregen.render.types import IMPORT_OF_PREFIX, TypeRenderer

_MODELS = "_models."


@dataclass(frozen=True, slots=True)
class ParamView:
    wire: str
    """The wire name as a Python string literal."""
    name: str


@dataclass(frozen=True, slots=True)
class OperationView:
    name: str
    spec_name: str
    """Module constant holding the operation's ``OperationSpec``."""
    spec_args: list[str]
    action: str
    params: list[ParamView]
    payload: str
    headers: str
    """Annotation of the ``headers`` argument of a send method."""
    reply: str
    """Annotation of the reply; ``None`` when there is none."""
    has_reply: bool
    handler_class: str
    doc_lines: list[str]
    deprecated: bool


@dataclass(frozen=True, slots=True)
class MessagingModule:
    imports: list[str]
    title: str
    version: str
    operations: list[OperationView]
    exports: list[str]
    """The CamelCase names of ``__all__`` (then ``create_app``), in ruff's RUF022 order."""


RUNTIME_EXPORTS = ("App", "PublishError", "PublishTimeout", "RequestTimeout")
"""Names every ``app.py`` defines or re-exports from the runtime (handler classes end in ``Handler``)."""


def _union(renderer: TypeRenderer, types: Sequence[ir.TypeExpr | None]) -> str:
    rendered: list[str] = []
    for expr in types:
        text = renderer.render(expr) if expr is not None else "_t.Any"
        if expr is None:
            renderer.used.add("_t.")
        if text not in rendered:
            rendered.append(text)
    if not rendered:
        renderer.used.add("_t.")
        return "_t.Any"
    if "_t.Any" in rendered:
        return "_t.Any"
    return " | ".join(rendered)


def _tuple(items: list[str]) -> str:
    if not items:
        return "()"
    if len(items) == 1:
        return f"({items[0]},)"
    return f"({', '.join(items)})"


def _messages(channel: ir.Channel | None, names: tuple[str, ...]) -> list[ir.Message]:
    if channel is None:
        return []
    if not names:
        return list(channel.messages)
    return [m for m in channel.messages if m.name in names]


def build(api: ir.Api) -> MessagingModule:
    definitions = {d.id: d for d in api.types}
    annotations = TypeRenderer(definitions, class_prefix=_MODELS, validation=False)
    runtime = TypeRenderer(definitions, class_prefix=_MODELS)
    channels = {c.id: c for c in api.channels}
    classes = Scope({*RUNTIME_EXPORTS, "create_app"})
    constants = Scope(set())
    operations = []
    for op in api.message_operations:
        channel = channels.get(op.channel)
        if channel is None:
            continue
        messages = _messages(channel, op.messages)
        payloads = [m.payload for m in messages]
        reply_channel = channels.get(op.reply_channel)
        reply_messages = _messages(reply_channel, op.reply_messages) if reply_channel else []
        if op.has_reply and not reply_messages and op.reply_messages:
            # reply messages that live on the request channel (or elsewhere)
            every = [m for c in api.channels for m in c.messages]
            reply_messages = [next(m for m in every if m.name == n) for n in op.reply_messages if any(m.name == n for m in every)]
        reply_payloads = [m.payload for m in reply_messages]
        header_types = [m.headers for m in messages if m.headers is not None]
        content_type = messages[0].content_type if messages else "application/json"
        spec_name = constants.claim("_" + op.py_name.upper().lstrip("_"))
        reply_runtime = _union(runtime, reply_payloads) if op.has_reply else "None"
        spec_args = [
            f"name={literal(op.id)}",
            f"action={literal(op.action)}",
            f"address={literal(channel.address)}",
            f"params={_tuple([f'({literal(p.name)}, {literal(p.py_name)})' for p in channel.parameters])}",
            f"payload_type={_union(runtime, payloads)}",
            f"reply_type={reply_runtime}",
            f"reply_address={literal(reply_channel.address if reply_channel and '{' not in reply_channel.address else '')}",
            f"content_type={literal(content_type)}",
            f"has_reply={op.has_reply}",
        ]
        doc = op.summary
        if op.doc:
            doc = f"{doc}\n\n{op.doc}" if doc else op.doc
        doc = f"{doc}\n\nChannel: {channel.address}" if doc else f"Channel: {channel.address}"
        if op.deprecated:
            doc += "\n\nDeprecated."
        headers = _union(annotations, header_types) if header_types else "_t.Mapping[str, str]"
        if not header_types:
            annotations.used.add("_t.")
        operations.append(
            OperationView(
                name=op.py_name,
                spec_name=spec_name,
                spec_args=spec_args,
                action=op.action,
                params=[ParamView(wire=literal(p.name), name=p.py_name) for p in channel.parameters],
                payload=_union(annotations, payloads),
                headers=headers,
                reply=_union(annotations, reply_payloads) if op.has_reply else "None",
                has_reply=op.has_reply,
                handler_class=classes.claim(pascal(op.py_name, fallback="Operation") + "Handler"),
                doc_lines=docstring_lines(doc),
                deprecated=op.deprecated,
            )
        )
    used = annotations.used | runtime.used | {"_t."}
    lines = {IMPORT_OF_PREFIX[p] for p in IMPORT_OF_PREFIX if p in used}
    if _MODELS in used:
        lines.add("from . import models as _models")
    lines.add("from ._runtime import messaging_app as _rt")
    lines.add(f"from ._runtime.messaging_app import {', '.join(RUNTIME_EXPORTS[1:])}")
    lines.add("from ._runtime.messaging_connect import transport_for as _transport_for")
    if any(op.deprecated for op in operations):
        lines.add("import warnings as _warnings")
    handlers = [op.handler_class for op in operations if op.action == "receive"]
    return MessagingModule(
        imports=import_block(lines),
        title=literal(api.name),
        version=literal(api.version),
        operations=operations,
        exports=sort_all([*RUNTIME_EXPORTS, *handlers]),
    )
