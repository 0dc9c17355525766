"""Redis Streams transport (redis-py asyncio): consumer groups, XACK after success.

A channel is one stream whose key is the channel's address template (``a/{id}/b``);
each entry holds ``body`` and ``headers`` (JSON), the concrete address travelling in
the ``wiregen-address`` header. Each receive operation reads through a consumer group;
an entry is acknowledged (XACK) only after it was handled, and entries a dead consumer
left pending are claimed (XCLAIM) after ``ack_wait`` seconds
(``redis://host:6379/0?ack_wait=30``). Dead letters are streams ``<address>.dlq``;
replies go to the requester's own stream (expiring ``REPLY_TTL`` after the last reply).

Crash loops are bounded with the group's pending entries list, which counts the
deliveries of every entry: an entry delivered ``n`` times is claimed again only after
``ack_wait + delay(n)`` seconds idle (DESIGN §6 backoff caps), and one already
delivered ``max_attempts`` times is claimed, moved to ``<address>.dlq`` with
``wiregen-attempts`` (its delivery count) and ``wiregen-error`` (``DeliveryLimit:
...``), and acknowledged -- by any live consumer of the group, without the handler.

A send returns once XADD answered with the entry's id (Redis stored it; whether it
survives a Redis restart is Redis's own persistence setting), and raises
:class:`~messaging_app.PublishError` on an error reply or a lost connection
(``PublishTimeout`` after the send's ``timeout``). Publishers may start before the
consumers: a consumer group created later starts with the entries of the last
``max_age`` seconds (``?max_age=``, default 7 days, ``0`` = the whole stream), so what
was published before it existed is delivered too; an existing group goes on where it
stopped. Each send trims entries older than ``max_age`` from its stream (``XADD MINID
~``), whether or not every group has read them, so channel streams do not grow
without bound; dead-letter streams are not trimmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from . import messaging_app as _app

DEFAULT_MAX_AGE = 7 * 86_400.0
"""Seconds a channel stream keeps an entry (``?max_age=``; 0 = no limit)."""

REPLY_TTL = 3600
"""Seconds a reply stream outlives its last reply (a live requester deletes it on close)."""


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class RedisTransport:
    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.ack_wait = float(query.get("ack_wait", "30"))
        self.max_age = float(query.get("max_age", DEFAULT_MAX_AGE))
        self.consumer = f"c-{os.urandom(6).hex()}"
        self._client: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._direct: list[str] = []
        self._groups: set[tuple[str, str]] = set()
        self._busy = 0
        self._stopping = False
        self.redelivery = _app.Redelivery.of(_app.Settings())

    def configure(self, redelivery: _app.Redelivery) -> None:
        self.redelivery = redelivery

    def _ready(self) -> Any:
        if self._client is None:
            raise RuntimeError("not connected: use `async with app:`")
        return self._client

    async def connect(self) -> None:
        self._client = aioredis.from_url(self.url)
        await self._client.ping()

    async def _stop(self) -> None:
        for _ in range(500):  # drain: let in-flight handlers finish
            if not self._busy:
                break
            await asyncio.sleep(0.02)
        self._stopping = True  # the readers notice within one ``block`` period
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        self._stopping = False
        for task in self._tasks:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: a reader that failed while stopping is not news
        self._tasks.clear()

    async def close(self) -> None:
        await self._stop()
        if self._client is not None:
            if self._direct:
                await self._client.delete(*self._direct)
            await self._client.aclose()
        self._client = None

    async def _add(self, key: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self._ready().xadd(key, {"body": body, "headers": json.dumps(dict(headers))})

    def oldest_kept(self) -> str:
        """The stream id of the oldest entry ``max_age`` keeps (``0`` when it keeps all)."""
        if self.max_age <= 0:
            return "0"
        return f"{max(0, int((time.time() - self.max_age) * 1000))}-0"

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        client = self._ready()
        key = headers.get(_app.CHANNEL) or address
        fields = {"body": body, "headers": json.dumps(dict(headers))}
        trim = self.oldest_kept() if self.max_age > 0 else None
        wait = timeout if timeout is not None else _app.DEFAULT_PUBLISH_TIMEOUT
        try:
            async with asyncio.timeout(wait):
                await client.xadd(key, fields, minid=trim, approximate=True)
        except TimeoutError as exc:
            raise _app.PublishTimeout(f"no XADD reply for {key!r} within {wait:g} s", address=address) from exc
        except RedisError as exc:
            raise _app.PublishError(f"XADD to {key!r} failed: {type(exc).__name__}: {exc}", address=address) from exc

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        if address.endswith(self.redelivery.dead_letter_suffix):
            await self._add(address, body, headers)
            return
        # A reply: its stream is the requester's, deleted when it closes; one that gave
        # up long ago (a request handled late) must not leave a stream behind for good.
        async with self._ready().pipeline(transaction=False) as pipe:
            pipe.xadd(address, {"body": body, "headers": json.dumps(dict(headers))})
            pipe.expire(address, REPLY_TTL)
            await pipe.execute()

    @staticmethod
    def _delivery(key: str, fields: Mapping[Any, Any]) -> _app.Delivery:
        decoded = {_text(k): v for k, v in fields.items()}
        raw = decoded.get("body", b"")
        body = raw if isinstance(raw, bytes) else str(raw).encode()
        try:
            loaded = json.loads(_text(decoded.get("headers", "{}")))
        except ValueError:
            loaded = {}
        headers = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        return _app.Delivery(address=headers.get(_app.ADDRESS, key), body=body, headers=headers)

    async def _handle(self, key: str, group: str, entry_id: Any, fields: Any, deliver: _app.Deliver) -> None:
        self._busy += 1
        try:
            await deliver(self._delivery(key, fields))
        except _app.HANDLER_ERRORS:
            return  # stays pending: claimed again after ack_wait
        finally:
            self._busy -= 1
        await self._ready().xack(key, group, entry_id)

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        client = self._ready()
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists (and keeps its position)
            # A new group starts with what the stream keeps: sends made before it existed arrive.
            await client.xgroup_create(pattern, group, id=self.oldest_kept(), mkstream=True)
        self._groups.add((pattern, group))
        self._tasks.append(asyncio.get_running_loop().create_task(self._consume(pattern, group, deliver)))

    def claim_after(self, deliveries: int) -> float:
        """Seconds an entry delivered ``deliveries`` times must sit idle before a claim."""
        return self.ack_wait + self.redelivery.delay(deliveries)

    async def _reclaim(self, key: str, group: str, deliver: _app.Deliver) -> None:
        """Entries left pending by a consumer that died (or failed): redeliver or dead-letter."""
        client = self._ready()
        pending = await client.xpending_range(key, group, min="-", max="+", count=64, idle=int(self.ack_wait * 1000))
        for entry in pending:
            deliveries = int(entry["times_delivered"])
            idle_ms = int(self.claim_after(deliveries) * 1000)
            if int(entry["time_since_delivered"]) < idle_ms:
                continue
            # XCLAIM with the idle bound: of several consumers, exactly one wins the entry.
            claimed = await client.xclaim(key, group, self.consumer, min_idle_time=idle_ms, message_ids=[entry["message_id"]])
            for entry_id, fields in claimed:
                if not fields:
                    await client.xack(key, group, entry_id)  # deleted meanwhile
                elif deliveries >= self.redelivery.max_deliveries:
                    await self._dead_letter_limited(key, group, entry_id, fields, deliveries)
                else:
                    await self._handle(key, group, entry_id, fields, deliver)

    async def _dead_letter_limited(self, key: str, group: str, entry_id: Any, fields: Any, deliveries: int) -> None:
        delivery = self._delivery(key, fields)
        headers = dict(delivery.headers)
        headers[_app.ATTEMPTS] = str(deliveries)
        headers[_app.ERROR] = _app.DELIVERY_LIMIT_ERROR.format(deliveries)
        await self._add(delivery.address + self.redelivery.dead_letter_suffix, delivery.body, headers)
        await self._ready().xack(key, group, entry_id)

    async def _consume(self, key: str, group: str, deliver: _app.Deliver) -> None:
        client = self._ready()
        every = min(1.0, self.ack_wait / 4)
        checked = 0.0
        while not self._stopping:
            if time.monotonic() - checked >= every:
                await self._reclaim(key, group, deliver)
                checked = time.monotonic()
            found = await client.xreadgroup(group, self.consumer, {key: ">"}, count=16, block=200)
            for _, entries in found or []:
                for entry_id, fields in entries:
                    await self._handle(key, group, entry_id, fields, deliver)

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        self._direct.append(address)
        self._tasks.append(asyncio.get_running_loop().create_task(self._read_direct(address, deliver)))

    async def _read_direct(self, key: str, deliver: _app.Deliver) -> None:
        client = self._ready()
        last = "0-0"  # the reply stream is this app's own and new
        while not self._stopping:
            found = await client.xread({key: last}, count=16, block=200)
            for _, entries in found or []:
                for entry_id, fields in entries:
                    last = entry_id
                    with contextlib.suppress(*_app.HANDLER_ERRORS):
                        await deliver(self._delivery(key, fields))

    async def forget(self) -> None:
        """Stop consuming and delete this transport's consumer groups (tests and tools)."""
        client = self._ready()
        await self._stop()
        for key, group in sorted(self._groups):
            with contextlib.suppress(ResponseError):
                await client.xgroup_destroy(key, group)
        self._groups.clear()
