"""The generated apps on the real NATS JetStream at 127.0.0.1:4222, plus interop with plain nats-py.

Skipped when NATS is down; under CI=true that is a failure instead.
"""

from __future__ import annotations

import asyncio
import contextlib
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

URL = os.environ.get("WIREGEN_NATS_URL", "nats://127.0.0.1:4222")
FAST = {"base_delay": 0.01, "max_delay": 0.05}
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


@pytest.fixture(autouse=True)
def _nats() -> None:
    require_broker("NATS", 4222)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


async def wait_for(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def prefix() -> str:
    return f"wgtest-{uuid.uuid4().hex[:12]}"


async def dead_letters(subject: str, count: int) -> list[Any]:
    """Read a dead-letter subject with a plain nats-py JetStream client."""
    import nats

    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        sub = await js.subscribe(subject, ordered_consumer=True)
        got = []
        for _ in range(count):
            got.append(await sub.next_msg(timeout=10))
        return got
    finally:
        await nc.close()


async def drop_consumers(app: Any) -> None:
    """The durable consumer the consumer processes left behind (same group prefix)."""
    import nats

    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        from wiregen.runtime.messaging_nats import advisory_stream_name

        stream = await js.find_stream_name_by_subject(MEASURED.replace("/", ".").format("*"))
        durable = f"{app.settings.group_prefix}.receiveLightMeasurement".replace(".", "_")
        await js.delete_consumer(stream, durable)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(advisory_stream_name(stream, durable))
    finally:
        await nc.close()


def test_publish_to_typed_handler_and_plain_subscriber_sees_headers(streetlights: ModuleType, prefix: str) -> None:
    import nats

    models = streetlights.models
    lamp = uuid.uuid4().hex
    got: list[tuple[Any, str, dict[str, str]]] = []
    app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id != lamp:
            return  # another test's lamp on the shared channel
        got.append((payload, streetlight_id, headers))

    async def main() -> Any:
        nc = await nats.connect(URL)
        spy = await nc.subscribe(MEASURED.format(lamp).replace("/", "."))
        try:
            async with app:
                await app.publish_light_measurement(
                    models.LightMeasuredPayload(lumens=5), streetlight_id=lamp,
                    headers=models.LightMeasuredHeaders(my_app_header=2),
                )
                await wait_for(lambda: bool(got))
                await app.transport.forget()
            return await spy.next_msg(timeout=5)
        finally:
            await nc.close()

    seen = run(main())
    payload, lamp_id, headers = got[0]
    assert payload.lumens == 5 and lamp_id == lamp and headers["my-app-header"] == "2"
    assert json.loads(seen.data) == {"lumens": 5}
    assert seen.headers["wiregen-schema-version"] == "1.2.0"
    assert seen.headers["message-id"] == headers["message-id"]
    assert seen.headers["traceparent"].startswith("00-")


def test_plain_publisher_duplicates_poison_and_retries(streetlights: ModuleType, prefix: str) -> None:
    import nats

    lamp = uuid.uuid4().hex
    subject = MEASURED.format(lamp).replace("/", ".")
    got: list[int] = []
    app = streetlights.app.create_app(URL, group_prefix=prefix, max_attempts=3, **FAST)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id != lamp:
            return  # another test's lamp on the shared channel
        assert streetlight_id == lamp
        got.append(payload.lumens)
        if payload.lumens == 99:
            raise RuntimeError("too bright")

    async def main() -> list[Any]:
        nc = await nats.connect(URL)
        try:
            async with app:
                for _ in range(3):
                    await nc.publish(subject, b'{"lumens": 3}', headers={"message-id": "dup-1"})
                await nc.publish(subject, b'{"lumens": 4}', headers={"message-id": "dup-2"})
                await nc.publish(subject, b"{broken", headers={"message-id": "poison"})
                await nc.publish(subject, b'{"lumens": 99}', headers={"message-id": "failing"})
                await nc.flush()
                await wait_for(lambda: got.count(99) == 3)
                dead = await dead_letters(MEASURED.format(lamp).replace("/", ".") + ".dlq", 2)
                await app.transport.forget()
            return dead
        finally:
            await nc.close()

    dead = run(main())
    assert sorted(n for n in got if n != 99) == [3, 4]
    by_id = {m.headers["message-id"]: m for m in dead}
    assert by_id["poison"].headers["wiregen-attempts"] == "1"
    assert by_id["poison"].headers["wiregen-error"].startswith("DecodeError")
    assert by_id["poison"].data == b"{broken"
    assert by_id["failing"].headers["wiregen-attempts"] == "3"
    assert by_id["failing"].headers["wiregen-error"] == "RuntimeError: too bright"


def test_request_reply_round_trip(orders: ModuleType, prefix: str) -> None:
    models = orders.models
    app = orders.app.create_app(URL, group_prefix=prefix, **FAST)

    @app.handle_place_order
    async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
        return models.OrderPlacedPayload(order_id=f"{region}:{payload.sku}", status="rejected")

    async def main() -> Any:
        async with app:
            try:
                return await app.place_order(models.Order(sku="tea", quantity=1), region="eu", timeout=10)
            finally:
                await app.transport.forget()

    reply = run(main())
    assert reply.order_id == "eu:tea" and reply.status == "rejected"


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
    import nats

    lamp = uuid.uuid4().hex
    log = tmp_path / "effects.log"
    script = tmp_path / "consumer.py"
    script.write_text(_CONSUMER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    url = URL + "?ack_wait=1"

    def start() -> subprocess.Popen[bytes]:
        ready = Path(str(log) + ".ready")
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, str(script), str(generated), url, str(log), prefix, lamp], env=env)
        for _ in range(300):
            if ready.exists() or proc.poll() is not None:
                break
            asyncio.run(asyncio.sleep(0.05))
        return proc

    async def send() -> None:
        nc = await nats.connect(URL)
        await nc.publish(MEASURED.format(lamp).replace("/", "."), b'{"lumens": 1}', headers={"message-id": "crash-1"})
        await nc.flush()
        await nc.close()

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
        run(drop_consumers(streetlights.app.create_app(URL, group_prefix=prefix)))
    assert log.read_text().splitlines() == ["crash-1", "crash-1"]


