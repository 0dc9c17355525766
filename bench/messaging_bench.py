"""End-to-end messaging benchmark: the generated app vs a hand-written FastStream app.

Both apps do the same thing on the same broker: publish ``LightMeasuredPayload``
(the generated streetlights example's own pydantic model, ``lumens`` + ``sentAt``) to
``smartylighting/streetlights/1/0/event/{id}/lighting/measured`` and consume it with a
typed handler that acknowledges only after it returned (FastStream:
``AckPolicy.NACK_ON_ERROR``; the generated app: its at-least-once runtime). RabbitMQ:
the same topic exchange, the same quorum queue (delivery limit, dead-letter exchange:
what the generated app declares), the same prefetch (32), persistent messages and
publisher confirms on both. NATS: the same JetStream stream (limits retention, 7 days,
as the generated app declares it), JetStream publishing that waits for the PubAck on
both (FastStream: ``publish(..., stream=...)``), and a durable push consumer with
explicit acks, ``DeliverPolicy.ALL`` and 64 messages in flight on both. Each NATS run
starts and ends by purging the channel stream (its whole content: do not run this
next to the test suite, whose consumers share the stream).

Each round runs each app in a fresh process (order alternating between rounds):

* **throughput** -- ``--messages`` published by ``--concurrency`` tasks as fast as the
  app allows; msgs/s from the first publish to the last handler done;
* **latency** -- ``--latency-messages`` published at ``--rate`` msgs/s; p50/p99 of
  publish call -> handler done (same process, ``perf_counter``);
* **peak memory** -- the process's max RSS (imports included).

The table shows medians over ``--rounds``; ``ratio`` = generated / FastStream.

    python bench/messaging_bench.py                      # both brokers, 5 rounds
    python bench/messaging_bench.py --brokers rabbit --rounds 3 --messages 5000

Needs RabbitMQ (5672, guest/guest) and NATS with JetStream (4222) on 127.0.0.1 and
``pip install 'faststream[rabbit,nats]'`` (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "examples" / "generated" / "streetlights"
CHANNEL = "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured"
ROUTING = "smartylighting.streetlights.1.0.event.{}.lighting.measured"
URLS = {"rabbit": "amqp://guest:guest@127.0.0.1:5672/", "nats": "nats://127.0.0.1:4222"}
APPS = ("generated", "faststream")


# ----------------------------------------------------------------------- a worker


class Recorder:
    """Per message index: when it was published, when its handler finished."""

    def __init__(self, size: int) -> None:
        self.published = [0.0] * size
        self.done = [0.0] * size
        self.count = 0
        self.target = 0
        self.event = asyncio.Event()

    def expect(self, count: int) -> None:
        self.count = 0
        self.target = count
        self.event.clear()

    def handled(self, index: int) -> None:
        self.done[index] = time.perf_counter()
        self.count += 1
        if self.count >= self.target:
            self.event.set()


async def measure(publish: Callable[[int], Awaitable[None]], rec: Recorder, args: argparse.Namespace) -> dict[str, float]:
    warm = 200
    rec.expect(warm)
    for i in range(warm):
        await publish(i)
    await asyncio.wait_for(rec.event.wait(), 60)

    # throughput: everything at once from `concurrency` publishers
    n = args.messages
    base = warm
    rec.expect(n)
    queue = iter(range(base, base + n))

    async def publisher() -> None:
        for i in queue:
            await publish(i)

    start = time.perf_counter()
    await asyncio.gather(*(publisher() for _ in range(args.concurrency)))
    await asyncio.wait_for(rec.event.wait(), 300)
    throughput = n / (time.perf_counter() - start)

    # latency: paced publishing
    base += n
    m = args.latency_messages
    rec.expect(m)
    start = time.perf_counter()
    for k in range(m):
        delay = start + k / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        rec.published[base + k] = time.perf_counter()
        await publish(base + k)
    await asyncio.wait_for(rec.event.wait(), 120)
    lat = sorted((rec.done[base + k] - rec.published[base + k]) * 1000 for k in range(m))
    return {
        "throughput": throughput,
        "p50_ms": lat[len(lat) // 2],
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
    }


def _payload(models: Any, index: int) -> Any:
    return models.LightMeasuredPayload(lumens=index, sent_at=dt.datetime.now(dt.UTC))


async def generated_worker(broker: str, args: argparse.Namespace) -> dict[str, float]:
    sys.path.insert(0, str(PACKAGE))
    from streetlights import models
    from streetlights.app import create_app

    size = 200 + args.messages + args.latency_messages
    rec = Recorder(size)
    lamp = uuid.uuid4().hex[:12]
    prefix = f"wgbench-gen-{lamp}"
    app = create_app(URLS[broker], group_prefix=prefix)

    @app.receive_light_measurement
    async def on_measured(payload: Any, *, streetlight_id: str, headers: dict[str, str]) -> None:
        rec.handled(payload.lumens)

    async def publish(index: int) -> None:
        await app.publish_light_measurement(_payload(models, index), streetlight_id=lamp)

    if broker == "nats":
        await _purge_nats()  # a new group starts with what the stream keeps: start empty
    async with app:
        try:
            return await measure(publish, rec, args)
        finally:
            await _cleanup_generated(app, broker, prefix)


async def _cleanup_generated(app: Any, broker: str, prefix: str) -> None:
    if broker == "nats":
        await app.transport.forget()
        await _purge_nats()
        return
    import aio_pika

    connection = await aio_pika.connect(URLS[broker])
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(f"{prefix}.receiveLightMeasurement")


async def faststream_worker(broker: str, args: argparse.Namespace) -> dict[str, float]:
    sys.path.insert(0, str(PACKAGE))
    from streetlights import models

    size = 200 + args.messages + args.latency_messages
    rec = Recorder(size)
    lamp = uuid.uuid4().hex[:12]
    name = f"wgbench-fs-{lamp}"
    headers = {"wiregen-schema-version": "1.2.0"}
    if broker == "rabbit":
        from faststream import AckPolicy
        from faststream.rabbit import (
            Channel,
            ExchangeType,
            QueueType,
            RabbitBroker,
            RabbitExchange,
            RabbitQueue,
        )

        rabbit = RabbitBroker(URLS[broker], logger=None)
        exchange = RabbitExchange("amq.topic", type=ExchangeType.TOPIC, durable=True, declare=False)
        queue = RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key=ROUTING.format("*"),
            arguments={
                "x-delivery-limit": 4,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": "smartylighting/streetlights/1/0/event/+/lighting/measured.dlq",
            },
        )

        @rabbit.subscriber(queue, exchange, channel=Channel(prefetch_count=32), ack_policy=AckPolicy.NACK_ON_ERROR)
        async def on_measured(body: models.LightMeasuredPayload) -> None:
            rec.handled(body.lumens)

        async def publish(index: int) -> None:
            message_id = uuid.uuid4().hex
            await rabbit.publish(
                _payload(models, index), routing_key=ROUTING.format(lamp), exchange=exchange,
                headers={**headers, "traceparent": _traceparent()}, message_id=message_id, correlation_id=message_id,
                persist=True,
            )

        async with rabbit:
            await rabbit.start()
            try:
                return await measure(publish, rec, args)
            finally:
                await rabbit.stop()
                import aio_pika

                connection = await aio_pika.connect(URLS[broker])
                async with connection:
                    channel = await connection.channel()
                    await channel.queue_delete(name)

    from faststream import AckPolicy
    from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, RetentionPolicy

    nats_broker = NatsBroker(URLS[broker], logger=None)
    subject = ROUTING.format("*")
    # the stream the generated app declares (JetStream refuses two streams on one subject)
    stream_name = await _purge_nats()
    stream = JStream(name=stream_name, subjects=[subject], retention=RetentionPolicy.LIMITS, max_age=7 * 86_400, declare=False)

    @nats_broker.subscriber(
        subject, stream=stream, durable=name, deliver_policy=DeliverPolicy.ALL,
        config=ConsumerConfig(max_ack_pending=64, ack_wait=30), ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_measured_nats(body: models.LightMeasuredPayload) -> None:
        rec.handled(body.lumens)

    async def publish_nats(index: int) -> None:
        message_id = uuid.uuid4().hex
        await nats_broker.publish(  # stream=: JetStream publish, waits for the PubAck
            _payload(models, index), ROUTING.format(lamp), stream=stream.name, timeout=10.0,
            headers={**headers, "traceparent": _traceparent()}, correlation_id=message_id,
        )

    async with nats_broker:
        await nats_broker.start()
        try:
            return await measure(publish_nats, rec, args)
        finally:
            await nats_broker.stop()
            import nats

            nc = await nats.connect(URLS[broker])
            try:
                await nc.jetstream().delete_consumer(stream.name, name)
            finally:
                await nc.close()
            await _purge_nats()


async def _purge_nats() -> str:
    """Create the channel stream as the generated app declares it (if missing) and empty it."""
    import nats
    from streetlights._runtime.messaging_nats import NatsTransport, subject_pattern

    config = NatsTransport(URLS["nats"]).stream_config(subject_pattern(CHANNEL))
    nc = await nats.connect(URLS["nats"])
    try:
        js = nc.jetstream()
        try:
            await js.stream_info(config.name)
        except nats.js.errors.NotFoundError:
            await js.add_stream(config)
        await js.purge_stream(config.name)
    finally:
        await nc.close()
    assert config.name is not None
    return config.name


def _traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def worker(args: argparse.Namespace) -> None:
    run = generated_worker if args.worker == "generated" else faststream_worker
    result = asyncio.run(run(args.broker, args))
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


# ----------------------------------------------------------------------- the driver


def one(app: str, broker: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [
        sys.executable, __file__, "--worker", app, "--broker", broker, "--messages", str(args.messages),
        "--latency-messages", str(args.latency_messages), "--rate", str(args.rate), "--concurrency", str(args.concurrency),
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"{app} on {broker} failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brokers", default="rabbit,nats")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-messages", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=200.0, help="msgs/s in the latency phase")
    parser.add_argument("--concurrency", type=int, default=64, help="publisher tasks in the throughput phase")
    parser.add_argument("--worker", choices=APPS, help=argparse.SUPPRESS)
    parser.add_argument("--broker", choices=tuple(URLS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(
        f"# {args.rounds} rounds, {args.messages} msgs (concurrency {args.concurrency}), "
        f"latency {args.latency_messages} msgs at {args.rate:g}/s; medians"
    )
    print("| broker | app | msgs/s | p50 ms | p99 ms | peak RSS MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for broker in args.brokers.split(","):
        results: dict[str, list[dict[str, float]]] = {app: [] for app in APPS}
        for r in range(args.rounds):
            for app in APPS if r % 2 == 0 else reversed(APPS):
                results[app].append(one(app, broker, args))
                print(f"# {broker} round {r + 1} {app}: {results[app][-1]}", file=sys.stderr)
        med = {app: {k: statistics.median(x[k] for x in results[app]) for k in results[app][0]} for app in APPS}
        for app in APPS:
            m = med[app]
            print(f"| {broker} | {app} | {m['throughput']:,.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['max_rss_mb']:.0f} |")
        ratio = med["generated"]["throughput"] / med["faststream"]["throughput"]
        print(f"| {broker} | ratio gen/fs | {ratio:.2f}x | | | |")


if __name__ == "__main__":
    main()
