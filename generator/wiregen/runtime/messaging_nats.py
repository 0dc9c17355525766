"""NATS JetStream transport (nats-py): durable consumers, manual acks.

Addresses map to subjects with ``/`` written as ``.``; a ``{parameter}`` matches one
token (``*``). Each receive operation's address pattern gets a stream (named after a
hash of the pattern) and a durable consumer per consumer group, so messages wait for a
consumer that is down, and one that dies before its ack gets them redelivered after
``ack_wait`` seconds (``nats://host:4222?ack_wait=30``). Dead letters go to a stream of
their own; replies use core NATS subjects.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import urllib.parse
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
        self._consumers: set[tuple[str, str]] = set()
        self._subs: list[Any] = []

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
        if address.endswith(".dlq"):
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
            except _app.HANDLER_ERRORS:  # not acknowledged: JetStream redelivers it
                if ack:
                    await message.nak()
                return
            if ack:
                await message.ack()

        return on_message

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        _, js = self._ready()
        subjects = subject_pattern(pattern)
        stream = await self._stream(subjects)
        durable = re.sub(r"[^A-Za-z0-9_-]", "_", group)
        config = js_api.ConsumerConfig(
            ack_wait=self.ack_wait, max_ack_pending=64, deliver_policy=js_api.DeliverPolicy.NEW
        )
        sub = await js.subscribe(
            subjects, durable=durable, stream=stream, cb=self._callback(deliver, ack=True), manual_ack=True, config=config
        )
        self._subs.append(sub)
        self._consumers.add((stream, durable))

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
        for name in sorted(self._dead_letter_streams):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)
        self._consumers.clear()
        self._dead_letter_streams.clear()