# ------------------------------------------------- the broker's own delivery limit


def test_consumer_config_carries_max_deliver_and_backoff() -> None:
    from wiregen.runtime import messaging_app, messaging_nats

    transport = messaging_nats.NatsTransport(URL + "?ack_wait=30")
    transport.configure(messaging_app.Redelivery.of(messaging_app.Settings()))
    config = transport.consumer_config()
    assert config.max_deliver == 5
    assert config.backoff == [30.5, 31.0, 32.0, 34.0]  # ack_wait + DESIGN §6 caps, one per redelivery
    assert config.ack_wait == 30.5
    assert messaging_nats.address_of("a.7.b", "a/{id}/b") == "a/7/b"
    assert messaging_nats.address_of("other", "a/{id}/b") == "other"


def test_consumer_crash_loop_ends_in_the_dead_letter_stream(
    streetlights: ModuleType, generated: Path, prefix: str, tmp_path: Path
) -> None:
    """Every delivery kills the consumer before its ack: JetStream's MaxDeliver stops
    redelivering after max_attempts, and its advisory gets the message dead-lettered."""
    import nats

    from .crashloop import crash_loop

    lamp = uuid.uuid4().hex
    message_id = f"crash-loop-{lamp}"
    url = URL + "?ack_wait=1"

    async def publish() -> None:
        nc = await nats.connect(URL)
        await nc.publish(MEASURED.format(lamp).replace("/", "."), b'{"lumens": 7}', headers={"message-id": message_id, "x-trace": "t7"})
        await nc.flush()
        await nc.close()

    healthy: list[object] = []
    app = streetlights.app.create_app(url, group_prefix=prefix, max_attempts=3, **FAST)

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id == lamp:
            healthy.append(payload)

    async def afterwards() -> list[Any]:
        dead: list[Any] = []
        async with app:  # a healthy instance of the group: it moves the message, never handles it
            for _ in range(100):  # the dead-letter stream appears with the first dead letter
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    dead = await dead_letters(MEASURED.format(lamp).replace("/", ".") + ".dlq", 1)
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)
            await app.transport.forget()
        return dead

    try:
        seen = crash_loop(generated, url, prefix, lamp, tmp_path, attempts=3, runs=3, publish=lambda: run(publish()))
        dead = run(afterwards())
    except BaseException:
        run(drop_consumers(app))
        raise
    assert seen == [message_id] * 3  # delivered exactly max_attempts times
    assert healthy == []
    assert dead[0].data == b'{"lumens": 7}'
    assert dead[0].headers["message-id"] == message_id
    assert dead[0].headers["x-trace"] == "t7"
    assert dead[0].headers["wiregen-attempts"] == "3"
    assert dead[0].headers["wiregen-error"].startswith("DeliveryLimit: not acknowledged after 3 deliveries")


def test_existing_consumer_gets_the_limits(streetlights: ModuleType, prefix: str) -> None:
    import nats
    from nats.js import api

    from wiregen.runtime.messaging_nats import stream_name, subject_pattern

    subjects = subject_pattern("smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured")
    durable = f"{prefix}.receiveLightMeasurement".replace(".", "_")
    app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        return None

    async def main() -> Any:
        nc = await nats.connect(URL)
        js = nc.jetstream()
        try:
            stream = stream_name(subjects)
            with contextlib.suppress(nats.js.errors.BadRequestError):
                await js.add_stream(name=stream, subjects=[subjects], retention=api.RetentionPolicy.INTEREST)
            # as an older version made it: no MaxDeliver, no BackOff
            await js.add_consumer(
                stream, api.ConsumerConfig(durable_name=durable, deliver_subject=nc.new_inbox(), ack_policy=api.AckPolicy.EXPLICIT,
                                           ack_wait=30, deliver_policy=api.DeliverPolicy.NEW, filter_subject=subjects),
            )
            async with app:
                info = await js.consumer_info(stream, durable)
                await app.transport.forget()
            return info.config
        finally:
            await nc.close()

    config = run(main())
    assert config.max_deliver == 5
    assert config.backoff == [30.01, 30.02, 30.04, 30.05]  # FAST: base 0.01 s, cap 0.05 s
