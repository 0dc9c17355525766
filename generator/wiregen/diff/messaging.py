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
    matched = match_channels(old, new)
    old_directions = _message_directions(old)
    new_directions = _message_directions(new)
    # Keyed by the old channel id: a renamed channel's messages travel as they did.
    back = {after: before for before, after in matched.items()}
    merged = dict(old_directions)
    for (channel, message), value in new_directions.items():
        key = (back.get(channel, channel), message)
        merged[key] = merged.get(key, Direction.NONE) | value
    schemas.compare_definitions(schemas.directions(_roots(old, old_directions), _roots(new, new_directions)))
    _compare_channels(old, new, matched, merged, schemas, findings)
    _compare_operations(old, new, matched, findings)


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
    matched: dict[str, str],
    directions: dict[tuple[str, str], Direction],
    schemas: SchemaComparer,
    findings: Findings,
) -> None:
    new_channels = {c.id: c for c in new.channels}
    for channel in old.channels:
        after = new_channels.get(matched.get(channel.id, ""))
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
    kept = set(matched.values())
    for channel in new.channels:
        if channel.id not in kept:
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
            elif now is not None:  # constrained where anything went: narrower
                schemas.directed(direction, "D216", "D219", f"{subject} gained a {part} schema", where)
            elif before is not None:  # anything goes now: wider
                schemas.directed(direction, "D217", "D218", f"{subject} lost its {part} schema", where)
                gone = schemas.inline_model(before)
                if gone:  # wider on the wire, but the generated model of the schema is gone
                    findings.add("D109", f"{subject}: the {part} model {gone} no longer exists", where, new=False)
    old_names = {m.name for m in old.messages}
    for message in new.messages:
        if message.name not in old_names:
            subject = f"channel {new.id} > message {message.name}"
            site = Site(subject, None, message.span)
            if Direction.RESPONSE in directions.get((new.id, message.name), Direction.NONE):
                # Sent to consumers built for the old set of messages: one that does not
                # know the new kind rejects it (a generated consumer dead-letters it).
                findings.add("D225", f"{subject} was added to what the application sends", site)
            else:
                findings.add("D108", f"{subject} was added", site)


def _compare_operations(old: ir.Api, new: ir.Api, matched: dict[str, str], findings: Findings) -> None:
    new_operations = {op.id: op for op in new.message_operations}
    new_channels = {c.id: c for c in new.channels}
    for operation in old.message_operations:
        after = new_operations.get(operation.id)
        subject = f"operation {operation.id}"
        site = Site(subject, operation.span, after.span if after else None)
        if after is None:
            # No D702: AsyncAPI operations (2.6 and 3.0) cannot be marked deprecated.
            findings.add("D101", f"{subject} ({operation.action} on {operation.channel}) was removed", site)
            continue
        if operation.action != after.action:
            findings.add("D502", f"{subject}: action changed from {operation.action} to {after.action}", site)
        same_channel = matched.get(operation.channel) == after.channel
        if not same_channel:
            findings.add("D503", f"{subject}: moved from channel {operation.channel} to {after.channel}", site)
        if operation.has_reply != after.has_reply:
            findings.add("D506", f"{subject} {'now expects' if after.has_reply else 'no longer has'} a reply", site)
        elif operation.reply_channel != after.reply_channel and matched.get(operation.reply_channel) != after.reply_channel:
            findings.add("D506", f"{subject}: reply channel changed", site)
        if operation.messages and after.messages and same_channel:
            # A message gone from the channel itself is reported there, once.
            still_there = {m.name for m in new_channels[after.channel].messages} if after.channel in new_channels else set()
            for name in operation.messages:
                if name not in after.messages and name in still_there:
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


def match_channels(old: ir.Api, new: ir.Api) -> dict[str, str]:
    """Old channel id -> the new channel that is the same channel.

    By id first; then, among the rest, by address: renaming a 3.0 channel's key is
    invisible on the wire (2.6 channels are keyed by their address anyway).
    """
    new_ids = {c.id for c in new.channels}
    matched = {c.id: c.id for c in old.channels if c.id in new_ids}
    free = {c.address: c.id for c in new.channels if c.id not in matched.values()}
    for channel in old.channels:
        if channel.id not in matched and channel.address in free:
            matched[channel.id] = free.pop(channel.address)
    return matched


def _channel(channel: ir.Channel) -> str:
    return channel.id if channel.address == channel.id else f"{channel.id} ({channel.address})"
