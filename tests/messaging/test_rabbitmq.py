"""The generated apps on the real RabbitMQ at 127.0.0.1:5672, plus interop with plain aio-pika.

Skipped when RabbitMQ is down; under CI=true that is a failure instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .conftest import require_broker

URL = os.environ.get("WIREGEN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
FAST = {"base_delay": 0.01, "max_delay": 0.05}
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


@pytest.fixture(autouse=True)
def _rabbit() -> None:
    require_broker("RabbitMQ", 5672)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


async def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


class Plain:
    """A hand-written aio-pika client: the interop side of the tests."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.channel: Any = None

    async def __aenter__(self) -> Plain:
        import aio_pika

        self.connection = await aio_pika.connect(URL)
        self.channel = await self.connection.channel()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connection.close()

    async def publish(self, address: str, body: bytes, headers: dict[str, Any], message_id: str | None = None) -> None:
        import aio_pika

        exchange = await self.channel.get_exchange("amq.topic")
        await exchange.publish(
            aio_pika.Message(body, headers=headers, message_id=message_id, content_type="application/json"),
            routing_key=address.replace("/", "."),
        )

    async def drain(self, queue_name: str, count: int, seconds: float = 10.0) -> list[Any]:
        queue = await self.channel.declare_queue(queue_name, durable=True)
        got: list[Any] = []
        for _ in range(int(seconds / 0.05)):
            message = await queue.get(fail=False)
            if message is not None:
                await message.ack()
                got.append(message)
                if len(got) >= count:
                    break
            else:
                await asyncio.sleep(0.05)
        return got

    async def delete(self, *queues: str) -> None:
        for name in queues:
            await self.channel.queue_delete(name)


@pytest.fixture
def prefix() -> str:
    return f"wgtest.{uuid.uuid4().hex[:12]}"


async def cleanup(prefix: str, *extra: str) -> None:
    async with Plain() as plain:
        await plain.delete(
            *(f"{prefix}.{op}" for op in ("receiveLightMeasurement", "onTurnOn", "onDimLight", "handlePlaceOrder", "onOrderEvent")),
            *extra,
        )


def test_publish_to_typed_handler_and_plain_consumer_sees_headers(streetlights: ModuleType, prefix: str) -> None:
    models = streetlights.models
    lamp = uuid.uuid4().hex
    got: list[tuple[Any, str, dict[str, str]]] = []

    async def main() -> None:
        app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @app.receive_light_measurement
        async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id != lamp:
                return  # another test's lamp on the shared channel
            got.append((payload, streetlight_id, headers))

        async with Plain() as plain:
            spy = await plain.channel.declare_queue(f"{prefix}.spy", durable=True)
            await spy.bind("amq.topic", routing_key=MEASURED.format(lamp).replace("/", "."))
            try:
                async with app:
                    await app.publish_light_measurement(
                        models.LightMeasuredPayload(lumens=12), streetlight_id=lamp,
                        headers=models.LightMeasuredHeaders(my_app_header=4),
                    )
                    await wait_for(lambda: bool(got))
                seen = await plain.drain(f"{prefix}.spy", 1)
            finally:
                await plain.delete(f"{prefix}.spy")
        payload, lamp_id, headers = got[0]
        assert isinstance(payload, models.LightMeasuredPayload) and payload.lumens == 12
        assert lamp_id == lamp and headers["my-app-header"] == "4"
        # the plain client reads what the generated app sent, headers included
        assert json.loads(seen[0].body) == {"lumens": 12}
        assert seen[0].headers["wiregen-schema-version"] == "1.2.0"
        assert seen[0].headers["traceparent"].startswith("00-")
        assert seen[0].message_id == headers["message-id"]
        assert seen[0].content_type == "application/json"

    try:
        run(main())
    finally:
        run(cleanup(prefix))


