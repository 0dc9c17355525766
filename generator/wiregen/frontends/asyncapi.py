"""AsyncAPI 2.6 / 3.0 -> IR (channels, messages, send/receive operations, types).

Knows the AsyncAPI document structure and nothing about Python or templates.
Payload and header schemas go to :class:`~wiregen.frontends.jsonschema.SchemaConverter`.

AsyncAPI 2.x describes operations from the point of view of *other* parties: a
channel's ``subscribe`` is what clients subscribe to, i.e. what this application
**sends**; its ``publish`` is what clients publish, i.e. what the application
**receives**. 3.0 says ``action: send|receive`` directly. The IR holds the
application's view only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from wiregen.diagnostics import Diagnostic, warning
from wiregen.frontends.jsonschema import Loc, SchemaConverter
from wiregen.ir import model as ir
from wiregen.load import Document, Workspace
from wiregen.passes.identifiers import pascal

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_JSON_SCHEMA_FORMATS = re.compile(
    r"^(application/(schema\+json|vnd\.aai\.asyncapi(\+json|\+yaml)?)(;version=.*)?|application/schema\+yaml(;version=.*)?)$"
)
_BINDINGS = ("amqp", "kafka", "mqtt", "nats", "redis")


def build_api(doc: Document, workspace: Workspace, version: str) -> tuple[ir.Api, list[Diagnostic]]:
    return _AsyncApiFrontend(doc, workspace, version).build()


def placeholders(address: str) -> list[str]:
    """The ``{name}`` placeholders of a channel address, in order, each once."""
    seen: list[str] = []
    for name in _PLACEHOLDER.findall(address):
        if name not in seen:
            seen.append(name)
    return seen


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _bindings(node: Any) -> str:
    """The delivery-relevant protocol bindings as canonical JSON (empty when none)."""
    if not isinstance(node, Mapping):
        return ""
    kept = {k: node[k] for k in _BINDINGS if isinstance(node.get(k), Mapping)}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), default=str) if kept else ""


class _AsyncApiFrontend:
    def __init__(self, doc: Document, workspace: Workspace, version: str) -> None:
        self._doc = doc
        self._ws = workspace
        self._version = version
        self._root = Loc(doc, "", doc.data)
        self._schemas = SchemaConverter(workspace, nullable_keyword=False)
        self._diagnostics: list[Diagnostic] = []
        data = doc.data
        self._default_content_type = _text(data.get("defaultContentType")) or "application/json"
        self._message_cache: dict[str, ir.Message] = {}
        self._message_names: dict[str, str] = {}
        """message id -> unique message name."""

    # ------------------------------------------------------------------- util

    def _deref(self, loc: Loc) -> Loc:
        seen: set[str] = set()
        while isinstance(loc.node, Mapping) and isinstance(loc.node.get("$ref"), str):
            if loc.id in seen:
                break
            seen.add(loc.id)
            resolved = self._ws.resolve_ref(loc.node["$ref"], loc.doc, loc.child("$ref").span)
            loc = Loc(resolved.document, resolved.pointer, resolved.node)
        return loc

    def _mapping(self, loc: Loc, key: str) -> Loc | None:
        node = loc.node
        if isinstance(node, Mapping) and isinstance(node.get(key), Mapping):
            return self._deref(loc.child(key))
        return None

    # ------------------------------------------------------------------ build

    def build(self) -> tuple[ir.Api, list[Diagnostic]]:
        data = self._root.node
        info = data.get("info") if isinstance(data.get("info"), Mapping) else {}
        components = self._mapping(self._root, "components")
        if components is not None and isinstance(components.node.get("schemas"), Mapping):
            self._schemas.register_components(components.child("schemas"))
        if self._version == "2.6":
            channels, operations = self._channels_2()
        else:
            channels, operations = self._channels_3()
        api = ir.Api(
            name=str(info.get("title") or "API"),
            version=str(info.get("version") or "0.0.0"),
            source_format=f"asyncapi-{self._version}",
            doc=_text(info.get("description")),
            servers=self._servers(data.get("servers")),
            types=self._schemas.definitions(),
            span=self._root.span,
            channels=channels,
            message_operations=operations,
        )
        return api, self._diagnostics + self._schemas.diagnostics

    def _servers(self, servers: Any) -> tuple[ir.Server, ...]:
        if not isinstance(servers, Mapping):
            return ()
        result = []
        for name in servers:
            loc = self._deref(self._root.child("servers", name))
            node = loc.node
            if not isinstance(node, Mapping):
                continue
            protocol = _text(node.get("protocol")) or "memory"
            if self._version == "2.6":
                url = _text(node.get("url"))
                if "://" not in url:
                    url = f"{protocol}://{url}"
            else:
                url = f"{protocol}://{_text(node.get('host'))}{_text(node.get('pathname'))}"
            variables = []
            raw = node.get("variables")
            if isinstance(raw, Mapping):
                for var_name, var in raw.items():
                    if isinstance(var, Mapping):
                        enum = var.get("enum")
                        variables.append(
                            ir.ServerVariable(
                                name=str(var_name),
                                default=str(var.get("default", "")),
                                enum=tuple(str(v) for v in enum) if isinstance(enum, list) else (),
                                doc=_text(var.get("description")),
                            )
                        )
            result.append(ir.Server(url=url, variables=tuple(variables), doc=_text(node.get("description")) or str(name)))
        return tuple(result)

    # --------------------------------------------------------------- messages

    def _merged(self, loc: Loc) -> dict[str, Any]:
        """The object with its ``traits`` applied (the object's own fields win)."""
        node = loc.node
        merged: dict[str, Any] = {}
        traits = node.get("traits")
        if isinstance(traits, list):
            for index in range(len(traits)):
                trait = self._deref(loc.child("traits", index)).node
                if isinstance(trait, list):  # 2.x allows [trait, parameters]
                    trait = trait[0] if trait else {}
                if isinstance(trait, Mapping):
                    merged.update(trait)
        merged.update({k: v for k, v in node.items() if k != "traits"})
        return merged

    def _trait_loc(self, loc: Loc, key: str) -> Loc | None:
        """Where ``key`` of the merged object comes from (the object itself or a trait)."""
        if isinstance(loc.node, Mapping) and key in loc.node:
            return loc.child(key)
        traits = loc.node.get("traits") if isinstance(loc.node, Mapping) else None
        if isinstance(traits, list):
            for index in reversed(range(len(traits))):
                trait = self._deref(loc.child("traits", index))
                if isinstance(trait.node, Mapping) and key in trait.node:
                    return trait.child(key)
        return None

    def _message_name(self, loc: Loc, fallback: str) -> str:
        if loc.id in self._message_names:
            return self._message_names[loc.id]
        node = loc.node
        name = ""
        if isinstance(node, Mapping):
            name = _text(node.get("name")) or _text(node.get("messageId"))
        if not name:
            match = re.search(r"/messages/([^/]+)$", loc.pointer)
            name = match.group(1).replace("~1", "/").replace("~0", "~") if match else fallback
        taken = set(self._message_names.values())
        unique, n = name, 2
        while unique in taken:
            unique, n = f"{name}{n}", n + 1
        self._message_names[loc.id] = unique
        return unique

    def _message(self, loc: Loc, fallback: str) -> ir.Message:
        loc = self._deref(loc)
        if loc.id in self._message_cache:
            return self._message_cache[loc.id]
        name = self._message_name(loc, fallback)
        node = self._merged(loc) if isinstance(loc.node, Mapping) else {}
        class_base = pascal(name, fallback="Message")
        payload = None
        payload_loc = self._trait_loc(loc, "payload")
        if payload_loc is not None:
            payload = self._payload(payload_loc, node, f"{class_base}Payload")
        headers = None
        headers_loc = self._trait_loc(loc, "headers")
        if headers_loc is not None:
            headers = self._payload(headers_loc, node, f"{class_base}Headers")
        correlation = ""
        corr_loc = self._trait_loc(loc, "correlationId")
        if corr_loc is not None:
            corr = self._deref(corr_loc).node
            if isinstance(corr, Mapping):
                correlation = _text(corr.get("location"))
        message = ir.Message(
            name=name,
            title=_text(node.get("title")),
            doc=_text(node.get("summary")) or _text(node.get("description")),
            payload=payload,
            headers=headers,
            content_type=_text(node.get("contentType")) or self._default_content_type,
            correlation_id=correlation,
            span=loc.span,
        )
        self._message_cache[loc.id] = message
        return message

    def _payload(self, loc: Loc, message: Mapping[str, Any], name: str) -> ir.TypeExpr:
        schema_format = _text(message.get("schemaFormat"))
        loc = self._deref(loc)
        node = loc.node
        # 3.0 multi-format schema: {schemaFormat, schema}
        if self._version != "2.6" and isinstance(node, Mapping) and "schemaFormat" in node and "schema" in node:
            schema_format = _text(node.get("schemaFormat"))
            loc = loc.child("schema")
        if schema_format and not _JSON_SCHEMA_FORMATS.match(schema_format):
            self._diagnostics.append(
                warning(
                    "WG311",
                    f"schema format {schema_format!r} is not JSON Schema; the payload is typed as Any",
                    loc.span,
                )
            )
            return ir.Primitive(kind=ir.PrimitiveKind.ANY)
        return self._schemas.define(loc, name)

    def _channel_messages_2(self, op_loc: Loc, fallback: str) -> list[ir.Message]:
        message_loc = self._mapping(op_loc, "message")
        if message_loc is None:
            return []
        node = message_loc.node
        if isinstance(node.get("oneOf"), list):
            return [self._message(message_loc.child("oneOf", i), f"{fallback}{i + 1}") for i in range(len(node["oneOf"]))]
        return [self._message(message_loc, fallback)]

    # ----------------------------------------------------------------- 2.6

    def _channels_2(self) -> tuple[tuple[ir.Channel, ...], tuple[ir.MessageOperation, ...]]:
        channels: list[ir.Channel] = []
        operations: list[ir.MessageOperation] = []
        raw = self._root.node.get("channels")
        if not isinstance(raw, Mapping):
            return (), ()
        for address in raw:
            loc = self._deref(self._root.child("channels", address))
            node = loc.node
            if not isinstance(node, Mapping):
                continue
            messages: dict[str, ir.Message] = {}
            channel_ops: list[ir.MessageOperation] = []
            # subscribe: clients receive it, so the application sends; publish: the reverse.
            for verb, action in (("subscribe", "send"), ("publish", "receive")):
                op_loc = self._mapping(loc, verb)
                if op_loc is None:
                    continue
                op = self._merged(op_loc)
                fallback = pascal(f"{address} {verb}", fallback="Message") + "Message"
                carried = self._channel_messages_2(op_loc, fallback)
                for message in carried:
                    messages.setdefault(message.name, message)
                op_id = _text(op.get("operationId")) or f"{action} {address}"
                channel_ops.append(
                    ir.MessageOperation(
                        id=op_id,
                        action=action,
                        channel=str(address),
                        messages=tuple(m.name for m in carried),
                        summary=_text(op.get("summary")),
                        doc=_text(op.get("description")),
                        deprecated=bool(op.get("deprecated", False)),
                        bindings=_bindings(op.get("bindings")),
                        span=op_loc.span,
                    )
                )
            channels.append(self._channel(str(address), str(address), loc, node, tuple(messages.values())))
            operations.extend(channel_ops)
        return tuple(channels), tuple(operations)

    def _channel(self, channel_id: str, address: str, loc: Loc, node: Mapping[str, Any], messages: tuple[ir.Message, ...]) -> ir.Channel:
        raw_params = node.get("parameters")
        params_node: Mapping[str, Any] = raw_params if isinstance(raw_params, Mapping) else {}
        parameters = []
        for name in placeholders(address):
            doc = ""
            if name in params_node:
                param = self._deref(loc.child("parameters", name)).node
                if isinstance(param, Mapping):
                    doc = _text(param.get("description"))
            parameters.append(ir.ChannelParameter(name=name, doc=doc))
        return ir.Channel(
            id=channel_id,
            address=address,
            parameters=tuple(parameters),
            messages=messages,
            bindings=_bindings(node.get("bindings")),
            doc=_text(node.get("description")),
            span=loc.span,
        )

    # ----------------------------------------------------------------- 3.0

    def _channels_3(self) -> tuple[tuple[ir.Channel, ...], tuple[ir.MessageOperation, ...]]:
        channels: dict[str, ir.Channel] = {}
        by_location: dict[str, str] = {}
        raw = self._root.node.get("channels")
        if isinstance(raw, Mapping):
            for key in raw:
                channel = self._channel_3(self._root.child("channels", key), str(key))
                if channel is not None:
                    channels[channel.id] = channel
                    by_location[self._deref(self._root.child("channels", key)).id] = channel.id
        operations: list[ir.MessageOperation] = []
        raw_ops = self._root.node.get("operations")
        if isinstance(raw_ops, Mapping):
            for key in raw_ops:
                op = self._operation_3(self._root.child("operations", key), str(key), channels, by_location)
                if op is not None:
                    operations.append(op)
        return tuple(channels.values()), tuple(operations)

    def _channel_3(self, ref_loc: Loc, key: str) -> ir.Channel | None:
        loc = self._deref(ref_loc)
        node = loc.node
        if not isinstance(node, Mapping):
            return None
        address = node.get("address")
        address = address if isinstance(address, str) else ""
        messages: list[ir.Message] = []
        raw = node.get("messages")
        if isinstance(raw, Mapping):
            for name in raw:
                messages.append(self._message(loc.child("messages", name), str(name)))
        return self._channel(key, address, loc, node, tuple(messages))

    def _channel_id(self, ref_loc: Loc | None, by_location: dict[str, str], channels: dict[str, ir.Channel]) -> str:
        if ref_loc is None:
            return ""
        target = self._deref(ref_loc)
        if target.id in by_location:
            return by_location[target.id]
        channel = self._channel_3(target, target.pointer.rsplit("/", 1)[-1] or "channel")
        if channel is None:
            return ""
        channels[channel.id] = channel
        by_location[target.id] = channel.id
        return channel.id

    def _message_refs(self, loc: Loc, key: str) -> tuple[str, ...]:
        raw = loc.node.get(key) if isinstance(loc.node, Mapping) else None
        if not isinstance(raw, list):
            return ()
        return tuple(self._message(loc.child(key, i), f"Message{i + 1}").name for i in range(len(raw)))

    def _operation_3(
        self, ref_loc: Loc, key: str, channels: dict[str, ir.Channel], by_location: dict[str, str]
    ) -> ir.MessageOperation | None:
        loc = self._deref(ref_loc)
        if not isinstance(loc.node, Mapping):
            return None
        node = self._merged(loc)
        action = node.get("action")
        if action not in ("send", "receive"):
            return None
        channel_loc = self._trait_loc(loc, "channel")
        channel = self._channel_id(channel_loc, by_location, channels)
        if not channel:
            return None
        reply_channel = ""
        reply_messages: tuple[str, ...] = ()
        has_reply = False
        reply_loc = self._trait_loc(loc, "reply")
        if reply_loc is not None:
            reply = self._deref(reply_loc)
            if isinstance(reply.node, Mapping):
                has_reply = True
                if isinstance(reply.node.get("channel"), Mapping):
                    reply_channel = self._channel_id(reply.child("channel"), by_location, channels)
                reply_messages = self._message_refs(reply, "messages")
                if not reply_messages and reply_channel:
                    reply_messages = tuple(m.name for m in channels[reply_channel].messages)
        return ir.MessageOperation(
            id=key,
            action=str(action),
            channel=channel,
            messages=self._message_refs(loc, "messages"),
            reply_channel=reply_channel,
            reply_messages=reply_messages,
            has_reply=has_reply,
            summary=_text(node.get("summary")) or _text(node.get("title")),
            doc=_text(node.get("description")),
            deprecated=bool(node.get("deprecated", False)),
            bindings=_bindings(node.get("bindings")),
            span=loc.span,
        )


# --------------------------------------------------------------------- naming

APP_RESERVED = frozenset(
    {
        "self", "start", "close", "broker", "settings", "publish", "subscribe", "on_event", "api_version",
        "runtime", "transport", "dead_letters",
    }
)
_CALL_RESERVED = frozenset({"self", "payload", "headers", "timeout", "message_id", "correlation_id", "handler"})


def name_messaging(api: ir.Api) -> ir.Api:
    """``py_name`` for operations (app attributes), messages and channel parameters."""
    from dataclasses import replace

    from wiregen.passes.identifiers import Scope, snake

    methods = Scope(APP_RESERVED)
    operations = tuple(replace(op, py_name=methods.claim(snake(op.id, fallback="operation"))) for op in api.message_operations)
    classes = Scope({t.py_name for t in api.types} | {"Message"})
    channels = []
    for channel in api.channels:
        params = Scope(_CALL_RESERVED)
        parameters = tuple(replace(p, py_name=params.claim(snake(p.name, fallback="param"))) for p in channel.parameters)
        messages = tuple(replace(m, py_name=classes.claim(pascal(m.name, fallback="Message"))) for m in channel.messages)
        channels.append(replace(channel, parameters=parameters, messages=messages))
    return replace(api, channels=tuple(channels), message_operations=operations)
