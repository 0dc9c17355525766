"""NATS JetStream transport (nats-py): durable consumers, manual acks.

Addresses map to subjects with ``/`` written as ``.``; a ``{parameter}`` matches one
token (``*``). Each receive operation's address pattern gets a stream (named after a
hash of the pattern) and a durable consumer per consumer group, so messages wait for a
consumer that is down, and one that dies before its ack gets them redelivered after
``ack_wait`` seconds (``nats://host:4222?ack_wait=30``). Dead letters go to a stream of
their own; replies use core NATS subjects.

Crash loops are bounded by JetStream itself: each durable consumer has ``MaxDeliver``
= ``max_attempts`` and ``BackOff`` = ``ack_wait + delay(n)`` for redelivery ``n``
(DESIGN §6 backoff caps), so a message whose consumer dies before acking it is
delivered at most ``max_attempts`` times, ever later. The server then publishes a
``MAX_DELIVERIES`` advisory, which a stream of the transport's (``WGA_...``) keeps
until a consumer of the same group -- any instance, now or after a restart -- moves
the message to ``<address>.dlq`` with ``wiregen-attempts`` (the delivery count) and
``wiregen-error`` (``DeliveryLimit: ...``). The original stays in the channel stream
(interest retention) unless this consumer group is the stream's only consumer, in
which case it is deleted. An existing durable consumer made without these limits is
updated in place (they are editable); if the server refuses, it stays as it is with a
``RuntimeWarning``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import urllib.parse
import warnings
from collections.abc import Mapping
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js import api as js_api
from nats.js.errors import BadRequestError, NotFoundError

from . import messaging_app as _app


def subject(address: str) -> str:
    return address.replace("/", ".")


def subject_pattern(pattern: str) -> str:
    return subject(re.sub(r"\{[^{}]+\}", "*", pattern))


def stream_name(subjects: str, *, dead_letters: bool = False) -> str:
    return ("WGD_" if dead_letters else "WGI_") + hashlib.sha256(subjects.encode()).hexdigest()[:20].upper()


def max_deliveries_subject(stream: str, durable: str) -> str:
    """The advisory JetStream publishes when a message of ``durable`` hit MaxDeliver."""
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{durable}"


def advisory_stream_name(stream: str, durable: str) -> str:
    return "WGA_" + hashlib.sha256(f"{stream}.{durable}".encode()).hexdigest()[:20].upper()


def address_of(subject_: str, pattern: str) -> str:
    """A concrete subject back to the channel's address form (``a.1.b`` -> ``a/1/b``)."""
    match = _app.address_regex(subject(pattern), "[^.]+?").fullmatch(subject_)
    if match is None:
        return subject_
    names = list(dict.fromkeys(re.findall(r"\{([^{}]+)\}", pattern)))
    return _app.fill_address(pattern, {name: match.group(f"p{i}") for i, name in enumerate(names)})