def test_plain_publisher_to_generated_handler_duplicate_handled_once(streetlights: ModuleType, prefix: str) -> None:
    lamp = uuid.uuid4().hex
    got: list[int] = []

    async def main() -> None:
        app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @app.receive_light_measurement
        async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id != lamp:
                return  # another test's lamp on the shared channel
            got.append(payload.lumens)

        async with app, Plain() as plain:
            for _ in range(3):
                await plain.publish(MEASURED.format(lamp), b'{"lumens": 3}', {}, message_id="dup-1")
            await plain.publish(MEASURED.format(lamp), b'{"lumens": 4}', {}, message_id="dup-2")
            await wait_for(lambda: 4 in got)
            await asyncio.sleep(0.2)

    try:
        run(main())
    finally:
        run(cleanup(prefix))
    assert sorted(got) == [3, 4]


def test_failure_retries_then_dead_letter_with_metadata(streetlights: ModuleType, prefix: str) -> None:
    lamp = uuid.uuid4().hex
    dlq = f"smartylighting/streetlights/1/0/action/{lamp}/dim.dlq"
    calls: list[int] = []

    async def main() -> list[Any]:
        app = streetlights.app.create_app(URL, group_prefix=prefix, max_attempts=3, **FAST)

        @app.on_dim_light
        async def failing(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            calls.append(payload.percentage)
            raise RuntimeError("broken lamp")

        async with app:
            await app.dim_light(streetlights.models.DimLightPayload(percentage=30), streetlight_id=lamp)
            await wait_for(lambda: len(calls) >= 3)
        async with Plain() as plain:
            dead = await plain.drain(dlq, 1)
            await plain.delete(dlq)
        return dead

    try:
        dead = run(main())
    finally:
        run(cleanup(prefix))
    assert calls == [30, 30, 30]
    assert len(dead) == 1
    assert json.loads(dead[0].body) == {"percentage": 30}
    assert dead[0].headers["wiregen-attempts"] == "3"
    assert dead[0].headers["wiregen-error"] == "RuntimeError: broken lamp"
    assert dead[0].headers["wiregen-schema-version"] == "1.2.0"


def test_poison_message_dead_lettered_at_once(streetlights: ModuleType, prefix: str) -> None:
    lamp = uuid.uuid4().hex
    dlq = MEASURED.format(lamp) + ".dlq"
    calls: list[object] = []

    async def main() -> list[Any]:
        app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @app.receive_light_measurement
        async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id != lamp:
                return  # another test's lamp on the shared channel
            calls.append(payload)

        async with app, Plain() as plain:
            await plain.publish(MEASURED.format(lamp), b"{not json", {"x-trace": "t1"}, message_id="poison-1")
            dead = await plain.drain(dlq, 1)
            await plain.delete(dlq)
        return dead

    try:
        dead = run(main())
    finally:
        run(cleanup(prefix))
    assert calls == []
    assert dead[0].body == b"{not json"
    assert dead[0].headers["wiregen-attempts"] == "1"
    assert dead[0].headers["wiregen-error"].startswith("DecodeError")
    assert dead[0].headers["x-trace"] == "t1"


def test_request_reply_round_trip(orders: ModuleType, prefix: str) -> None:
    models = orders.models

    async def main() -> Any:
        app = orders.app.create_app(URL, group_prefix=prefix, **FAST)

        @app.handle_place_order
        async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
            return models.OrderPlacedPayload(order_id=f"{region}:{payload.sku}", status="accepted")

        async with app:
            return await app.place_order(models.Order(sku="tea", quantity=1), region="eu", timeout=10)

    try:
        reply = run(main())
    finally:
        run(cleanup(prefix))
    assert isinstance(reply, models.OrderPlacedPayload) and reply.order_id == "eu:tea"


_CONSUMER = """
import asyncio, os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from wg_streetlights.app import create_app
log = Path(sys.argv[3])
app = create_app(sys.argv[2], group_prefix=sys.argv[4])

@app.receive_light_measurement
async def handler(payload, *, streetlight_id, headers):
    if streetlight_id != sys.argv[-1]:
        return  # another test's lamp on the shared channel
    with log.open("a") as f:
        f.write(headers["message-id"] + "\\n")  # the side effect
    if not Path(str(log) + ".crashed").exists():
        Path(str(log) + ".crashed").write_text("x")
        os.kill(os.getpid(), signal.SIGKILL)  # dies before the ack

async def main():
    async with app:
        Path(str(log) + ".ready").write_text("x")
        await asyncio.sleep(30)

asyncio.run(main())
"""


def test_consumer_killed_before_ack_gets_the_message_redelivered(
    streetlights: ModuleType, generated: Path, prefix: str, tmp_path: Path
) -> None:
    lamp = uuid.uuid4().hex
    log = tmp_path / "effects.log"
    script = tmp_path / "consumer.py"
    script.write_text(_CONSUMER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def start() -> subprocess.Popen[bytes]:
        ready = Path(str(log) + ".ready")
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, str(script), str(generated), URL, str(log), prefix, lamp], env=env)
        for _ in range(300):
            if ready.exists() or proc.poll() is not None:
                break
            asyncio.run(asyncio.sleep(0.05))
        return proc

    first = start()
    try:
        async def send() -> None:
            async with Plain() as plain:
                await plain.publish(MEASURED.format(lamp), b'{"lumens": 1}', {}, message_id="crash-1")

        run(send())
        assert first.wait(timeout=20) == -9  # SIGKILL after the side effect, before the ack
        second = start()
        try:
            for _ in range(200):
                if log.read_text().count("crash-1") >= 2:
                    break
                asyncio.run(asyncio.sleep(0.05))
        finally:
            second.kill()
            second.wait()
    finally:
        if first.poll() is None:
            first.kill()
        run(cleanup(prefix))
    assert log.read_text().splitlines() == ["crash-1", "crash-1"]  # redelivered, nothing lost


