"""The generated apps on the real Redis at 127.0.0.1:6379 (Streams), plus interop with plain redis-py.

Skipped when Redis is down; under CI=true that is a failure instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .conftest import require_broker

URL = os.environ.get("WIREGEN_REDIS_URL", "redis://127.0.0.1:6379/0")
FAST = {"base_delay": 0.01, "max_delay": 0.05}
CHANNEL = "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured"
MEASURED = "smartylighting/streetlights/1/0/event/{}/lighting/measured"


@pytest.fixture(autouse=True)
def _redis() -> None:
    require_broker("Redis", 6379)


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


def plain() -> Any:
    import redis.asyncio as aioredis

    return aioredis.from_url(URL)


async def plain_publish(client: Any, lamp: str, body: bytes, message_id: str) -> None:
    headers = {"message-id": message_id, "wiregen-address": MEASURED.format(lamp)}
    await client.xadd(CHANNEL, {"body": body, "headers": json.dumps(headers)})


async def read_dead(client: Any, key: str, count: int) -> list[tuple[bytes, dict[str, str]]]:
    for _ in range(250):
        entries = await client.xrange(key)
        if len(entries) >= count:
            await client.delete(key)
            return [(f[b"body"], json.loads(f[b"headers"])) for _, f in entries]
        await asyncio.sleep(0.02)
    raise AssertionError(f"no dead letters on {key}")


def test_publish_to_typed_handler_and_plain_reader_sees_headers(streetlights: ModuleType, prefix: str) -> None:
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
        client = plain()
        try:
            async with app:
                await app.publish_light_measurement(
                    models.LightMeasuredPayload(lumens=8), streetlight_id=lamp,
                    headers=models.LightMeasuredHeaders(my_app_header=1),
                )
                await wait_for(lambda: bool(got))
                await app.transport.forget()
            entries = await client.xrevrange(CHANNEL, count=50)
            return next(f for _, f in entries if json.loads(f[b"headers"]).get("wiregen-address") == MEASURED.format(lamp))
        finally:
            await client.aclose()

    seen = run(main())
    payload, lamp_id, headers = got[0]
    assert payload.lumens == 8 and lamp_id == lamp and headers["my-app-header"] == "1"
    assert json.loads(seen[b"body"]) == {"lumens": 8}
    wire = json.loads(seen[b"headers"])
    assert wire["message-id"] == headers["message-id"] and wire["wiregen-schema-version"] == "1.2.0"


def test_plain_publisher_duplicates_poison_and_retries(streetlights: ModuleType, prefix: str) -> None:
    lamp = uuid.uuid4().hex
    got: list[int] = []
    app = streetlights.app.create_app(URL, group_prefix=prefix, max_attempts=3, **FAST)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id != lamp:
            return  # another test's lamp on the shared channel
        got.append(payload.lumens)
        if payload.lumens == 99:
            raise RuntimeError("too bright")

    async def main() -> list[tuple[bytes, dict[str, str]]]:
        client = plain()
        try:
            async with app:
                for _ in range(3):
                    await plain_publish(client, lamp, b'{"lumens": 3}', f"dup-1-{lamp}")
                await plain_publish(client, lamp, b'{"lumens": 4}', f"dup-2-{lamp}")
                await plain_publish(client, lamp, b"{broken", f"poison-{lamp}")
                await plain_publish(client, lamp, b'{"lumens": 99}', f"failing-{lamp}")
                await wait_for(lambda: got.count(99) == 3)
                dead = await read_dead(client, MEASURED.format(lamp) + ".dlq", 2)
                await app.transport.forget()
            return dead
        finally:
            await client.aclose()

    dead = run(main())
    assert sorted(n for n in got if n != 99) == [3, 4]
    by_id = {h["message-id"].removesuffix(f"-{lamp}"): (b, h) for b, h in dead}  # ids unique per run: the stream keeps old runs' entries
    assert by_id["poison"][0] == b"{broken"
    assert by_id["poison"][1]["wiregen-attempts"] == "1"
    assert by_id["failing"][1]["wiregen-attempts"] == "3"
    assert by_id["failing"][1]["wiregen-error"] == "RuntimeError: too bright"


def test_request_reply_round_trip(orders: ModuleType, prefix: str) -> None:
    models = orders.models
    app = orders.app.create_app(URL, group_prefix=prefix, **FAST)

    @app.handle_place_order
    async def place(payload: Any, *, region: str, headers: dict[str, str]) -> Any:
        return models.OrderPlacedPayload(order_id=f"{region}:{payload.sku}", status="accepted")

    async def main() -> Any:
        async with app:
            try:
                return await app.place_order(models.Order(sku="tea", quantity=3), region="apac", timeout=10)
            finally:
                await app.transport.forget()

    reply = run(main())
    assert reply.order_id == "apac:tea"


_CONSUMER = """
import asyncio, os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from wg_streetlights.app import create_app
log = Path(sys.argv[3])
app = create_app(sys.argv[2], group_prefix=sys.argv[4])

