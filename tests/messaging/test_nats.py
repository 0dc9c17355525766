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
                    await nc.publish(subject, b'{"lumens": 3}', headers={"message-id": f"dup-1-{lamp}"})
                await nc.publish(subject, b'{"lumens": 4}', headers={"message-id": f"dup-2-{lamp}"})
                await nc.publish(subject, b"{broken", headers={"message-id": f"poison-{lamp}"})
                await nc.publish(subject, b'{"lumens": 99}', headers={"message-id": f"failing-{lamp}"})
                await nc.flush()
                await wait_for(lambda: got.count(99) == 3)
                dead = await dead_letters(MEASURED.format(lamp).replace("/", ".") + ".dlq", 2)
                await app.transport.forget()
            return dead
        finally:
            await nc.close()

    dead = run(main())
    assert sorted(n for n in got if n != 99) == [3, 4]
    by_id = {m.headers["message-id"].removesuffix(f"-{lamp}"): m for m in dead}  # ids unique per run: the stream keeps old runs' messages
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
        await nc.publish(MEASURED.format(lamp).replace("/", "."), b'{"lumens": 1}', headers={"message-id": f"crash-1-{lamp}"})
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
    assert log.read_text().splitlines() == [f"crash-1-{lamp}"] * 2


# ------------------------------------------------- the broker's own delivery limit


def test_consumer_config_carries_max_deliver_and_backoff() -> None:
    from nats.js import api

    from wiregen.runtime import messaging_app, messaging_nats

    transport = messaging_nats.NatsTransport(URL + "?ack_wait=30")
    transport.configure(messaging_app.Redelivery.of(messaging_app.Settings()))
    config = transport.consumer_config()
    assert config.max_deliver == 5
    assert config.backoff == [30.5, 31.0, 32.0, 34.0]  # ack_wait + DESIGN §6 caps, one per redelivery
    assert config.ack_wait == 30.5
    assert config.deliver_policy == api.DeliverPolicy.ALL  # a new group gets what was sent before it existed
    stream = transport.stream_config("a.*.b")
    assert stream.retention == api.RetentionPolicy.LIMITS and stream.max_age == 7 * 86_400
    assert messaging_nats.NatsTransport(URL + "?max_age=0").stream_config("a.*.b").max_age is None
    assert transport.stream_config("a.*.b.dlq", dead_letters=True).max_age is None
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


# ------------------------------------------------------------- durable publishing


async def purge(subject: str) -> None:
    """Remove one test's messages from the shared channel stream (limits retention keeps
    them). One by one: NATS 2.9's filtered purge resets the redelivery state of every
    consumer of the stream, which would break the other tests running meanwhile."""
    import nats

    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        stream = await js.find_stream_name_by_subject(subject)
        for _ in range(1000):
            try:
                last = await js.get_last_msg(stream, subject)
            except nats.js.errors.NotFoundError:
                return
            await js.delete_msg(stream, last.seq)
    finally:
        await nc.close()


def test_send_before_any_consumer_reaches_every_group_started_later(streetlights: ModuleType, prefix: str) -> None:
    """A publisher that starts first: the message waits in the stream (limits retention)
    and each consumer group created afterwards gets it. With interest retention JetStream
    acknowledged and discarded it; with a core publish and no stream it vanished."""
    models = streetlights.models
    lamp = uuid.uuid4().hex
    subject = MEASURED.format(lamp).replace("/", ".")
    got: dict[str, list[int]] = {"a": [], "b": []}

    def consumer(group: str) -> Any:
        app = streetlights.app.create_app(URL, group_prefix=f"{prefix}-{group}", **FAST)

        @app.receive_light_measurement
        async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id == lamp:
                got[group].append(payload.lumens)

        return app

    async def main() -> None:
        publisher = streetlights.app.create_app(URL, group_prefix=f"{prefix}-pub", **FAST)  # no handlers
        async with publisher:
            await publisher.publish_light_measurement(models.LightMeasuredPayload(lumens=21), streetlight_id=lamp)
        first, second = consumer("a"), consumer("b")
        try:
            async with first, second:
                try:
                    await wait_for(lambda: got["a"] == [21] and got["b"] == [21])
                    await asyncio.sleep(0.3)  # and only once each
                finally:
                    await first.transport.forget()
                    await second.transport.forget()
        finally:
            await purge(subject)

    run(main())
    assert got == {"a": [21], "b": [21]}


