"""The generated apps on the in-memory broker: typed send/receive, resilience, request/reply."""

from __future__ import annotations

import asyncio
import json
from types import ModuleType
from typing import Any

import pytest

FAST = {"base_delay": 0.001, "max_delay": 0.002}
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_publish_reaches_typed_handler_with_parameters_and_headers(streetlights: ModuleType) -> None:
    models = streetlights.models
    app = streetlights.app.create_app(**FAST)
    got: list[tuple[Any, str, dict[str, str]]] = []

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        got.append((payload, streetlight_id, headers))

    async def main() -> None:
        async with app:
            await app.publish_light_measurement(
                models.LightMeasuredPayload(lumens=7),
                streetlight_id="lamp-1",
                headers=models.LightMeasuredHeaders(my_app_header=3),
            )
            for _ in range(200):
                if got:
                    break
                await asyncio.sleep(0.01)

    run(main())
    assert len(got) == 1
    payload, lamp, headers = got[0]
    assert isinstance(payload, models.LightMeasuredPayload) and payload.lumens == 7
    assert lamp == "lamp-1"
    assert headers["my-app-header"] == "3"
    for name in ("message-id", "correlation-id", "content-type", "wiregen-schema-version", "traceparent"):
        assert headers[name], name
    assert headers["wiregen-schema-version"] == "1.2.0"
    assert headers["content-type"] == "application/json"
    assert len(headers["traceparent"].split("-")) == 4


def _dead(app: Any, address: str) -> list[Any]:
    return [d for d in app.transport.sent if d.address == address]


