"""Comparing the channels, messages and operations of two AsyncAPI revisions.

Seen from the application the spec describes: messages it *receives* are what it
accepts (the request direction of :mod:`wiregen.diff.schemas`), messages it *sends*
are what it emits (the response direction). A channel used both ways gets both.
"""

from __future__ import annotations

from wiregen.diff.changes import Findings, Site
from wiregen.diff.schemas import Direction, SchemaComparer
from wiregen.ir import model as ir


def compare_messaging(old: ir.Api, new: ir.Api, findings: Findings) -> None:
    schemas = SchemaComparer(old, new, findings)
    old_directions = _message_directions(old)
    new_directions = _message_directions(new)
    merged = dict(old_directions)
    for key, value in new_directions.items():
        merged[key] = merged.get(key, Direction.NONE) | value
    schemas.compare_definitions(schemas.directions(_roots(old, old_directions), _roots(new, new_directions)))
    _compare_channels(old, new, merged, schemas, findings)
    _compare_operations(old, new, findings)


def _message_directions(api: ir.Api) -> dict[tuple[str, str], Direction]:
    """(channel id, message name) -> how the application uses the message."""
    channels = {c.id: c for c in api.channels}
    found: dict[tuple[str, str], Direction] = {}

    def mark(channel_id: str, names: tuple[str, ...], direction: Direction) -> None:
        channel = channels.get(channel_id)
        if channel is None:
            return
        for message in channel.messages:
            if not names or message.name in names:
                key = (channel_id, message.name)
                found[key] = found.get(key, Direction.NONE) | direction

    for operation in api.message_operations:
        sends = operation.action == "send"
        mark(operation.channel, operation.messages, Direction.RESPONSE if sends else Direction.REQUEST)
        if operation.has_reply:
            reply_channel = operation.reply_channel or operation.channel
            mark(reply_channel, operation.reply_messages, Direction.REQUEST if sends else Direction.RESPONSE)
    return found


def _roots(
    api: ir.Api, directions: dict[tuple[str, str], Direction]
) -> list[tuple[ir.TypeExpr | None, Direction]]:
    roots: list[tuple[ir.TypeExpr | None, Direction]] = []
    for channel in api.channels:
        for message in channel.messages:
            direction = directions.get((channel.id, message.name), Direction.BOTH)
            roots.append((message.payload, direction))
            roots.append((message.headers, direction))
    return roots


def _compare_channels(
    old: ir.Api,
    new: ir.Api,
    directions: dict[tuple[str, str], Direction],
    schemas: SchemaComparer,
    findings: Findings,
) -> None:
    new_channels = {c.id: c for c in new.channels}
    for channel in old.channels:
        after = new_channels.get(channel.id)
        site = Site(f"channel {channel.id}", channel.span, after.span if after else None)
        if after is None:
            findings.add("D105", f"channel {_channel(channel)} was removed", site)
            continue
        if channel.address != after.address:
            findings.add("D501", f"channel {channel.id}: address changed from {channel.address} to {after.address}", site)
        before_params = {p.name for p in channel.parameters}
        after_params = {p.name for p in after.parameters}
        if before_params != after_params:
            changes = [f"+{n}" for n in sorted(after_params - before_params)]
            changes += [f"-{n}" for n in sorted(before_params - after_params)]
            findings.add("D504", f"channel {channel.id}: parameters changed ({', '.join(changes)})", site)
        if channel.bindings != after.bindings:
            findings.add("D508", f"channel {channel.id}: bindings changed", site)
        _compare_messages(channel, after, directions, schemas, findings)
    old_ids = {c.id for c in old.channels}
    for channel in new.channels:
        if channel.id not in old_ids:
            site = Site(f"channel {channel.id}", None, channel.span)
            findings.add("D106", f"channel {_channel(channel)} was added", site)


def _compare_messages(
    old: ir.Channel,
    new: ir.Channel,
    directions: dict[tuple[str, str], Direction],
    schemas: SchemaComparer,
    findings: Findings,
) -> None:
    new_messages = {m.name: m for m in new.messages}
    for message in old.messages:
        after = new_messages.get(message.name)
        subject = f"channel {old.id} > message {message.name}"
        site = Site(subject, message.span, after.span if after else None)
        if after is None:
            findings.add("D107", f"{subject} was removed", site)
            continue
        direction = directions.get((old.id, message.name), Direction.BOTH)
        if message.content_type != after.content_type:
            findings.add(
                "D505", f"{subject}: content type changed from {message.content_type} to {after.content_type}", site
            )
        if message.correlation_id != after.correlation_id:
            findings.add("D507", f"{subject}: correlation id location changed", site)
        for part, before, now in (("payload", message.payload, after.payload), ("headers", message.headers, after.headers)):
            where = site.at(f"{subject} {part}", site.old, site.new)
            if before is not None and now is not None:
                schemas.compare(before, now, direction, where)
            elif before is not None or now is not None:
                what = "gained" if now is not None else "lost"
                schemas.directed(direction, "D216", "D218", f"{subject} {what} its {part} schema", where)
    old_names = {m.name for m in old.messages}
    for message in new.messages:
        if message.name not in old_names:
            subject = f"channel {new.id} > message {message.name}"
            findings.add("D108", f"{subject} was added", Site(subject, None, message.span))


def _compare_operations(old: ir.Api, new: ir.Api, findings: Findings) -> None:
    new_operations = {op.id: op for op in new.message_operations}
    for operation in old.message_operations:
        after = new_operations.get(operation.id)
        subject = f"operation {operation.id}"
        site = Site(subject, operation.span, after.span if after else None)
        if after is None:
            findings.add("D101", f"{subject} ({operation.action} on {operation.channel}) was removed", site)
            if not operation.deprecated:
                findings.add("D702", f"{subject} was removed without being deprecated first", site)
            continue
        if operation.action != after.action:
            findings.add("D502", f"{subject}: action changed from {operation.action} to {after.action}", site)
        if operation.channel != after.channel:
            findings.add("D503", f"{subject}: moved from channel {operation.channel} to {after.channel}", site)
        if operation.has_reply != after.has_reply:
            findings.add("D506", f"{subject} {'now expects' if after.has_reply else 'no longer has'} a reply", site)
        elif operation.reply_channel != after.reply_channel:
            findings.add("D506", f"{subject}: reply channel changed", site)
        if operation.messages and (after.messages or operation.channel == after.channel):
            for name in operation.messages:
                if after.messages and name not in after.messages:
                    findings.add("D107", f"{subject} no longer carries message {name}", site)
        if operation.bindings != after.bindings:
            findings.add("D508", f"{subject}: bindings changed", site)
        if after.deprecated and not operation.deprecated:
            findings.add("D701", f"{subject} is deprecated", site)
    old_ids = {op.id for op in old.message_operations}
    for operation in new.message_operations:
        if operation.id not in old_ids:
            subject = f"operation {operation.id}"
            findings.add("D102", f"{subject} ({operation.action} on {operation.channel}) was added", Site(subject, None, operation.span))


def _channel(channel: ir.Channel) -> str:
    return channel.id if channel.address == channel.id else f"{channel.id} ({channel.address})"
