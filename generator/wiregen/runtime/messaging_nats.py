"""NATS JetStream transport (nats-py): durable streams and consumers, manual acks.

Addresses map to subjects with ``/`` written as ``.``; a ``{parameter}`` matches one
token (``*``). Each channel's address pattern gets a stream (named after a hash of the
pattern) and each receive operation a durable consumer per consumer group, so messages
wait for a consumer that is down, and one that dies before its ack gets them
redelivered after ``ack_wait`` seconds (``nats://host:4222?ack_wait=30``). Dead letters
go to a stream of their own; replies use core NATS subjects.

Publishing is durable: a send makes sure its channel's stream exists, publishes with
JetStream and returns only when the PubAck says the stream stored the message; a
refusal, no stream for the subject, or no PubAck within the send's ``timeout``
raises :class:`~messaging_app.PublishError` (``PublishTimeout``), so the caller knows.

Channel streams use *limits* retention with a maximum age (``?max_age=`` seconds,
default 7 days, ``0`` = no limit), not interest retention: under interest retention
JetStream discards, with a positive PubAck, every message published while no consumer
exists, and in a spec-first system publishers routinely start before (or without) the
consumers, or a new consumer group is deployed later. With limits retention each
message stays until it is ``max_age`` old, whoever has acked it; every consumer group
(durable consumer) still gets every message, acks it after its handler succeeded and
sees it redelivered up to ``MaxDeliver``. A new group starts with the oldest message
still kept (``DeliverPolicy.ALL``), so it also gets what was published before it
existed; an existing group goes on where it stopped. Work-queue retention is no
alternative: it allows one consumer per subject, not one per group. The settings apply
when the stream is created. A channel stream an older version made with interest
retention (NATS cannot change retention in place) is recreated with limits retention
when it has no consumers and no messages (nothing can be lost); otherwise it is kept,
with a ``RuntimeWarning``.

Crash loops are bounded by JetStream itself: each durable consumer has ``MaxDeliver``
= ``max_attempts`` and ``BackOff`` = ``ack_wait + delay(n)`` for redelivery ``n``
(DESIGN §6 backoff caps), so a message whose consumer dies before acking it is
delivered at most ``max_attempts`` times, ever later. The server then publishes a
``MAX_DELIVERIES`` advisory, which a stream of the transport's (``WGA_...``) keeps
until a consumer of the same group -- any instance, now or after a restart -- moves
the message to ``<address>.dlq`` with ``wiregen-attempts`` (the delivery count) and
``wiregen-error`` (``DeliveryLimit: ...``). The original is deleted from the channel
stream when this consumer group is the stream's only consumer (so a group created
later does not get it either); otherwise it stays for the other groups. An existing
durable consumer made without these limits is updated in place (they are editable);
if the server refuses, it stays as it is with a ``RuntimeWarning``.
"""

from __future__ import annotations

import asyncio
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
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api as js_api
from nats.js.errors import APIError, BadRequestError, NotFoundError
from nats.js.errors import NoStreamResponseError as NoStreamError

from . import messaging_app as _app


def subject(address: str) -> str:
    return address.replace("/", ".")


def subject_pattern(pattern: str) -> str:
    return subject(re.sub(r"\{[^{}]+\}", "*", pattern))


DEFAULT_MAX_AGE = 7 * 86_400.0
"""Seconds a channel stream keeps a message (``?max_age=``; 0 = no limit)."""

