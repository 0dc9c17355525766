"""Kafka transport on FastStream's KafkaBroker (aiokafka): manual commits after handling.

Addresses map to topics with ``/`` written as ``.``; an address with ``{parameters}``
is subscribed by topic pattern (each parameter one dot-free word). Each receive
operation is a consumer group; a message is acknowledged (its offset committed) only
after it was handled, so a consumer that dies first sees it again after the group
rebalances. Headers are Kafka record headers. FastStream's ``TestKafkaBroker`` runs
this transport in memory (``app.transport.broker``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from . import messaging_app as _app


def topic(address: str) -> str:
    return address.replace("/", ".")


def topic_regex(pattern: str) -> str:
    parts = re.split(r"(\{[^{}]+\})", topic(pattern))
    # Anchored: some clients match patterns as prefixes, and ``<address>.dlq`` must not match.
    return "^" + "".join("[^.]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts) + "$"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class KafkaTransport:
    def __init__(self, url: str) -> None:
        bootstrap = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else url
        # acks="all": a send is confirmed once every in-sync replica has the record.
        self.broker = KafkaBroker(bootstrap or "localhost:9092", acks="all")

    async def connect(self) -> None:
        return None  # FastStream starts the broker once every subscriber is declared

    async def started(self) -> None:
        await self.broker.start()

    async def close(self) -> None:
        await self.broker.stop()

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        """FastStream awaits the producer's acknowledgement (``acks="all"``)."""
        wait = timeout if timeout is not None else _app.DEFAULT_PUBLISH_TIMEOUT
        try:
            async with asyncio.timeout(wait):
                await self.broker.publish(body, topic=topic(address), headers=dict(headers))
        except TimeoutError as exc:
            raise _app.PublishTimeout(f"no Kafka acknowledgement for {address!r} within {wait:g} s", address=address) from exc

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self.publish(address, body, headers)

    def _handler(self, deliver: _app.Deliver) -> Any:
        async def handle(message: KafkaMessage) -> None:
            headers = {str(k): _text(v) for k, v in (message.headers or {}).items()}
            raw = message.raw_message
            address = _text(getattr(raw, "topic", "")) if not isinstance(raw, tuple) else ""
            try:
                await deliver(_app.Delivery(address=headers.get(_app.ADDRESS, address), body=message.body, headers=headers))
            except _app.HANDLER_ERRORS:
                await message.nack()  # not committed: delivered again
                return
            await message.ack()

        return handle

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        if "{" in pattern:
            subscriber = self.broker.subscriber(pattern=topic_regex(pattern), group_id=group, ack_policy=AckPolicy.MANUAL)
        else:
            subscriber = self.broker.subscriber(topic(pattern), group_id=group, ack_policy=AckPolicy.MANUAL)
        subscriber(self._handler(deliver))

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        self.broker.subscriber(topic(address), ack_policy=AckPolicy.MANUAL)(self._handler(deliver))
