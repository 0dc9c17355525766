"""Messaging runtime: the application object behind a generated ``app.py``.

At-least-once consumption with the contract of DESIGN §6:

* a message is acknowledged only after its handler succeeded (or after it was
  dead-lettered); a crash before that leaves it with the broker, which redelivers it;
* a failing handler is retried with full-jitter backoff up to ``max_attempts``
  (default 5), then the original payload and headers go to the dead-letter address
  (``<address>.dlq``) with ``wiregen-attempts`` and ``wiregen-error``;
* a payload that fails to decode or validate, or whose schema major version is
  unknown, is dead-lettered at once;
* a message id seen before (in-memory window, or Redis with ``dedup_url``) is
  acknowledged without running the handler again;
* a consumer that crashes before its ack again and again is stopped by the broker's
  own delivery limit where it has one (see :class:`Redelivery`): the message ends
  in the dead letter after ``max_attempts`` deliveries.

Publishing returns only once the broker confirmed it took the message (JetStream
PubAck, RabbitMQ publisher confirm of a routed message, MQTT PUBACK, the XADD reply);
otherwise it raises :class:`PublishError` (:class:`PublishTimeout` when no
confirmation came within the send's ``timeout``, default ``publish_timeout``).

Every message carries ``message-id``, ``correlation-id``, ``content-type``,
``wiregen-schema-version`` and a W3C ``traceparent`` header.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import pydantic

from .backoff import exponential_cap, jittered_delay
from .policy import RetryPolicy

MESSAGE_ID = "message-id"
CORRELATION_ID = "correlation-id"
CONTENT_TYPE = "content-type"
SCHEMA_VERSION = "wiregen-schema-version"
TRACEPARENT = "traceparent"
REPLY_TO = "reply-to"
ATTEMPTS = "wiregen-attempts"
ERROR = "wiregen-error"
ADDRESS = "wiregen-address"
CHANNEL = "wiregen-channel"
"""The channel's address template (``a/{id}/b``): Redis Streams use it as the stream key."""


@dataclass(slots=True)
class Delivery:
    """One message as a transport hands it over."""

    address: str
    body: bytes
    headers: dict[str, str]
    redelivered: bool = False


HANDLER_ERRORS: tuple[type[Exception], ...] = (Exception,)
"""What a failing handler may raise: everything but cancellation and interpreter exits."""

Deliver = Callable[[Delivery], Awaitable[None]]
"""Called per message: returning acknowledges it, raising leaves it to be redelivered."""