@app.receive_light_measurement
async def handler(payload, *, streetlight_id, headers):
    if streetlight_id != sys.argv[5]:
        return
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
        client = plain()
        await plain_publish(client, lamp, b'{"lumens": 1}', f"crash-1-{lamp}")
        await client.aclose()

    async def drop_group() -> None:
        client = plain()
        await client.xgroup_destroy(CHANNEL, f"{prefix}.receiveLightMeasurement")
        await client.aclose()

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
        run(drop_group())
    assert log.read_text().splitlines() == [f"crash-1-{lamp}"] * 2


# ------------------------------------------------ pending entries bound crash loops


def test_consumer_crash_loop_ends_in_the_dead_letter_stream(
    streetlights: ModuleType, generated: Path, prefix: str, tmp_path: Path
) -> None:
    """Every delivery kills the consumer before its XACK: the pending entries list counts
    the deliveries, and after max_attempts a live consumer of the group dead-letters the
    entry instead of handling it again."""
    from .crashloop import crash_loop

    lamp = uuid.uuid4().hex
    message_id = f"crash-loop-{lamp}"
    url = URL + "?ack_wait=0.5"
    group = f"{prefix}.receiveLightMeasurement"

    async def publish() -> None:
        client = plain()
        await plain_publish(client, lamp, b'{"lumens": 7}', message_id)
        await client.aclose()

    healthy: list[object] = []
    app = streetlights.app.create_app(url, group_prefix=prefix, max_attempts=3, **FAST)

    @app.receive_light_measurement
    async def handler(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        if streetlight_id == lamp:
            healthy.append(payload)

    async def afterwards() -> tuple[list[tuple[bytes, dict[str, str]]], Any]:
        client = plain()
        try:
            async with app:
                dead = await read_dead(client, MEASURED.format(lamp) + ".dlq", 1)
                await asyncio.sleep(1.0)
            pending = await client.xpending(CHANNEL, group)
            return dead, pending
        finally:
            await client.xgroup_destroy(CHANNEL, group)
            await client.aclose()

    seen = crash_loop(generated, url, prefix, lamp, tmp_path, attempts=3, runs=3, publish=lambda: run(publish()))
    dead, pending = run(afterwards())
    assert seen == [message_id] * 3  # delivered exactly max_attempts times
    assert healthy == []
    body, headers = dead[0]
    assert json.loads(body) == {"lumens": 7}
    assert headers["message-id"] == message_id
    assert headers["wiregen-attempts"] == "3"
    assert headers["wiregen-error"].startswith("DeliveryLimit: not acknowledged after 3 deliveries")
    assert pending["pending"] == 0  # acknowledged once dead-lettered


def test_redelivery_waits_ack_wait_plus_backoff() -> None:
    from wiregen.runtime import messaging_app, messaging_redis

    transport = messaging_redis.RedisTransport(URL + "?ack_wait=30")
    transport.configure(messaging_app.Redelivery.of(messaging_app.Settings()))
    assert [transport.claim_after(n) for n in (1, 2, 3, 4, 5, 6)] == [30.5, 31.0, 32.0, 34.0, 38.0, 38.0]


# ------------------------------------------------------- de-duplication in Redis


def test_redis_dedup_store_is_shared_by_instances_of_a_group(streetlights: ModuleType, prefix: str) -> None:
    """Two instances (fresh processes have empty memory windows) with ``dedup_url``: the
    second one acknowledges an id the first one handled, without running its handler."""
    lamp = uuid.uuid4().hex

    async def one_instance(dedup_url: str | None, message_id: str) -> list[int]:
        got: list[int] = []
        settings: dict[str, Any] = {"dedup_url": dedup_url} if dedup_url else {}
        app = streetlights.app.create_app(None, group_prefix=prefix, **settings, **FAST)  # in-memory broker

        @app.receive_light_measurement
        async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            got.append(payload.lumens)

        async with app:
            body = json.dumps({"lumens": 5}).encode()
            await app.transport.publish(
                MEASURED.format(lamp), body, {"message-id": message_id, "wiregen-address": MEASURED.format(lamp)}
            )
            await asyncio.sleep(0.3)
        return got

    async def main() -> tuple[list[int], list[int], list[int], list[int], float]:
        shared = f"shared-{lamp}"
        first = await one_instance(URL, shared)
        second = await one_instance(URL, shared)  # another instance: same group, same id
        alone = await one_instance(None, f"alone-{lamp}")
        again = await one_instance(None, f"alone-{lamp}")  # the in-memory window cannot see it
        client = plain()
        try:
            ttl = await client.pttl(f"wiregen:seen:{prefix}:receiveLightMeasurement:{shared}")
            await client.delete(f"wiregen:seen:{prefix}:receiveLightMeasurement:{shared}")
        finally:
            await client.aclose()
        return first, second, alone, again, ttl

    first, second, alone, again, ttl = run(main())
    assert first == [5]
    assert second == []  # seen in Redis: acknowledged, not handled again
    assert alone == [5] and again == [5]
    assert 86_000_000 < ttl <= 86_400_000  # kept dedup_ttl (one day by default)


# ----------------------------------------------------- publishers before consumers

TURN_ON = "smartylighting/streetlights/1/0/action/{}/turn/on"


def test_send_before_any_consumer_group_is_delivered_when_it_starts(streetlights: ModuleType, prefix: str) -> None:
    """XADD stores the entry whether or not a group exists; a group created afterwards
    starts with the entries max_age keeps (it used to start at ``$``: nothing earlier)."""
    models = streetlights.models
    lamp = uuid.uuid4().hex
    got: list[str] = []

    async def main() -> None:
        publisher = streetlights.app.create_app(URL, group_prefix=f"{prefix}-pub", **FAST)  # no handlers
        async with publisher:
            await publisher.turn_on(models.TurnOnOffPayload(command="on"), streetlight_id=lamp)
        consumer = streetlights.app.create_app(URL, group_prefix=prefix, **FAST)

        @consumer.on_turn_on
        async def on_turn_on(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
            if streetlight_id == lamp:
                got.append(str(payload.command))

        async with consumer:
            try:
                await wait_for(lambda: bool(got))
                await asyncio.sleep(0.3)  # and only once
            finally:
                await consumer.transport.forget()

    run(main())
    assert got == ["on"]


def test_sends_trim_entries_older_than_max_age_and_report_errors() -> None:
    from wiregen.runtime.messaging_app import CHANNEL, PublishError
    from wiregen.runtime.messaging_redis import RedisTransport

    token = uuid.uuid4().hex
    channel = f"wgtest/{token}/{{n}}"
    broken = f"wgtest/{token}/broken"

    async def main() -> tuple[int, list[Any], BaseException]:
        client = plain()
        transport = RedisTransport(URL + "?max_age=3600")
        await transport.connect()
        try:
            async with client.pipeline(transaction=False) as pipe:
                for i in range(1, 301):  # entries from 1970: far older than max_age
                    pipe.xadd(channel, {"body": b"{}", "headers": "{}"}, id=f"{i}-0")
                await pipe.execute()
            await transport.publish(f"wgtest/{token}/1", b'{"n": 1}', {CHANNEL: channel})
            length, newest = await client.xlen(channel), await client.xrevrange(channel, count=1)
            await client.set(broken, "not a stream")
            with pytest.raises(PublishError) as refused:
                await transport.publish(broken, b"{}", {})
            return length, newest, refused.value
        finally:
            await transport.close()
            await client.delete(channel, broken)
            await client.aclose()

    length, newest, refused = run(main())
    assert length < 300  # XADD MINID ~ dropped the old entries (whole radix nodes)
    assert newest[0][1][b"body"] == b'{"n": 1}'
    assert "WRONGTYPE" in str(refused) and refused.address == broken
    assert RedisTransport(URL + "?max_age=0").oldest_kept() == "0"
    oldest = int(RedisTransport(URL + "?max_age=60").oldest_kept().split("-")[0])
    assert abs(oldest - (time.time() - 60) * 1000) < 5_000


def test_a_late_reply_does_not_leave_a_stream_behind_for_good() -> None:
    """A group that starts late also handles old requests; their requesters are gone, so
    the reply streams it creates expire (a dead letter's stream does not)."""
    from wiregen.runtime.messaging_redis import REPLY_TTL, RedisTransport

    token = uuid.uuid4().hex
    reply, dead = f"wiregen.reply.{token}", f"wgtest/{token}.dlq"

    async def main() -> tuple[int, int]:
        transport = RedisTransport(URL)
        await transport.connect()
        client = plain()
        try:
            await transport.send_direct(reply, b"{}", {"correlation-id": "c"})
            await transport.send_direct(dead, b"{}", {"message-id": "m"})
            return await client.ttl(reply), await client.ttl(dead)
        finally:
            await client.delete(reply, dead)
            await client.aclose()
            await transport.close()

    reply_ttl, dead_ttl = run(main())
    assert 0 < reply_ttl <= REPLY_TTL
    assert dead_ttl == -1  # kept