def test_send_refused_or_unstored_raises_publish_error(streetlights: ModuleType, prefix: str) -> None:
    """The publisher learns when JetStream did not store the message: a refusal in the
    PubAck, no stream for the subject, no PubAck in time."""
    import nats

    models = streetlights.models
    PublishError, PublishTimeout = streetlights.app.PublishError, streetlights.app.PublishTimeout
    lamp = uuid.uuid4().hex
    private = f"wgtest.{lamp}"

    async def main() -> list[BaseException]:
        errors: list[BaseException] = []
        nc = await nats.connect(URL)
        js = nc.jetstream()
        app = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)
        try:
            async with app:
                # JetStream checks the expected stream and refuses: the error is in the PubAck
                with pytest.raises(PublishError) as refused:
                    await app.publish_light_measurement(
                        models.LightMeasuredPayload(lumens=1), streetlight_id=lamp,
                        headers={"Nats-Expected-Stream": "WG_NOT_THIS_ONE"},
                    )
                errors.append(refused.value)
                # no stream covers the subject (a plain transport call names no channel)
                with pytest.raises(PublishError) as no_stream:
                    await app.transport.publish(f"wgtest/{lamp}/nowhere", b"{}", {})
                errors.append(no_stream.value)
                # a stream that never answers (no_ack): no PubAck within the timeout
                await js.add_stream(name=f"WGTEST_{lamp}", subjects=[f"{private}.noack"], no_ack=True)
                with pytest.raises(PublishTimeout) as silent:
                    await app.transport.publish(f"{private}.noack", b"{}", {}, timeout=0.5)
                errors.append(silent.value)
        finally:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(f"WGTEST_{lamp}")
            await nc.close()
        return errors

    refused, no_stream, silent = run(main())
    assert "did not store" in str(refused) and refused.address == MEASURED.format(lamp)
    assert isinstance(refused.__cause__, nats.js.errors.APIError)
    assert "no JetStream stream" in str(no_stream)
    assert isinstance(silent, TimeoutError) and "PubAck" in str(silent)


def test_interest_stream_of_an_older_version_is_recreated_or_kept_with_a_warning() -> None:
    """NATS cannot change retention in place: an interest stream with no consumers and no
    messages is recreated with limits retention; one in use is kept, with a warning."""
    import nats
    from nats.js import api

    from wiregen.runtime.messaging_app import CHANNEL
    from wiregen.runtime.messaging_nats import NatsTransport, stream_name

    token = uuid.uuid4().hex[:12]
    idle, busy = f"wgtest.{token}.idle.*", f"wgtest.{token}.busy.*"

    async def main() -> tuple[Any, Any, list[str]]:
        nc = await nats.connect(URL)
        js = nc.jetstream()
        transport = NatsTransport(URL)
        await transport.connect()
        try:
            for subjects in (idle, busy):
                await js.add_stream(name=stream_name(subjects), subjects=[subjects], retention=api.RetentionPolicy.INTEREST)
            await js.add_consumer(stream_name(busy), api.ConsumerConfig(durable_name="someone", ack_policy=api.AckPolicy.EXPLICIT))
            with pytest.warns(RuntimeWarning) as caught:
                await transport.publish(f"wgtest/{token}/busy/1", b"{}", {CHANNEL: f"wgtest/{token}/busy/{{n}}"})
            await transport.publish(f"wgtest/{token}/idle/1", b"{}", {CHANNEL: f"wgtest/{token}/idle/{{n}}"})
            return await js.stream_info(stream_name(idle)), await js.stream_info(stream_name(busy)), [str(w.message) for w in caught]
        finally:
            await transport.close()
            for subjects in (idle, busy):
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await js.delete_stream(stream_name(subjects))
            await nc.close()

    idle_info, busy_info, warned = run(main())
    assert idle_info.config.retention == api.RetentionPolicy.LIMITS
    assert idle_info.state.messages == 1  # stored, although no consumer exists
    assert busy_info.config.retention == api.RetentionPolicy.INTEREST
    assert any("interest retention" in w for w in warned)