class NatsTransport:
    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.ack_wait = float(query.get("ack_wait", "30"))
        self._nc: Any = None
        self._js: Any = None
        self._streams: set[str] = set()
        self._dead_letter_streams: set[str] = set()
        self._advisory_streams: set[str] = set()
        self._consumers: set[tuple[str, str]] = set()
        self._subs: list[Any] = []
        self.redelivery = _app.Redelivery.of(_app.Settings())

    def configure(self, redelivery: _app.Redelivery) -> None:
        self.redelivery = redelivery

    def _ready(self) -> tuple[Any, Any]:
        if self._nc is None:
            raise RuntimeError("not connected: use `async with app:`")
        return self._nc, self._js

    async def connect(self) -> None:
        self._nc = await nats.connect(self.url)
        self._js = self._nc.jetstream()

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.drain()
        self._nc = self._js = None
        self._subs.clear()

    async def _stream(self, subjects: str, *, dead_letters: bool = False) -> str:
        """A stream for ``subjects``: interest retention for channels (a message stays
        until every consumer group acked it), limits retention for dead letters."""
        name = stream_name(subjects, dead_letters=dead_letters)
        if name not in self._streams:
            _, js = self._ready()
            retention = js_api.RetentionPolicy.LIMITS if dead_letters else js_api.RetentionPolicy.INTEREST
            with contextlib.suppress(BadRequestError):  # it exists (same name, same subjects)
                await js.add_stream(name=name, subjects=[subjects], retention=retention)
            self._streams.add(name)
            if dead_letters:
                self._dead_letter_streams.add(name)
        return name

    async def publish(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        nc, _ = self._ready()
        await nc.publish(subject(address), body, headers=dict(headers))
        await nc.flush()

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        nc, js = self._ready()
        if address.endswith(self.redelivery.dead_letter_suffix):
            await self._stream(subject(address), dead_letters=True)
            await js.publish(subject(address), body, headers=dict(headers))
            return
        await nc.publish(address, body, headers=dict(headers))

    def _callback(self, deliver: _app.Deliver, *, ack: bool) -> Any:
        async def on_message(message: Msg) -> None:
            headers = dict(message.headers or {})
            delivery = _app.Delivery(address=message.subject, body=message.data, headers=headers)
            try:
                await deliver(delivery)
            except _app.HANDLER_ERRORS:  # not acknowledged: JetStream redelivers it (MaxDeliver bounds it)
                if ack:
                    await message.nak(delay=self.redelivery.delay(message.metadata.num_delivered or 1))
                return
            if ack:
                await message.ack()

        return on_message

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        _, js = self._ready()
        subjects = subject_pattern(pattern)
        stream = await self._stream(subjects)
        durable = re.sub(r"[^A-Za-z0-9_-]", "_", group)
        config = self.consumer_config()
        await self._watch_delivery_limit(stream, durable, pattern)
        await self._update_consumer(stream, durable, config)
        sub = await js.subscribe(
            subjects, durable=durable, stream=stream, cb=self._callback(deliver, ack=True), manual_ack=True, config=config
        )
        self._subs.append(sub)
        self._consumers.add((stream, durable))

    def consumer_config(self) -> js_api.ConsumerConfig:
        """MaxDeliver and BackOff from the redelivery policy: after delivery ``n`` the
        consumer has ``ack_wait + delay(n)`` seconds before JetStream redelivers."""
        backoff = [self.ack_wait + d for d in self.redelivery.delays()]
        return js_api.ConsumerConfig(
            ack_wait=backoff[0] if backoff else self.ack_wait,
            max_ack_pending=64,
            deliver_policy=js_api.DeliverPolicy.NEW,
            max_deliver=self.redelivery.max_deliveries,
            backoff=backoff or None,
        )

    async def _update_consumer(self, stream: str, durable: str, config: js_api.ConsumerConfig) -> None:
        """Give an existing durable consumer the current limits (they are editable)."""
        _, js = self._ready()
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            return  # subscribing creates it with ``config``
        old = info.config
        if old.max_deliver == config.max_deliver and list(old.backoff or []) == list(config.backoff or []):
            return
        new = js_api.ConsumerConfig(
            durable_name=durable,
            deliver_subject=old.deliver_subject,
            deliver_group=old.deliver_group,
            deliver_policy=old.deliver_policy,
            ack_policy=old.ack_policy,
            filter_subject=old.filter_subject,
            max_ack_pending=old.max_ack_pending,
            ack_wait=config.ack_wait,
            max_deliver=config.max_deliver,
            backoff=config.backoff,
        )
        try:
            await js.add_consumer(stream, new)
        except BadRequestError as exc:
            warnings.warn(
                f"JetStream consumer {durable!r} keeps its old limits ({exc}): delete it to get "
                f"MaxDeliver={config.max_deliver}",
                RuntimeWarning,
                stacklevel=2,
            )

    async def _watch_delivery_limit(self, stream: str, durable: str, pattern: str) -> None:
        """Keep the consumer's MAX_DELIVERIES advisories in a stream and dead-letter
        the messages they name (any instance of the group does it, now or later)."""
        _, js = self._ready()
        advisories = max_deliveries_subject(stream, durable)
        name = advisory_stream_name(stream, durable)
        with contextlib.suppress(BadRequestError):  # it exists
            await js.add_stream(name=name, subjects=[advisories], retention=js_api.RetentionPolicy.WORK_QUEUE)
        self._advisory_streams.add(name)
        config = js_api.ConsumerConfig(ack_wait=30.0, deliver_policy=js_api.DeliverPolicy.ALL)
        sub = await js.subscribe(
            advisories, durable=durable, stream=name, cb=self._on_delivery_limit(stream, pattern), manual_ack=True,
            config=config,
        )
        self._subs.append(sub)

    def _on_delivery_limit(self, stream: str, pattern: str) -> Any:
        async def on_advisory(message: Msg) -> None:
            try:
                await self._dead_letter_limited(stream, pattern, message.data)
            except _app.HANDLER_ERRORS:
                await message.nak(delay=1.0)
                return
            await message.ack()

        return on_advisory

    async def _dead_letter_limited(self, stream: str, pattern: str, advisory: bytes) -> None:
        _, js = self._ready()
        event = json.loads(advisory)
        seq = int(event["stream_seq"])
        deliveries = int(event.get("deliveries") or self.redelivery.max_deliveries)
        try:
            original = await js.get_msg(stream, seq)
        except NotFoundError:
            return  # gone already (another instance dead-lettered it, or stream limits)
        headers = {str(k): str(v) for k, v in (original.headers or {}).items()}
        address = headers.get(_app.ADDRESS) or address_of(original.subject or "", pattern)
        headers[_app.ATTEMPTS] = str(deliveries)
        headers[_app.ERROR] = _app.DELIVERY_LIMIT_ERROR.format(deliveries)
        await self.send_direct(address + self.redelivery.dead_letter_suffix, original.data or b"", headers)
        info = await js.stream_info(stream)
        if info.state.consumer_count <= 1:  # no other group still needs it
            with contextlib.suppress(NotFoundError):
                await js.delete_msg(stream, seq)

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        nc, _ = self._ready()
        self._subs.append(await nc.subscribe(address, cb=self._callback(deliver, ack=False)))

    async def forget(self) -> None:
        """Delete the durable consumers and dead-letter streams this transport created
        (for tests and tools; channel streams are shared and stay)."""
        _, js = self._ready()
        for stream, durable in sorted(self._consumers):
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(stream, durable)
        for name in sorted(self._dead_letter_streams | self._advisory_streams):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)
        self._consumers.clear()
        self._dead_letter_streams.clear()
        self._advisory_streams.clear()
