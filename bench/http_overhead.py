"""Per-call overhead of the wiregen runtime client vs plain httpx, sync and async.

Both talk to the same tiny keep-alive HTTP/1.1 server on loopback, run in a
separate process so that it does not compete with the client for the GIL.  The
runtime client runs with its default policy on (deadline, retries with budget,
circuit breaker; no faults, so nothing is retried); a second runtime variant
with every mechanism switched off shows what the policy itself costs.

    python bench/http_overhead.py                 # 3000 calls per variant and mode
    python bench/http_overhead.py --calls 10000 --json /tmp/overhead.json

Calls are made in interleaved rounds (a block of each variant in turn) so that
drift in machine load hits all variants alike; the median per-call latency of
each variant is reported, with the ratio to plain httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "generator"))

BODY = json.dumps({"id": 1, "name": "widget", "tags": ["a", "b"], "price": 9.5}).encode()


# -- the server (a child process) ----------------------------------------------------


async def _serve(sock: socket.socket) -> None:
    response = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(BODY)}\r\n\r\n".encode()
        + BODY
    )

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, sock=sock)
    async with server:
        await server.serve_forever()


def serve(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    asyncio.run(_serve(sock))


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-fd", str(sock.fileno())], pass_fds=[sock.fileno()]
    )
    sock.close()
    return child, f"http://127.0.0.1:{port}"


# -- the clients ----------------------------------------------------------------------


def endpoint() -> Any:
    from wiregen.runtime import http as H

    return H.Endpoint(
        name="get_item",
        method="GET",
        path="/items/{item_id}",
        params=(H.Param(name="item_id", py_name="item_id", location="path", required=True),),
        responses=(H.ResponseSpec(status="200", kind="json", media_type="application/json"),),
    )


def policies_off() -> dict[str, Any]:
    return {"retry": None, "circuit_breaker": None, "timeout": None}


def sync_variants(url: str) -> tuple[dict[str, Callable[[], Any]], Callable[[], None]]:
    import httpx

    from wiregen.runtime import http as H

    ep = endpoint()
    plain = httpx.Client(base_url=url)
    runtime = H.SyncClient(url)
    bare = H.SyncClient(url, **policies_off())
    variants = {
        "httpx": lambda: plain.get("/items/1").json(),
        "runtime": lambda: runtime.call(ep, {"item_id": 1}),
        "runtime, policy off": lambda: bare.call(ep, {"item_id": 1}),
    }

    def close() -> None:
        plain.close()
        runtime.close()
        bare.close()

    return variants, close


def async_variants(
    url: str,
) -> tuple[dict[str, Callable[[], Awaitable[Any]]], Callable[[], Awaitable[None]]]:
    import httpx

    from wiregen.runtime import http as H

    ep = endpoint()
    plain = httpx.AsyncClient(base_url=url)
    runtime = H.AsyncClient(url)
    bare = H.AsyncClient(url, **policies_off())

    async def plain_call() -> Any:
        return (await plain.get("/items/1")).json()

    variants: dict[str, Callable[[], Awaitable[Any]]] = {
        "httpx": plain_call,
        "runtime": lambda: runtime.call(ep, {"item_id": 1}),
        "runtime, policy off": lambda: bare.call(ep, {"item_id": 1}),
    }

    async def close() -> None:
        await plain.aclose()
        await runtime.aclose()
        await bare.aclose()

    return variants, close


# -- measuring ------------------------------------------------------------------------


def measure_sync(url: str, calls: int, block: int) -> dict[str, list[float]]:
    variants, close = sync_variants(url)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    clock = time.perf_counter_ns
    try:
        for fn in variants.values():  # warm-up: connections, adapters, caches
            for _ in range(200):
                fn()
        while len(samples["httpx"]) < calls:
            for name, fn in variants.items():
                out = samples[name]
                for _ in range(block):
                    t0 = clock()
                    fn()
                    out.append((clock() - t0) / 1000)
    finally:
        close()
    return samples


def measure_async(url: str, calls: int, block: int) -> dict[str, list[float]]:
    async def main() -> dict[str, list[float]]:
        variants, close = async_variants(url)
        samples: dict[str, list[float]] = {name: [] for name in variants}
        clock = time.perf_counter_ns
        try:
            for fn in variants.values():
                for _ in range(200):
                    await fn()
            while len(samples["httpx"]) < calls:
                for name, fn in variants.items():
                    out = samples[name]
                    for _ in range(block):
                        t0 = clock()
                        await fn()
                        out.append((clock() - t0) / 1000)
        finally:
            await close()
        return samples

    return asyncio.run(main())


def report(mode: str, samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    base = statistics.median(samples["httpx"])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        rows.append(
            {
                "mode": mode,
                "variant": name,
                "calls": len(values),
                "median_us": round(median, 1),
                "p90_us": round(p90, 1),
                "ratio": round(median / base, 3),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per variant and mode")
    parser.add_argument("--block", type=int, default=100, help="calls per variant per round")
    parser.add_argument("--modes", nargs="+", default=["sync", "async"])
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fd is not None:
        serve(args.serve_fd)
        return 0

    child, url = start_server()
    rows: list[dict[str, Any]] = []
    try:
        for mode in args.modes:
            measure = measure_sync if mode == "sync" else measure_async
            rows += report(mode, measure(url, args.calls, args.block))
    finally:
        child.terminate()
        child.wait(10)

    import httpx

    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}, {os.cpu_count()} CPUs")
    print(f"{'mode':6} {'variant':22} {'calls':>6} {'median µs':>10} {'p90 µs':>9} {'ratio':>6}")
    for r in rows:
        print(
            f"{r['mode']:6} {r['variant']:22} {r['calls']:>6} {r['median_us']:>10} "
            f"{r['p90_us']:>9} {r['ratio']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    worst = max(r["ratio"] for r in rows if r["variant"] == "runtime")
    print(f"worst runtime/httpx ratio: {worst} (target <= 1.15)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
