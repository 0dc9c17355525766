"""RabbitMQ transport (aio-pika): topic routing, durable queues, manual acks.

Addresses map to routing keys on the ``amq.topic`` exchange with ``/`` written as
``.``; a ``{parameter}`` matches one word (``*``). Each receive operation has a
durable queue named after its consumer group, so messages wait for a consumer that
is down, and one that dies before its ack gets them redelivered. Replies and dead
letters go straight to a queue through the default exchange.

The consumer queues are quorum queues with RabbitMQ's own delivery limit and
dead-letter exchange: a message delivered ``max_attempts`` times without an ack (a
consumer crash loop, which no runtime code survives to count) is moved by the broker
to the queue :func:`dead_letter_queue` -- the address with each ``{parameter}``
written ``+`` and the dead-letter suffix (``a/+/b.dlq``; for a channel without
parameters, exactly the runtime's ``<address>.dlq``) -- with RabbitMQ's ``x-death``
header (reason ``delivery_limit``). ``amqp://...?queue_type=classic`` keeps classic
queues, without that limit. A queue that already exists with other arguments (say, a
classic queue made by an older version) cannot be redeclared (PRECONDITION_FAILED):
it is then used as it is, with a ``RuntimeWarning``; delete it (or move its messages)
to get the limit.

Publishing uses publisher confirms and the ``mandatory`` flag: a send returns once the
broker confirmed the message, and raises :class:`~messaging_app.PublishError` when the
broker returned it as unroutable -- no queue is bound to the routing key yet, i.e. no
consumer group of the channel has ever started, so RabbitMQ would drop it -- or
refused it (``basic.nack``, e.g. a full queue with ``reject-publish``), or the
connection failed; ``PublishTimeout`` when no confirm came within the send's
``timeout``. Replies are sent without ``mandatory`` (a requester that gave up has
deleted its queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
import warnings
from collections.abc import Mapping
from typing import Any

import aio_pika
import aiormq
from aio_pika import abc
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from . import messaging_app as _app


def routing_key(address: str) -> str:
    return address.replace("/", ".")


def binding_key(pattern: str) -> str:
    return routing_key(re.sub(r"\{[^{}]+\}", "*", pattern))


def dead_letter_queue(pattern: str, suffix: str) -> str:
    """Where the broker dead-letters a channel's messages: ``{p}`` -> ``+`` (one segment)."""
    return re.sub(r"\{[^{}]+\}", "+", pattern) + suffix


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


QUEUE_TYPES = ("quorum", "classic")


class AmqpTransport:
    def __init__(self, url: str, *, exchange: str = "amq.topic", prefetch: int = 32) -> None:
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query)
        ours = dict(query)
        self.queue_type = ours.get("queue_type", "quorum")
        if self.queue_type not in QUEUE_TYPES:
            raise ValueError(f"queue_type={self.queue_type!r}: use one of {', '.join(QUEUE_TYPES)}")
        rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "queue_type"])
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
        self.exchange_name = exchange
        self.prefetch = prefetch
        self.redelivery = _app.Redelivery.of(_app.Settings())
        self._connection: abc.AbstractRobustConnection | None = None
        self._channel: abc.AbstractChannel | None = None
        self._exchange: abc.AbstractExchange | None = None
        self._declared: set[str] = set()
        self._inflight: set[asyncio.Task[None]] = set()

    def _ready(self) -> tuple[abc.AbstractChannel, abc.AbstractExchange]:
        if self._channel is None or self._exchange is None:
            raise RuntimeError("not connected: use `async with app:`")
        return self._channel, self._exchange

    def configure(self, redelivery: _app.Redelivery) -> None:
        self.redelivery = redelivery

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(self.url)
        # Confirms, and an unroutable ``mandatory`` message raises instead of being dropped.
        self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
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

    async def _confirmed(
        self, exchange: abc.AbstractExchange, address: str, key: str, message: aio_pika.Message, timeout: float | None
    ) -> None:
        wait = timeout if timeout is not None else _app.DEFAULT_PUBLISH_TIMEOUT
        try:
            await exchange.publish(message, routing_key=key, mandatory=True, timeout=wait)
        except aiormq.exceptions.PublishError as exc:  # basic.return: no queue for it
            raise _app.PublishError(
                f"RabbitMQ cannot route {key!r} on {exchange.name or 'the default exchange'!r}: no queue is bound "
                "(no consumer of this channel has started yet), so the message was not stored",
                address=address,
            ) from exc
        except aiormq.exceptions.DeliveryError as exc:  # basic.nack
            raise _app.PublishError(f"RabbitMQ refused the message for {key!r} (nack)", address=address) from exc
        except TimeoutError as exc:
            raise _app.PublishTimeout(f"no RabbitMQ publisher confirm for {key!r} within {wait:g} s", address=address) from exc
        except (AMQPError, ChannelInvalidStateError, ConnectionError) as exc:
            raise _app.PublishError(f"publishing to {key!r} failed: {type(exc).__name__}: {exc}", address=address) from exc

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        _, exchange = self._ready()
        await self._confirmed(exchange, address, routing_key(address), self._message(body, headers), timeout)

    async def _dead_letter_queue(self, name: str) -> None:
        if name not in self._declared:
            channel, _ = self._ready()
            await channel.declare_queue(name, durable=True)
            self._declared.add(name)

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        channel, _ = self._ready()
        if address.endswith(self.redelivery.dead_letter_suffix):
            await self._dead_letter_queue(address)
            await self._confirmed(channel.default_exchange, address, address, self._message(body, headers), None)
            return
        # A reply: to a requester's exclusive queue, gone if it gave up (then dropped, by design).
        await channel.default_exchange.publish(self._message(body, headers), routing_key=address, mandatory=False)

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

    def queue_arguments(self, pattern: str) -> dict[str, Any]:
        """The consumer queue's arguments: RabbitMQ's delivery limit and dead-letter exchange."""
        if self.queue_type != "quorum":
            return {}
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.redelivery.max_deliveries - 1,  # redeliveries: N deliveries in all
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_letter_queue(pattern, self.redelivery.dead_letter_suffix),
        }

    async def _consumer_queue(self, pattern: str, group: str) -> abc.AbstractQueue:
        channel, _ = self._ready()
        arguments = self.queue_arguments(pattern)
        if not arguments:
            return await channel.declare_queue(group, durable=True)
        await self._dead_letter_queue(arguments["x-dead-letter-routing-key"])
        assert self._connection is not None
        probe = await self._connection.channel()  # a failed declare closes its channel
        try:
            await probe.declare_queue(group, durable=True, arguments=arguments)
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            warnings.warn(
                f"RabbitMQ queue {group!r} exists with other arguments ({exc}); it is used as it is, without the "
                "broker's delivery limit and dead-letter exchange: delete it (or move its messages) to get them",
                RuntimeWarning,
                stacklevel=2,
            )
            return await channel.declare_queue(group, passive=True)
        finally:
            if not probe.is_closed:
                with contextlib.suppress(aiormq.exceptions.AMQPError):
                    await probe.close()
        return await channel.declare_queue(group, durable=True, arguments=arguments)

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        _, exchange = self._ready()
        queue = await self._consumer_queue(pattern, group)
        await queue.bind(exchange, routing_key=binding_key(pattern))
        await queue.consume(self._callback(deliver))

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        channel, _ = self._ready()
        queue = await channel.declare_queue(address, exclusive=True, auto_delete=True)
        await queue.consume(self._callback(deliver))