def test_failure_is_retried_then_dead_lettered(streetlights: ModuleType) -> None:
    models = streetlights.app.create_app  # noqa: F841 - keeps the import explicit
    app = streetlights.app.create_app(max_attempts=4, **FAST)
    calls: list[int] = []

    @app.on_dim_light
    async def failing(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(payload.percentage)
        raise RuntimeError("lamp is broken")

    async def main() -> None:
        async with app:
            await app.dim_light(streetlights.models.DimLightPayload(percentage=40), streetlight_id="l9")

    run(main())
    assert calls == [40, 40, 40, 40]
    dead = _dead(app, "smartylighting/streetlights/1/0/action/l9/dim.dlq")
    assert len(dead) == 1
    assert dead[0].headers["wiregen-attempts"] == "4"
    assert dead[0].headers["wiregen-error"] == "RuntimeError: lamp is broken"
    assert json.loads(dead[0].body) == {"percentage": 40}


def test_failure_then_success_is_not_dead_lettered(streetlights: ModuleType) -> None:
    app = streetlights.app.create_app(**FAST)
    calls: list[str] = []

    @app.on_turn_on
    async def flaky(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(streetlight_id)
        if len(calls) < 3:
            raise ConnectionError("try again")

    async def main() -> None:
        async with app:
            await app.turn_on(streetlights.models.TurnOnOffPayload(command="on"), streetlight_id="x")

    run(main())
    assert calls == ["x", "x", "x"]
    assert not [d for d in app.transport.sent if d.address.endswith(".dlq")]


def test_poison_message_is_dead_lettered_at_once(streetlights: ModuleType) -> None:
    app = streetlights.app.create_app(**FAST)
    calls: list[object] = []

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(payload)

    async def main() -> None:
        async with app:
            await app.transport.publish(MEASURED.format("a"), b'{"lumens": -5}', {"message-id": "m1"})
            await app.transport.publish(MEASURED.format("a"), b"not json", {"message-id": "m2"})

    run(main())
    assert calls == []
    dead = _dead(app, MEASURED.format("a") + ".dlq")
    assert [d.headers["message-id"] for d in dead] == ["m1", "m2"]
    assert all(d.headers["wiregen-attempts"] == "1" for d in dead)
    assert all(d.headers["wiregen-error"].startswith("DecodeError") for d in dead)


def test_unknown_schema_major_version_is_dead_lettered(streetlights: ModuleType) -> None:
    app = streetlights.app.create_app(**FAST)
    calls: list[object] = []

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(payload)

    async def main() -> None:
        async with app:
            body = b'{"lumens": 1}'
            await app.transport.publish(MEASURED.format("a"), body, {"wiregen-schema-version": "2.0.0"})
            await app.transport.publish(MEASURED.format("a"), body, {"wiregen-schema-version": "1.9.0"})

    run(main())
    assert len(calls) == 1
    dead = _dead(app, MEASURED.format("a") + ".dlq")
    assert len(dead) == 1 and "unknown schema version '2.0.0'" in dead[0].headers["wiregen-error"]


def test_duplicate_message_id_is_handled_once(streetlights: ModuleType) -> None:
    app = streetlights.app.create_app(**FAST)
    calls: list[int] = []

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        calls.append(payload.lumens)

    async def main() -> None:
        async with app:
            for _ in range(3):
                await app.transport.publish(MEASURED.format("a"), b'{"lumens": 5}', {"message-id": "same"})
            await app.transport.publish(MEASURED.format("a"), b'{"lumens": 6}', {"message-id": "other"})

    run(main())
    assert calls == [5, 6]


def test_request_reply_round_trip(orders: ModuleType) -> None:
    models = orders.models
    app = orders.app.create_app(**FAST)

    @app.handle_place_order
    async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
        assert headers["tenant"] == "acme"
        return models.OrderPlacedPayload(order_id=f"{region}-{payload.sku}-{payload.quantity}", status="accepted")

    async def main() -> Any:
        async with app:
            return await app.place_order(
                models.Order(sku="tea", quantity=2), region="eu", headers=models.PlaceOrderHeaders(tenant="acme")
            )

    reply = run(main())
    assert isinstance(reply, models.OrderPlacedPayload)
    assert reply.order_id == "eu-tea-2" and reply.status == "accepted"


def test_request_times_out_without_responder(orders: ModuleType) -> None:
    app = orders.app.create_app()

    async def main() -> None:
        async with app:
            await app.place_order(orders.models.Order(sku="tea", quantity=1), region="eu", timeout=0.05)

    from wg_orders._runtime.messaging_app import RequestTimeout

    with pytest.raises(RequestTimeout):
        run(main())


def test_union_payload_is_decoded_to_the_right_variant(orders: ModuleType) -> None:
    models = orders.models
    app = orders.app.create_app(**FAST)
    got: list[Any] = []

    @app.on_order_event
    async def on_event(payload: Any, *, region: str, headers: dict[str, str]) -> None:
        got.append(payload)

    async def main() -> None:
        async with app:
            await app.publish_order_event(models.OrderCreated(type="created", order_id="1"), region="us")
            await app.publish_order_event(models.OrderCancelled(type="cancelled", order_id="2", reason="x"), region="us")

    run(main())
    assert [type(p).__name__ for p in got] == ["OrderCreated", "OrderCancelled"]


def test_unknown_broker_scheme_is_rejected(orders: ModuleType) -> None:
    with pytest.raises(ValueError, match="unsupported broker URL scheme"):
        orders.app.create_app("carrier-pigeon://x")


def test_missing_broker_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from .conftest import require_broker

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_broker("Nothing", port)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_broker("Nothing", port)


def test_send_hands_its_timeout_to_the_transport_and_publish_errors_surface(
    streetlights: ModuleType, orders: ModuleType
) -> None:
    """A send waits for the broker's confirmation for ``timeout`` (default
    ``publish_timeout``); a request gives the confirmation at most its own deadline; a
    PublishError reaches the caller as it is, also from a request (not a RequestTimeout)."""
    import importlib

    memory = importlib.import_module("wg_streetlights._runtime.messaging_memory")
    runtime = importlib.import_module("wg_streetlights._runtime.messaging_app")
    orders_memory = importlib.import_module("wg_orders._runtime.messaging_memory")
    orders_runtime = importlib.import_module("wg_orders._runtime.messaging_app")

    def recording(base: type) -> Any:
        class Recording(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()
                self.timeouts: list[float | None] = []
                self.fail: Exception | None = None

            async def publish(self, address: str, body: bytes, headers: Any, *, timeout: float | None = None) -> None:
                self.timeouts.append(timeout)
                if self.fail is not None:
                    raise self.fail
                await super().publish(address, body, headers, timeout=timeout)

        return Recording()

    lights = recording(memory.MemoryTransport)
    app = streetlights.app.App(lights, runtime.Settings(publish_timeout=4.0, **FAST))
    shop = recording(orders_memory.MemoryTransport)
    orders_app = orders.app.App(shop, orders_runtime.Settings(publish_timeout=4.0, request_timeout=2.0, **FAST))
    command = streetlights.models.TurnOnOffPayload(command="on")

    async def main() -> tuple[BaseException, BaseException]:
        async with app, orders_app:
            await app.turn_on(command, streetlight_id="a")
            await app.turn_on(command, streetlight_id="a", timeout=0.25)
            lights.fail = streetlights.app.PublishError("nowhere to go", address="x")
            with pytest.raises(streetlights.app.PublishError) as plain:
                await app.turn_on(command, streetlight_id="a")
            shop.fail = orders.app.PublishTimeout("no confirmation", address="y")
            with pytest.raises(orders.app.PublishTimeout) as request:
                await orders_app.place_order(orders.models.Order(sku="tea", quantity=1), region="eu")
            return plain.value, request.value

    plain, request = run(main())
    assert lights.timeouts == [4.0, 0.25, 4.0]
    assert shop.timeouts == [2.0]  # min(request_timeout, publish_timeout)
    assert str(plain) == "nowhere to go" and plain.address == "x"
    assert not isinstance(request, orders.app.RequestTimeout)