# ------------------------------------------------- the broker's own delivery limit


def test_queue_arguments_carry_the_delivery_limit_and_dead_letter_exchange() -> None:
    from wiregen.runtime import messaging_amqp, messaging_app

    transport = messaging_amqp.AmqpTransport(URL + "?heartbeat=30")
    transport.configure(messaging_app.Redelivery.of(messaging_app.Settings(max_attempts=5)))
    assert transport.url == URL + "?heartbeat=30"  # only wiregen's own parameters are taken out
    assert transport.queue_arguments("a/{id}/b") == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 4,  # 4 redeliveries: 5 deliveries in all
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "a/+/b.dlq",
    }
    assert messaging_amqp.AmqpTransport(URL + "?queue_type=classic").queue_arguments("a/{id}/b") == {}
    with pytest.raises(ValueError, match="queue_type"):
        messaging_amqp.AmqpTransport(URL + "?queue_type=stream")


def test_consumer_crash_loop_ends_in_the_dead_letter_queue_by_the_broker(
    streetlights: ModuleType, generated: Path, prefix: str, tmp_path: Path
) -> None:
    """Every delivery kills the consumer before its ack: RabbitMQ itself stops after
    max_attempts deliveries and dead-letters the message (no runtime code ran to do it)."""
    from .crashloop import crash_loop

    lamp = uuid.uuid4().hex
    message_id = f"crash-loop-{lamp}"
    dlq = "smartylighting/streetlights/1/0/event/+/lighting/measured.dlq"

    async def publish() -> None:
        async with Plain() as plain:
            await plain.publish(MEASURED.format(lamp), b'{"lumens": 7}', {"x-trace": "t7"}, message_id=message_id)

    async def afterwards() -> tuple[list[Any], list[object]]:
        healthy: list[object] = []
        app = streetlights.app.create_app(URL, group_prefix=prefix, max_attempts=3, **FAST)

        @app.receive_light_measurement
        async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id == lamp:
                healthy.append(payload)

        async with app, Plain() as plain:
            await asyncio.sleep(1.0)  # a healthy consumer gets nothing more
            queue = await plain.channel.declare_queue(dlq, durable=True)
            mine: list[Any] = []
            others: list[Any] = []
            for _ in range(200):
                message = await queue.get(fail=False)
                if message is None:
                    if mine:
                        break
                    await asyncio.sleep(0.05)
                    continue
                if message.message_id == message_id:
                    await message.ack()
                    mine.append(message)
                else:
                    others.append(message)  # another run's: held unacked, so the next get moves on
            for message in others:
                await message.nack(requeue=True)  # and left in the queue
        return mine, healthy

    try:
        seen = crash_loop(
            generated, URL, prefix, lamp, tmp_path, attempts=3, runs=3, publish=lambda: run(publish())
        )
        dead, healthy = run(afterwards())
    finally:
        run(cleanup(prefix))
    assert seen == [message_id] * 3  # delivered exactly max_attempts times
    assert healthy == []
    assert len(dead) == 1
    assert json.loads(dead[0].body) == {"lumens": 7}
    assert dead[0].headers["x-trace"] == "t7"  # the original headers
    assert dead[0].headers["x-first-death-reason"] == "delivery_limit"  # RabbitMQ's doing
    assert dead[0].headers["x-first-death-queue"] == f"{prefix}.receiveLightMeasurement"


