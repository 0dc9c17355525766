"""The generated apps on Kafka through FastStream's in-memory TestKafkaBroker (there is
no Kafka server on this machine): typed handlers, retries -> dead letter, poison,
duplicates and request/reply, as on the real brokers."""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any

from faststream.kafka import TestKafkaBroker  # a test dependency (wiregen[messaging])
from faststream.kafka.annotations import KafkaMessage

URL = "kafka://localhost:9092"
FAST = {"base_delay": 0.001, "max_delay": 0.002}
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def wait_for(check: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


def collector(app: Any, address: str, into: list[tuple[bytes, dict[str, str]]]) -> None:
    """A plain FastStream subscriber (not generated code) reading ``address``."""

    async def collect(message: KafkaMessage) -> None:
        into.append((message.body, {k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()}))

    app.transport.broker.subscriber(address.replace("/", "."))(collect)


def test_publish_reaches_typed_handler(streetlights: ModuleType) -> None:
    models = streetlights.models
    app = streetlights.app.create_app(URL, **FAST)
    got: list[tuple[Any, str, dict[str, str]]] = []

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        got.append((payload, streetlight_id, headers))

    async def main() -> None:
        async with TestKafkaBroker(app.transport.broker, connect_only=False), app:
            await app.publish_light_measurement(
                models.LightMeasuredPayload(lumens=2), streetlight_id="k1", headers=models.LightMeasuredHeaders(my_app_header=5)
            )
            await wait_for(lambda: bool(got))

    run(main())
    payload, lamp, headers = got[0]
    assert payload.lumens == 2 and lamp == "k1" and headers["my-app-header"] == "5"
    assert headers["wiregen-schema-version"] == "1.2.0" and headers["traceparent"].startswith("00-")


def test_retries_dead_letter_poison_and_duplicates(streetlights: ModuleType) -> None:
    app = streetlights.app.create_app(URL, max_attempts=3, **FAST)
    calls: list[int] = []
    dead: list[tuple[bytes, dict[str, str]]] = []
    collector(app, MEASURED.format("k2") + ".dlq", dead)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(payload.lumens)
        if payload.lumens == 99:
            raise RuntimeError("too bright")

    async def main() -> None:
        async with TestKafkaBroker(app.transport.broker, connect_only=False) as broker, app:
            topic = MEASURED.format("k2").replace("/", ".")
            for _ in range(2):
                await broker.publish(b'{"lumens": 1}', topic=topic, headers={"message-id": "same"})
            await broker.publish(b"{broken", topic=topic, headers={"message-id": "poison"})
            await broker.publish(b'{"lumens": 99}', topic=topic, headers={"message-id": "failing"})
            await wait_for(lambda: len(dead) >= 2)

    run(main())
    assert calls == [1, 99, 99, 99]
    by_id = {h["message-id"]: (b, h) for b, h in dead}
    assert by_id["poison"][0] == b"{broken" and by_id["poison"][1]["wiregen-attempts"] == "1"
    assert by_id["failing"][1]["wiregen-attempts"] == "3"
    assert by_id["failing"][1]["wiregen-error"] == "RuntimeError: too bright"
    assert json.loads(by_id["failing"][0]) == {"lumens": 99}


def test_request_reply(orders: ModuleType) -> None:
    models = orders.models
    app = orders.app.create_app(URL, **FAST)

    @app.handle_place_order
    async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
        return models.OrderPlacedPayload(order_id=f"{region}:{payload.sku}", status="accepted")

    async def main() -> Any:
        async with TestKafkaBroker(app.transport.broker, connect_only=False), app:
            return await app.place_order(models.Order(sku="tea", quantity=1), region="eu", timeout=5)

    assert run(main()).order_id == "eu:tea"
