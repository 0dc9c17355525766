"""The generated apps on the real Mosquitto at 127.0.0.1:1883 (MQTT 5), plus interop with plain aiomqtt.

Skipped when Mosquitto is down; under CI=true that is a failure instead.
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

URL = os.environ.get("WIREGEN_MQTT_URL", "mqtt://127.0.0.1:1883")
FAST = {"base_delay": 0.01, "max_delay": 0.05}
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


@pytest.fixture(autouse=True)
def _mosquitto() -> None:
    require_broker("Mosquitto", 1883)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


async def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


def props(headers: dict[str, str]) -> Any:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    p = Properties(PacketTypes.PUBLISH)
    p.UserProperty = list(headers.items())
    return p


def plain() -> Any:
    import aiomqtt

    return aiomqtt.Client("127.0.0.1", 1883, protocol=aiomqtt.ProtocolVersion.V5)


async def collect(client: Any, into: list[Any]) -> None:
    async for message in client.messages:
        into.append(message)


def test_publish_handler_and_plain_interop_both_ways(streetlights: ModuleType) -> None:
    models = streetlights.models
    lamp = uuid.uuid4().hex
    got: list[tuple[Any, str, dict[str, str]]] = []
    app = streetlights.app.create_app(URL, **FAST)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id != lamp:
            return  # another test's lamp on the shared channel
        got.append((payload, streetlight_id, headers))

    async def main() -> list[Any]:
        seen: list[Any] = []
        async with plain() as client, app:
            await client.subscribe(MEASURED.format(lamp), qos=1)
            reader = asyncio.create_task(collect(client, seen))
            await app.publish_light_measurement(
                models.LightMeasuredPayload(lumens=9), streetlight_id=lamp,
                headers=models.LightMeasuredHeaders(my_app_header=7),
            )
            # a plain client's message, headers as user properties
            await client.publish(MEASURED.format(lamp), b'{"lumens": 10}', qos=1, properties=props({"message-id": "plain-1"}))
            await wait_for(lambda: len(got) >= 2 and len(seen) >= 1)
            reader.cancel()
        return seen

    seen = run(main())
    assert sorted(p.lumens for p, _, _ in got) == [9, 10]
    assert all(lamp_id == lamp for _, lamp_id, _ in got)
    ours = next(h for p, _, h in got if p.lumens == 9)
    assert ours["my-app-header"] == "7" and ours["wiregen-schema-version"] == "1.2.0"
    first = next(m for m in seen if json.loads(m.payload) == {"lumens": 9})
    wire = dict(first.properties.UserProperty)
    assert wire["message-id"] == ours["message-id"] and wire["traceparent"].startswith("00-")


def test_duplicates_poison_and_retries_to_dead_letter(streetlights: ModuleType) -> None:
    lamp = uuid.uuid4().hex
    topic = MEASURED.format(lamp)
    got: list[int] = []
    app = streetlights.app.create_app(URL, max_attempts=3, **FAST)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id != lamp:
            return  # another test's lamp on the shared channel
        got.append(payload.lumens)
        if payload.lumens == 99:
            raise RuntimeError("too bright")

    async def main() -> list[Any]:
        dead: list[Any] = []
        async with plain() as client, app:
            await client.subscribe(topic + ".dlq", qos=1)
            reader = asyncio.create_task(collect(client, dead))
            for _ in range(3):
                await client.publish(topic, b'{"lumens": 3}', qos=1, properties=props({"message-id": "dup-1"}))
            await client.publish(topic, b'{"lumens": 4}', qos=1, properties=props({"message-id": "dup-2"}))
            await client.publish(topic, b"{broken", qos=1, properties=props({"message-id": "poison"}))
            await client.publish(topic, b'{"lumens": 99}', qos=1, properties=props({"message-id": "failing"}))
            await wait_for(lambda: len(dead) >= 2)
            reader.cancel()
        return dead

    dead = run(main())
    assert sorted(n for n in got if n != 99) == [3, 4] and got.count(99) == 3
    by_id = {dict(m.properties.UserProperty)["message-id"]: m for m in dead}
    poison = dict(by_id["poison"].properties.UserProperty)
    failing = dict(by_id["failing"].properties.UserProperty)
    assert by_id["poison"].payload == b"{broken" and poison["wiregen-attempts"] == "1"
    assert failing["wiregen-attempts"] == "3" and failing["wiregen-error"] == "RuntimeError: too bright"


def test_request_reply_round_trip(orders: ModuleType) -> None:
    models = orders.models
    app = orders.app.create_app(URL, **FAST)

    @app.handle_place_order
    async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
        return models.OrderPlacedPayload(order_id=f"{region}:{payload.sku}", status="accepted")

    async def main() -> Any:
        async with app:
            return await app.place_order(models.Order(sku="tea", quantity=2), region="latam", timeout=10)

    assert run(main()).order_id == "latam:tea"


_CONSUMER = """
import asyncio, os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from wg_streetlights.app import create_app
log = Path(sys.argv[3])
app = create_app(sys.argv[2])