def test_existing_queue_with_other_arguments_is_used_with_a_warning(streetlights: ModuleType, prefix: str) -> None:
    lamp = uuid.uuid4().hex
    got: list[int] = []

    async def main() -> None:
        async with Plain() as plain:  # a classic queue, as an older version declared it
            await plain.channel.declare_queue(f"{prefix}.receiveLightMeasurement", durable=True)
        app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @app.receive_light_measurement
        async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id == lamp:
                got.append(payload.lumens)

        with pytest.warns(RuntimeWarning, match="exists with other arguments"):
            await app.start()
        try:
            await app.publish_light_measurement(streetlights.models.LightMeasuredPayload(lumens=9), streetlight_id=lamp)
            await wait_for(lambda: got == [9])
        finally:
            await app.close()

    try:
        run(main())
    finally:
        run(cleanup(prefix))
    assert got == [9]


# ------------------------------------------------------------- confirmed publishing

TURN_ON = "smartylighting/streetlights/1/0/action/{}/turn/on"


def test_send_unroutable_or_refused_raises_then_arrives_once_a_consumer_exists(
    streetlights: ModuleType, prefix: str
) -> None:
    """RabbitMQ drops a message no queue is bound for (a consumer group that never
    started); with publisher confirms and ``mandatory`` the publisher learns it, and a
    broker nack (a full queue with reject-publish) too. Before, both returned quietly."""
    models = streetlights.models
    lamp = uuid.uuid4().hex
    command = models.TurnOnOffPayload(command="on")
    got: list[str] = []
    PublishError = streetlights.app.PublishError

    async def main() -> tuple[BaseException, BaseException]:
        publisher = streetlights.app.create_app(URL, group_prefix=f"{prefix}.pub", **FAST)  # no handlers
        consumer = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @consumer.on_turn_on
        async def on_turn_on(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id == lamp:
                got.append(str(payload.command))

        async with publisher:
            with pytest.raises(PublishError) as unroutable:
                await publisher.turn_on(command, streetlight_id=lamp)
            async with Plain() as plain:
                full = await plain.channel.declare_queue(
                    f"{prefix}.full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
                )
                await full.bind("amq.topic", routing_key=TURN_ON.format(lamp).replace("/", "."))
                with pytest.raises(PublishError) as refused:
                    await publisher.turn_on(command, streetlight_id=lamp)
                await plain.delete(f"{prefix}.full")
            async with consumer:  # its queue is bound now: the same send goes through
                await publisher.turn_on(command, streetlight_id=lamp)
                await wait_for(lambda: got == ["on"])
        return unroutable.value, refused.value

    try:
        unroutable, refused = run(main())
    finally:
        run(cleanup(prefix))
    assert "no queue is bound" in str(unroutable) and unroutable.address == TURN_ON.format(lamp)
    assert "refused" in str(refused)
    assert got == ["on"]