STREAM_IN_USE = 10058  # "stream name already in use with a different configuration"


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
        self.max_age = float(query.get("max_age", DEFAULT_MAX_AGE))
        self._nc: Any = None
        self._js: Any = None
        self._streams: set[str] = set()
        self._dead_letter_streams: set[str] = set()
        self._advisory_streams: set[str] = set()
        self._consumers: set[tuple[str, str]] = set()
        self._subs: list[Any] = []
        self._stream_lock = asyncio.Lock()
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

    def stream_config(self, subjects: str, *, dead_letters: bool = False) -> js_api.StreamConfig:
        """Limits retention: channel streams keep a message ``max_age`` seconds, dead
        letters until someone deletes them."""
        return js_api.StreamConfig(
            name=stream_name(subjects, dead_letters=dead_letters),
            subjects=[subjects],
            retention=js_api.RetentionPolicy.LIMITS,
            max_age=None if dead_letters or self.max_age <= 0 else self.max_age,
        )

    async def _stream(self, subjects: str, *, dead_letters: bool = False) -> str:
        """Make sure the stream for ``subjects`` exists (once per transport)."""
        name = stream_name(subjects, dead_letters=dead_letters)
        if name in self._streams:
            return name
        async with self._stream_lock:  # concurrent first sends: one request, not one each
            if name not in self._streams:
                await self._add_stream(self.stream_config(subjects, dead_letters=dead_letters))
                self._streams.add(name)
                if dead_letters:
                    self._dead_letter_streams.add(name)
        return name

    async def _add_stream(self, config: js_api.StreamConfig) -> None:
        _, js = self._ready()
        try:
            await js.add_stream(config)
            return
        except BadRequestError as exc:
            if exc.err_code != STREAM_IN_USE:
                return  # e.g. another stream covers these subjects: JetStream stores there
        info = await js.stream_info(config.name)
        if info.config.retention != js_api.RetentionPolicy.INTEREST:
            return  # limits retention with other settings (max_age, ...): used as it is
        if info.state.consumer_count == 0 and info.state.messages == 0:
            # Interest retention without consumers discards every message anyway.
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(config.name)
            with contextlib.suppress(BadRequestError):  # another instance was quicker
                await js.add_stream(config)
            return
        warnings.warn(
            f"JetStream stream {config.name!r} ({', '.join(config.subjects or [])}) has interest retention, which "
            "NATS cannot change: messages published while no consumer group exists are discarded; delete the stream "
            "to get limits retention",
            RuntimeWarning,
            stacklevel=2,
        )

    async def _confirmed(self, address: str, subject_: str, body: bytes, headers: Mapping[str, str], timeout: float | None) -> None:
        """Publish with JetStream and wait for the PubAck: the stream stored the message."""
        _, js = self._ready()
        wait = timeout if timeout is not None else _app.DEFAULT_PUBLISH_TIMEOUT
        try:
            await js.publish(subject_, body, timeout=wait, headers=dict(headers))
        except NoStreamError as exc:
            raise _app.PublishError(f"no JetStream stream stores subject {subject_!r}", address=address) from exc
        except NatsTimeoutError as exc:
            raise _app.PublishTimeout(f"no JetStream PubAck for {subject_!r} within {wait:g} s", address=address) from exc
        except APIError as exc:
            raise _app.PublishError(f"JetStream did not store the message for {subject_!r}: {exc}", address=address) from exc
        except NatsError as exc:  # connection closed, draining, ...
            raise _app.PublishError(f"publishing to {subject_!r} failed: {type(exc).__name__}: {exc}", address=address) from exc

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        channel = headers.get(_app.CHANNEL)
        if channel:  # a send of the app: its channel's stream (a plain call: whatever stream covers it)
            try:
                await self._stream(subject_pattern(channel))
            except NatsError as exc:
                raise _app.PublishError(f"cannot create the JetStream stream for {channel!r}: {exc}", address=address) from exc
        await self._confirmed(address, subject(address), body, headers, timeout)

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        nc, _ = self._ready()
        if address.endswith(self.redelivery.dead_letter_suffix):
            await self._stream(subject(address), dead_letters=True)
            await self._confirmed(address, subject(address), body, headers, None)
            return
        await nc.publish(address, body, headers=dict(headers))  # a reply: core NATS, to a requester waiting now

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
            deliver_policy=js_api.DeliverPolicy.ALL,  # a new group: everything the stream keeps
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
        if info.state.consumer_count <= 1:  # no other group still needs it (nor gets it later)
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