class Transport(Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        """Return once the broker confirmed it took the message, within ``timeout``
        seconds (None: the transport's default); raise :class:`PublishError` if not."""
        ...

    async def subscribe(self, pattern: str, group: str, deliver: Deliver) -> None:
        """Deliver messages published to addresses matching ``pattern`` (``{p}`` = one segment)."""
        ...

    async def subscribe_direct(self, address: str, deliver: Deliver) -> None:
        """A private address for replies (deleted on close)."""
        ...

    # Optional hooks (looked up with ``getattr``): ``configure(redelivery)`` before
    # ``connect``, and ``started()`` once every subscription is in place.

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Send to an address obtained from ``reply-to`` or a dead-letter address."""
        ...


class DecodeError(Exception):
    """The message cannot be turned into the operation's payload type (a poison message)."""


class RequestTimeout(TimeoutError):
    """No reply arrived within the request's timeout."""


class PublishError(Exception):
    """The broker did not confirm that it took the message for ``address``: it refused
    it, had nowhere to put it (no queue, stream or subscriber for the address), or the
    connection failed. The message was not stored, as far as the publisher can tell;
    sending again (after a backoff) is the caller's decision. ``__cause__`` is the
    client library's error, when there is one."""

    address: str

    def __init__(self, message: str, *, address: str) -> None:
        super().__init__(message)
        self.address = address


class PublishTimeout(PublishError, TimeoutError):
    """No confirmation within the timeout: the broker may or may not have the message."""


DEFAULT_PUBLISH_TIMEOUT = 10.0
"""Seconds a transport waits for the broker's confirmation when not told otherwise."""


def address_regex(template: str, segment: str = "[^/]+?") -> re.Pattern[str]:
    """``a/{x}/b`` -> a regex with one named group per placeholder."""
    parts = re.split(r"(\{[^{}]+\})", template)
    out = []
    names: dict[str, str] = {}
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name in names:
                out.append(f"(?P={names[name]})")
            else:
                names[name] = f"p{len(names)}"
                out.append(f"(?P<{names[name]}>{segment})")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def fill_address(template: str, values: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if not value or "/" in value or "{" in value:
            raise ValueError(f"invalid value {value!r} for channel parameter {match.group(1)!r}")
        return value

    return re.sub(r"\{([^{}]+)\}", one, template)


def new_id() -> str:
    return os.urandom(16).hex()


def traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationSpec:
    """What the generated code knows about one operation."""

    name: str
    action: str
    address: str
    params: tuple[tuple[str, str], ...] = ()
    """(wire name, Python keyword) of the channel parameters."""
    payload_type: Any = Any
    reply_type: Any = None
    reply_address: str = ""
    content_type: str = "application/json"
    has_reply: bool = False


@dataclass(slots=True, kw_only=True)
class Settings:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    dedup_window: int = 10_000
    dedup_url: str | None = None
    """``redis://host:6379/0``: keep seen message ids in Redis (shared by every instance
    of a consumer group, kept ``dedup_ttl`` seconds) instead of the in-memory window."""
    dedup_ttl: float = 86_400.0
    dead_letter_suffix: str = ".dlq"
    request_timeout: float = 30.0
    publish_timeout: float = DEFAULT_PUBLISH_TIMEOUT
    """Seconds a send waits for the broker's confirmation (per call: ``timeout``)."""
    group_prefix: str = ""
    """Prefix of consumer group / queue names (default: the API's title)."""


@dataclass(frozen=True, slots=True)
class Redelivery:
    """The redelivery policy a transport hands to the broker's own mechanism.

    A message the consumer took but never acknowledged (it crashed, or a transport
    error) is delivered at most ``max_deliveries`` times; after delivery ``n`` fails,
    the next one waits ``delay(n)`` more (DESIGN §6 backoff caps, without jitter:
    brokers do not jitter). Then the message goes to ``<address><dead_letter_suffix>``.
    """

    max_deliveries: int
    base_delay: float
    max_delay: float
    dead_letter_suffix: str

    @classmethod
    def of(cls, settings: Settings) -> Redelivery:
        return cls(max(1, settings.max_attempts), settings.base_delay, settings.max_delay, settings.dead_letter_suffix)

    def delay(self, delivery: int) -> float:
        """Extra wait before delivery ``delivery + 1`` (``delivery`` >= 1)."""
        return exponential_cap(self.base_delay, self.max_delay, max(delivery, 1))

    def delays(self) -> tuple[float, ...]:
        """``delay(1) .. delay(max_deliveries - 1)``: one per redelivery."""
        return tuple(self.delay(n) for n in range(1, self.max_deliveries))


DELIVERY_LIMIT_ERROR = "DeliveryLimit: not acknowledged after {} deliveries (the consumer crashed or timed out)"
"""``wiregen-error`` of a message the broker's delivery limit dead-lettered."""


_ADAPTERS: dict[int, pydantic.TypeAdapter[Any]] = {}


def _adapter(annotation: Any) -> pydantic.TypeAdapter[Any]:
    key = id(annotation)
    found = _ADAPTERS.get(key)
    if found is None:
        found = _ADAPTERS[key] = pydantic.TypeAdapter(annotation)
    return found


def encode(value: Any, annotation: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return _adapter(annotation).dump_json(value, by_alias=True, exclude_none=True)


def decode(body: bytes, annotation: Any) -> Any:
    try:
        return _adapter(annotation).validate_json(body or b"null")
    except (pydantic.ValidationError, ValueError) as exc:
        raise DecodeError(str(exc)[:500]) from exc


def header_values(headers: Any) -> dict[str, str]:
    """A header model (or mapping) as wire headers: strings only."""
    if headers is None:
        return {}
    raw = headers.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(headers, pydantic.BaseModel) else dict(headers)
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


class SeenStore(Protocol):
    """Where handled message ids are kept (keys are ``<operation>:<message id>``)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def seen(self, key: str) -> bool: ...

    async def remember(self, key: str) -> None: ...


@dataclass(slots=True)
class MemorySeen:
    """The default: the last ``size`` ids, in this process only."""

    size: int
    ids: collections.OrderedDict[str, None] = field(default_factory=collections.OrderedDict)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def seen(self, key: str) -> bool:
        return key in self.ids

    async def remember(self, key: str) -> None:
        self.ids[key] = None
        self.ids.move_to_end(key)
        while len(self.ids) > self.size:
            self.ids.popitem(last=False)


def seen_store(settings: Settings, namespace: str) -> SeenStore:
    if not settings.dedup_url:
        return MemorySeen(settings.dedup_window)
    from .messaging_dedup import RedisSeen

    return RedisSeen(settings.dedup_url, ttl=settings.dedup_ttl, namespace=namespace)


Handler = Callable[..., Awaitable[Any]]


class MessagingApp:
    """Base of every generated application; see the generated subclass for typed methods."""

    api_title: str = ""
    api_version: str = "0.0.0"

    def __init__(self, transport: Transport, settings: Settings) -> None:
        self.transport = transport
        self.settings = settings
        self._handlers: dict[str, tuple[OperationSpec, Handler]] = {}
        self._seen: SeenStore = MemorySeen(settings.dedup_window)
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._reply_specs: dict[str, OperationSpec] = {}
        self._reply_address = f"wiregen.reply.{new_id()}"
        self._started = False
        self._rng = random.Random()
        self._retry = RetryPolicy(
            max_attempts=settings.max_attempts, base_delay=settings.base_delay, max_delay=settings.max_delay, budget=None
        )

    # --------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        prefix = self.settings.group_prefix or self.api_title or "wiregen"
        if self.settings.dedup_url:
            self._seen = seen_store(self.settings, f"wiregen:seen:{prefix}:")
        await self._seen.open()
        configure = getattr(self.transport, "configure", None)
        if configure is not None:
            configure(Redelivery.of(self.settings))
        await self.transport.connect()
        await self.transport.subscribe_direct(self._reply_address, self._on_reply)
        for spec, handler in self._handlers.values():
            await self.transport.subscribe(spec.address, f"{prefix}.{spec.name}", self._consumer(spec, handler))
        started = getattr(self.transport, "started", None)
        if started is not None:
            await started()  # every subscription is in place: deliveries may begin
        self._started = True

    async def close(self) -> None:
        self._started = False
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        try:
            await self.transport.close()
        finally:
            await self._seen.close()

    # ------------------------------------------------------------- registering

    def _register(self, spec: OperationSpec, handler: Handler) -> None:
        if self._started:
            raise RuntimeError(f"register handlers for {spec.name!r} before `async with app:`")
        self._handlers[spec.name] = (spec, handler)

    # ----------------------------------------------------------------- sending

    def _headers(self, spec: OperationSpec, headers: Any, correlation_id: str | None) -> dict[str, str]:
        out = header_values(headers)
        message_id = new_id()
        out.update(
            {
                MESSAGE_ID: message_id,
                CORRELATION_ID: correlation_id or message_id,
                CONTENT_TYPE: spec.content_type,
                SCHEMA_VERSION: self.api_version,
                TRACEPARENT: traceparent(),
            }
        )
        return out

    async def _send(
        self,
        spec: OperationSpec,
        payload: Any,
        params: Mapping[str, str],
        headers: Any,
        timeout: float | None,
    ) -> Any:
        address = fill_address(spec.address, params)
        wire = self._headers(spec, headers, None)
        wire[ADDRESS] = address
        wire[CHANNEL] = spec.address
        body = encode(payload, spec.payload_type)
        if not spec.has_reply:
            await self.transport.publish(
                address, body, wire, timeout=timeout if timeout is not None else self.settings.publish_timeout
            )
            return None
        correlation = wire[CORRELATION_ID]
        wire[REPLY_TO] = self._reply_address
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending[correlation] = future
        self._reply_specs[correlation] = spec
        total = timeout if timeout is not None else self.settings.request_timeout
        deadline = loop.time() + total  # one deadline: the confirmation, then the reply
        try:
            await self.transport.publish(address, body, wire, timeout=min(total, self.settings.publish_timeout))
            return await asyncio.wait_for(future, max(0.0, deadline - loop.time()))
        except PublishError:
            raise
        except TimeoutError as exc:
            raise RequestTimeout(f"no reply to {spec.name!r} within the timeout") from exc
        finally:
            self._pending.pop(correlation, None)
            self._reply_specs.pop(correlation, None)

    async def _on_reply(self, delivery: Delivery) -> None:
        correlation = delivery.headers.get(CORRELATION_ID, "")
        future = self._pending.get(correlation)
        spec = self._reply_specs.get(correlation)
        if future is None or spec is None or future.done():
            return  # late or unknown reply: acknowledged and dropped
        try:
            future.set_result(decode(delivery.body, spec.reply_type))
        except DecodeError as exc:
            future.set_exception(exc)

    # --------------------------------------------------------------- consuming

    def _consumer(self, spec: OperationSpec, handler: Handler) -> Deliver:
        # Plain publishers on topic brokers send to the routing-key form (``a.b.c``).
        patterns = (address_regex(spec.address), address_regex(spec.address.replace("/", "."), "[^.]+?"))

        async def deliver(delivery: Delivery) -> None:
            await self._consume(spec, handler, patterns, delivery)

        return deliver

    async def _dead_letter(self, address: str, delivery: Delivery, attempts: int, error: str) -> None:
        headers = dict(delivery.headers)
        headers[ATTEMPTS] = str(attempts)
        headers[ERROR] = " ".join(error.split())[:1000]  # one line: some brokers refuse control characters
        await self.transport.send_direct(address + self.settings.dead_letter_suffix, delivery.body, headers)

    def _known_version(self, headers: Mapping[str, str]) -> bool:
        theirs = headers.get(SCHEMA_VERSION)
        if theirs is None:
            return True
        return theirs.split(".", 1)[0] == self.api_version.split(".", 1)[0]

    async def _consume(
        self, spec: OperationSpec, handler: Handler, patterns: tuple[re.Pattern[str], ...], delivery: Delivery
    ) -> None:
        address = delivery.headers.get(ADDRESS) or delivery.address
        match = next((m for m in (p.fullmatch(address) for p in patterns) if m is not None), None)
        if match is not None and match.re is not patterns[0]:
            values = {wire: match.group(f"p{i}") for i, (wire, _) in enumerate(spec.params)}
            address = fill_address(spec.address, values)  # the canonical form, for the dead letter
        message_id = delivery.headers.get(MESSAGE_ID, "")
        seen_key = f"{spec.name}:{message_id}" if message_id else ""
        if seen_key and await self._seen.seen(seen_key):
            return  # a duplicate: acknowledged without running the handler
        if not self._known_version(delivery.headers):
            error = f"unknown schema version {delivery.headers.get(SCHEMA_VERSION)!r} (this consumer knows {self.api_version})"
            await self._dead_letter(address, delivery, 1, error)
            await self._remember(seen_key)
            return
        try:
            payload = decode(delivery.body, spec.payload_type)
            kwargs = {py: match.group(f"p{i}") if match else "" for i, (_, py) in enumerate(spec.params)}
        except DecodeError as exc:
            await self._dead_letter(address, delivery, 1, f"DecodeError: {exc}")
            await self._remember(seen_key)
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await handler(payload, headers=dict(delivery.headers), **kwargs)
                break
            except asyncio.CancelledError:
                raise
            except HANDLER_ERRORS as exc:  # any failure of the handler is retried
                if attempt >= self.settings.max_attempts:
                    await self._dead_letter(address, delivery, attempt, f"{type(exc).__name__}: {exc}")
                    await self._remember(seen_key)
                    return
                await asyncio.sleep(jittered_delay(self._retry, attempt, self._rng))
        if spec.has_reply:
            await self._reply(spec, delivery, result)
        await self._remember(seen_key)

    async def _remember(self, seen_key: str) -> None:
        if seen_key:
            await self._seen.remember(seen_key)

    async def _reply(self, spec: OperationSpec, delivery: Delivery, result: Any) -> None:
        target = delivery.headers.get(REPLY_TO) or spec.reply_address
        if not target:
            return
        headers = self._headers(spec, None, delivery.headers.get(CORRELATION_ID))
        await self.transport.send_direct(target, encode(result, spec.reply_type), headers)
