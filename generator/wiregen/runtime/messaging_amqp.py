"""RabbitMQ transport (aio-pika): topic routing, durable queues, manual acks.

Addresses map to routing keys on the ``amq.topic`` exchange with ``/`` written as
``.``; a ``{parameter}`` matches one word (``*``). Each receive operation has a
durable queue named after its consumer group, so messages wait for a consumer that
is down, and one that dies before its ack gets them redelivered. Replies and dead
letters go straight to a queue through the default exchange.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika import abc

from . import messaging_app as _app


def routing_key(address: str) -> str:
    return address.replace("/", ".")


def binding_key(pattern: str) -> str:
    return routing_key(re.sub(r"\{[^{}]+\}", "*", pattern))


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


class AmqpTransport:
    def __init__(self, url: str, *, exchange: str = "amq.topic", prefetch: int = 32) -> None:
        self.url = url
        self.exchange_name = exchange
        self.prefetch = prefetch
        self._connection: abc.AbstractRobustConnection | None = None
        self._channel: abc.AbstractChannel | None = None
        self._exchange: abc.AbstractExchange | None = None
        self._declared: set[str] = set()
        self._inflight: set[asyncio.Task[None]] = set()

    def _ready(self) -> tuple[abc.AbstractChannel, abc.AbstractExchange]:
        if self._channel is None or self._exchange is None:
            raise RuntimeError("not connected: use `async with app:`")
        return self._channel, self._exchange

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(self.url)
        self._channel = await self._connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._exchange = await self._channel.get_exchange(self.exchange_name)

    async def close(self) -> None:
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=10.0)
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = self._exchange = None

    @staticmethod
    def _message(body: bytes, headers: Mapping[str, str]) -> aio_pika.Message:
        return aio_pika.Message(
            body,
            headers=dict(headers),
            message_id=headers.get(_app.MESSAGE_ID),
            correlation_id=headers.get(_app.CORRELATION_ID),
            content_type=headers.get(_app.CONTENT_TYPE),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )

    async def publish(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        _, exchange = self._ready()
        await exchange.publish(self._message(body, headers), routing_key=routing_key(address))

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        channel, _ = self._ready()
        if address.endswith(".dlq") and address not in self._declared:
            await channel.declare_queue(address, durable=True)
            self._declared.add(address)
        await channel.default_exchange.publish(self._message(body, headers), routing_key=address)

    def _callback(self, deliver: _app.Deliver) -> Any:
        async def on_message(message: abc.AbstractIncomingMessage) -> None:
            headers = {str(k): _text(v) for k, v in (message.headers or {}).items()}
            for key, value in ((_app.MESSAGE_ID, message.message_id), (_app.CORRELATION_ID, message.correlation_id), (_app.CONTENT_TYPE, message.content_type)):
                if value and key not in headers:
                    headers[key] = value
            address = headers.get(_app.ADDRESS) or (message.routing_key or "")
            delivery = _app.Delivery(address=address, body=message.body, headers=headers, redelivered=bool(message.redelivered))
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            try:
                await deliver(delivery)
            except _app.HANDLER_ERRORS:  # not acknowledged: the broker redelivers it
                await message.nack(requeue=True)
                return
            finally:
                if task is not None:
                    self._inflight.discard(task)
            await message.ack()

        return on_message

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        channel, exchange = self._ready()
        queue = await channel.declare_queue(group, durable=True)
        await queue.bind(exchange, routing_key=binding_key(pattern))
        await queue.consume(self._callback(deliver))

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        channel, _ = self._ready()
        queue = await channel.declare_queue(address, exclusive=True, auto_delete=True)
        await queue.consume(self._callback(deliver))
