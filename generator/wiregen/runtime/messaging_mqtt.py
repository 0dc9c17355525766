"""MQTT 5 transport (aiomqtt on paho-mqtt): QoS 1, PUBACK only after handling.

Addresses are topics; a ``{parameter}`` matches one level (``+``). Headers travel as
MQTT 5 user properties. paho's manual acknowledgement is switched on, so a message is
acknowledged only after it was handled; with a fixed ``client_id``
(``mqtt://host:1883?client_id=orders-1``) the session persists (clean start off, one
hour expiry) and a consumer that dies before its PUBACK gets the message again when
it reconnects. MQTT keeps no messages for topics nobody subscribed to: dead letters
(``<address>.dlq``) reach only subscribers present at the time.

A send returns once the broker's PUBACK (QoS 1; PUBCOMP for QoS 2) came, and raises
:class:`~messaging_app.PublishError` when its MQTT 5 reason code is a failure (not
authorised, quota exceeded, ...) or *No matching subscribers* (0x10): the broker then
had no subscription and no persistent session for the topic, so the message is gone
-- the publisher learns it instead of losing the message silently. Consumers with a
fixed ``client_id`` keep their subscriptions while they are down, so sends to them
succeed and wait in their sessions. ``PublishTimeout`` when no acknowledgement came
within the send's ``timeout``. Replies and dead letters tolerate 0x10 (a requester
that gave up, a dead-letter topic nobody watches). ``?qos=0`` gets no acknowledgement
at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import aiomqtt
from paho.mqtt import client as _paho
from paho.mqtt import properties as _properties
from paho.mqtt.packettypes import PacketTypes

from . import messaging_app as _app

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_Properties: Any = _properties.Properties  # untyped in paho
NO_MATCHING_SUBSCRIBERS = 0x10


def topic_filter(pattern: str) -> str:
    return re.sub(r"\{[^{}]+\}", "+", pattern)


class MqttTransport:
    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 1883
        self.username = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password) if parts.password else None
        self.client_id = query.get("client_id") or None
        self.qos = int(query.get("qos", "1"))
        self._client: aiomqtt.Client | None = None
        self._routes: list[tuple[re.Pattern[str], _app.Deliver]] = []
        self._task: asyncio.Task[None] | None = None
        self._busy = 0
        self._acks: dict[int, asyncio.Future[Any]] = {}

    def _ready(self) -> aiomqtt.Client:
        if self._client is None:
            raise RuntimeError("not connected: use `async with app:`")
        return self._client

    async def connect(self) -> None:
        properties = _Properties(PacketTypes.CONNECT)
        persistent = self.client_id is not None
        if persistent:
            properties.SessionExpiryInterval = 3600
        client = aiomqtt.Client(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=not persistent,
            properties=properties,
        )
        # paho acknowledges on receipt unless told otherwise; aiomqtt exposes no switch.
        client._client.manual_ack_set(True)
        # aiomqtt's publish drops the PUBACK's reason code: keep it (per message id).
        forward: Any = client._client.on_publish

        def on_publish(paho: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
            waiting = self._acks.pop(mid, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(reason)
            if forward is not None:
                forward(paho, userdata, mid, reason, properties)

        client._client.on_publish = on_publish
        await client.__aenter__()
        self._client = client

    async def started(self) -> None:
        """Start dispatching once every route is known: a resumed session's redelivered
        messages arrive at once, and one without a route would be acknowledged and lost."""
        self._task = asyncio.get_running_loop().create_task(self._receive(self._ready()))

    async def close(self) -> None:
        for _ in range(500):  # drain: let the handler in progress finish
            if not self._busy:
                break
            await asyncio.sleep(0.02)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await self._task
        if self._client is not None:
            with contextlib.suppress(aiomqtt.MqttError):
                await self._client.__aexit__(None, None, None)
        self._client = self._task = None
        self._routes.clear()

    async def _publish(
        self, address: str, body: bytes, headers: Mapping[str, str], timeout: float | None, *, unrouted: bool
    ) -> None:
        """Publish and wait for the broker's acknowledgement; ``unrouted``: 0x10 is fine."""
        properties = _Properties(PacketTypes.PUBLISH)
        # MQTT strings must not hold control characters (Mosquitto drops the connection).
        properties.UserProperty = [(k, _CONTROL.sub(" ", v)) for k, v in headers.items()]
        if _app.CONTENT_TYPE in headers:
            properties.ContentType = headers[_app.CONTENT_TYPE]
        paho = self._ready()._client
        info = paho.publish(address, body, self.qos, False, properties)
        if info.rc != _paho.MQTT_ERR_SUCCESS:
            raise _app.PublishError(f"MQTT publish to {address!r} failed: {_paho.error_string(info.rc)}", address=address)
        if self.qos == 0:
            return  # QoS 0: no acknowledgement to wait for
        acked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[info.mid] = acked
        wait = timeout if timeout is not None else _app.DEFAULT_PUBLISH_TIMEOUT
        try:
            async with asyncio.timeout(wait):
                reason = await acked
        except TimeoutError as exc:
            raise _app.PublishTimeout(f"no MQTT PUBACK for {address!r} within {wait:g} s", address=address) from exc
        finally:
            self._acks.pop(info.mid, None)
        code = int(getattr(reason, "value", reason) or 0)
        if code >= 0x80 or (code == NO_MATCHING_SUBSCRIBERS and not unrouted):
            raise _app.PublishError(f"the MQTT broker did not take the message for {address!r}: {reason}", address=address)

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        await self._publish(address, body, headers, timeout, unrouted=False)

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        await self._publish(address, body, headers, None, unrouted=True)

    async def subscribe(self, pattern: str, group: str, deliver: _app.Deliver) -> None:
        self._routes.append((_app.address_regex(pattern), deliver))
        await self._ready().subscribe(topic_filter(pattern), qos=self.qos)

    async def subscribe_direct(self, address: str, deliver: _app.Deliver) -> None:
        await self.subscribe(address, address, deliver)

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            raw = getattr(message.properties, "UserProperty", None) or []
            headers = {str(k): str(v) for k, v in raw}
            payload = message.payload
            body = payload if isinstance(payload, bytes | bytearray) else str(payload or "").encode()
            handled = True
            self._busy += 1
            try:
                for pattern, deliver in self._routes:
                    if pattern.fullmatch(topic):
                        try:
                            await deliver(_app.Delivery(address=topic, body=bytes(body), headers=dict(headers)))
                        except _app.HANDLER_ERRORS:
                            handled = False  # no PUBACK: redelivered when the session resumes
            finally:
                self._busy -= 1
            if handled:
                client._client.ack(message.mid, message.qos)