@app.receive_light_measurement
async def handler(payload, *, streetlight_id, headers):
    if streetlight_id != sys.argv[-1]:
        return  # another test's lamp on the shared channel
    with log.open("a") as f:
        f.write(headers["message-id"] + "\\n")  # the side effect
    if not Path(str(log) + ".crashed").exists():
        Path(str(log) + ".crashed").write_text("x")
        os.kill(os.getpid(), signal.SIGKILL)  # dies before the PUBACK

async def main():
    async with app:
        Path(str(log) + ".ready").write_text("x")
        await asyncio.sleep(30)

asyncio.run(main())
"""


def test_consumer_killed_before_ack_gets_the_message_redelivered(
    streetlights: ModuleType, generated: Path, tmp_path: Path
) -> None:
    lamp = uuid.uuid4().hex
    log = tmp_path / "effects.log"
    script = tmp_path / "consumer.py"
    script.write_text(_CONSUMER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    url = f"{URL}?client_id=wgtest-{lamp[:12]}"

    def start() -> subprocess.Popen[bytes]:
        ready = Path(str(log) + ".ready")
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, str(script), str(generated), url, str(log), lamp], env=env)
        for _ in range(300):
            if ready.exists() or proc.poll() is not None:
                break
            asyncio.run(asyncio.sleep(0.05))
        return proc

    async def send() -> None:
        async with plain() as client:
            await client.publish(MEASURED.format(lamp), b'{"lumens": 1}', qos=1, properties=props({"message-id": "crash-1"}))

    first = start()
    try:
        run(send())
        assert first.wait(timeout=20) == -9
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
    assert log.read_text().splitlines() == ["crash-1", "crash-1"]


# ------------------------------------------------------------- acknowledged publishing

TURN_ON = "smartylighting/streetlights/1/0/action/{}/turn/on"


def test_send_nobody_subscribed_to_raises_and_goes_through_once_someone_is(streetlights: ModuleType) -> None:
    """The broker's PUBACK says "No matching subscribers" (0x10) when it dropped the
    message: the publisher raises instead of losing it quietly (aiomqtt ignores the
    reason code)."""
    models = streetlights.models
    lamp = uuid.uuid4().hex
    command = models.TurnOnOffPayload(command="on")
    app = streetlights.app.create_app(URL, **FAST)  # sends only

    async def main() -> tuple[BaseException, list[Any]]:
        seen: list[Any] = []
        async with app:
            with pytest.raises(streetlights.app.PublishError) as nobody:
                await app.turn_on(command, streetlight_id=lamp)
            async with plain() as client:
                await client.subscribe(TURN_ON.format(lamp), qos=1)
                reader = asyncio.create_task(collect(client, seen))
                await app.turn_on(command, streetlight_id=lamp)  # a subscriber now: acknowledged
                await wait_for(lambda: bool(seen))
                reader.cancel()
        return nobody.value, seen

    nobody, seen = run(main())
    assert "No matching subscribers" in str(nobody) and nobody.address == TURN_ON.format(lamp)
    assert [json.loads(m.payload) for m in seen] == [{"command": "on"}]
