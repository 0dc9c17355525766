"""Fault injection against real loopback servers (``faultserver.FaultServer``).

Each scenario runs with the sync and the async client and checks what the policy
promises -- which attempts happen, how long the call takes (within 50 ms, on the
real clock), what it raises -- and that no socket, task or ``ResourceWarning``
is left behind.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import random
import socket
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from wiregen.runtime import http as H

from .faultserver import Drop, FaultServer, Hang, Reply, Reset, Seen, Truncate

pytestmark = pytest.mark.functional

TOLERANCE = 0.05
MODES = ["sync", "async"]

OK = (H.ResponseSpec(status="2XX", kind="json"),)
GET = H.Endpoint(name="get_item", method="GET", path="/items/1", responses=OK)
BODY = H.Body(media_type="application/json", kind="json")
POST = H.Endpoint(name="create_order", method="POST", path="/orders", body=BODY, responses=OK)
POST_KEYED = H.Endpoint(
    name="create_order",
    method="POST",
    path="/orders",
    body=BODY,
    responses=OK,
    policy=H.OperationPolicy(idempotent=True),
)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """No file descriptor and no ResourceWarning outlive a test."""
    gc.collect()
    before = open_fds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    deadline = time.monotonic() + 2
    while open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.01)  # the server thread may still be closing its side
    assert open_fds() <= before, "file descriptors leaked"
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks


class Outcome:
    def __init__(self, value: Any, elapsed: float) -> None:
        self.value = value
        self.elapsed = elapsed

    def error(self, kind: type[BaseException]) -> Any:
        assert isinstance(self.value, kind), f"expected {kind.__name__}, got {self.value!r}"
        return self.value


def call(
    mode: str,
    url: str,
    endpoint: H.Endpoint,
    body: Any = None,
    *,
    attempt_timeout: float | None = None,
    **client_kw: Any,
) -> Outcome:
    """One call with a fresh client (closed afterwards); ``attempt_timeout`` is the
    httpx client's own timeout, which limits each attempt."""
    if mode == "sync":
        http = httpx.Client(timeout=attempt_timeout) if attempt_timeout else None
        with H.SyncClient(url, http_client=http, **client_kw) as client:
            started = time.monotonic()
            try:
                value = client.call(endpoint, {}, body)
            except Exception as error:
                value = error
            elapsed = time.monotonic() - started
        if http is not None:
            http.close()
        return Outcome(value, elapsed)

    async def main() -> Outcome:
        ahttp = httpx.AsyncClient(timeout=attempt_timeout) if attempt_timeout else None
        async with H.AsyncClient(url, http_client=ahttp, **client_kw) as client:
            started = time.monotonic()
            try:
                value = await client.call(endpoint, {}, body)
            except Exception as error:
                value = error
            elapsed = time.monotonic() - started
        if ahttp is not None:
            await ahttp.aclose()
        assert asyncio.all_tasks() == {asyncio.current_task()}, "tasks leaked"
        return Outcome(value, elapsed)

    return asyncio.run(main())


def gaps(seen: list[Seen]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(seen)]


def first_delay(seed: int, cap: float) -> float:
    """The first full-jitter delay a client with ``random.Random(seed)`` draws."""
    return random.Random(seed).uniform(0, cap)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [1, 2])  # first delays 0.027 s and 0.191 s
def test_503_then_success(mode: str, seed: int) -> None:
    with FaultServer([Reply(503), Reply(200, b'{"id": 1}')]) as server:
        out = call(
            mode, server.url, GET, retry=H.RetryPolicy(base_delay=0.2), rng=random.Random(seed)
        )
    assert out.value == {"id": 1}
    assert len(server.seen) == 2
    assert gaps(server.seen)[0] == pytest.approx(first_delay(seed, 0.2), abs=TOLERANCE)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("header", "value", "delay"), [("Retry-After", "1", 1.0), ("retry-after-ms", "300", 0.3)]
)
def test_429_with_retry_after(mode: str, header: str, value: str, delay: float) -> None:
    replies = [Reply(429, headers={header: value}), Reply(200, b"[]")]
    with FaultServer(replies) as server:
        out = call(mode, server.url, GET, retry=H.RetryPolicy(base_delay=0.01))
    assert out.value == []
    assert gaps(server.seen)[0] == pytest.approx(delay, abs=TOLERANCE)


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_beyond_the_deadline_fails_at_once(mode: str) -> None:
    with FaultServer([Reply(503, headers={"Retry-After": "30"})]) as server:
        out = call(mode, server.url, GET, timeout=5)
    error = out.error(H.DeadlineExceededError)
    assert error.attempts == 1 and out.elapsed < TOLERANCE and len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
def test_connection_reset(mode: str) -> None:
    with FaultServer([Reset(), Reply(200, b'{"id": 1}')]) as server:
        out = call(mode, server.url, GET, retry=H.RetryPolicy(base_delay=0.01))
    assert out.value == {"id": 1} and len(server.seen) == 2
    assert server.seen[0].connection != server.seen[1].connection

    with FaultServer([Reset(), Reply(201, b"{}")]) as server:
        out = call(mode, server.url, POST, {"sku": "x"}, retry=H.RetryPolicy(base_delay=0.01))
    error = out.error(H.TransportError)
    assert isinstance(error.__cause__, httpx.TransportError)
    assert error.attempts == 1 and len(server.seen) == 1  # may have been processed: no retry


@pytest.mark.parametrize("mode", MODES)
def test_hung_upstream_beyond_the_deadline(mode: str) -> None:
    with FaultServer(lambda seen: Hang()) as server:
        out = call(mode, server.url, GET, timeout=0.3)
    error = out.error(H.DeadlineExceededError)
    assert isinstance(error, TimeoutError)
    assert out.elapsed == pytest.approx(0.3, abs=TOLERANCE)
    assert error.attempts == 1 and len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
def test_hung_upstream_with_attempt_timeouts_retries_until_the_deadline(mode: str) -> None:
    with FaultServer(lambda seen: Hang()) as server:
        out = call(
            mode,
            server.url,
            GET,
            timeout=0.45,
            attempt_timeout=0.1,
            retry=H.RetryPolicy(max_attempts=10, base_delay=0.01, budget=None),
        )
    error = out.error(H.DeadlineExceededError)
    assert out.elapsed == pytest.approx(0.45, abs=TOLERANCE)
    assert 3 <= error.attempts == len(server.seen) <= 5
    assert f"after {error.attempts} attempts" in str(error)


@pytest.mark.parametrize("mode", MODES)
def test_truncated_body(mode: str) -> None:
    with FaultServer([Truncate(), Reply(200, b'{"id": 2}')]) as server:
        out = call(mode, server.url, GET, retry=H.RetryPolicy(base_delay=0.01))
    assert out.value == {"id": 2} and len(server.seen) == 2

    with FaultServer([Truncate(), Reply(200, b"{}")]) as server:
        out = call(mode, server.url, POST, {}, retry=H.RetryPolicy(base_delay=0.01))
    assert isinstance(out.error(H.TransportError).__cause__, httpx.RemoteProtocolError)
    assert len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
def test_slow_response_within_the_deadline(mode: str) -> None:
    with FaultServer([Reply(200, b'{"slow": true}', delay=0.2)]) as server:
        out = call(mode, server.url, GET, timeout=1.0)
    assert out.value == {"slow": True}
    assert out.elapsed == pytest.approx(0.2, abs=TOLERANCE) and len(server.seen) == 1


@pytest.mark.parametrize("mode", MODES)
def test_body_trickling_past_the_deadline(mode: str) -> None:
    """Each read is within its timeout, but the body as a whole is not.  The async
    client cuts at the deadline; the sync one checks it between chunks, so it may
    overrun by one chunk interval (20 ms here)."""
    body = json.dumps({"pad": "x" * 60}).encode()  # one byte every 20 ms: 1.4 s in all
    with FaultServer([Reply(200, body, chunk_every=0.02)]) as server:
        out = call(mode, server.url, GET, timeout=0.3)
    error = out.error(H.DeadlineExceededError)
    assert out.elapsed == pytest.approx(0.3, abs=TOLERANCE)
    assert error.attempts == 1


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused_is_retried_for_any_method_then_opens_the_circuit(mode: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    out = call(mode, url, POST, {}, retry=H.RetryPolicy(max_attempts=3, base_delay=0.01))
    error = out.error(H.TransportError)
    assert error.attempts == 3 and isinstance(error.__cause__, httpx.ConnectError)

    breaker = H.CircuitBreakerPolicy(window=2, min_calls=2, open_seconds=60)

    def calls() -> list[Any]:
        results: list[Any] = []
        if mode == "sync":
            with H.SyncClient(url, retry=None, circuit_breaker=breaker) as client:
                for _ in range(3):
                    try:
                        client.call(GET)
                    except H.ResilienceError as e:
                        results.append(e)
            return results

        async def main() -> None:
            async with H.AsyncClient(url, retry=None, circuit_breaker=breaker) as client:
                for _ in range(3):
                    try:
                        await client.call(GET)
                    except H.ResilienceError as e:
                        results.append(e)

        asyncio.run(main())
        return results

    results = calls()
    assert [type(e) for e in results] == [H.TransportError, H.TransportError, H.CircuitOpenError]
    assert results[2].host == url and results[2].attempts == 0


# -- POST safety under a lost response --------------------------------------------------


class Orders:
    """Commits every new POST, then loses the response (drops the connection) the
    first time; de-duplicates by ``Idempotency-Key``."""

    def __init__(self) -> None:
        self.executed: list[bytes] = []
        self.by_key: dict[str, bytes] = {}

    def __call__(self, seen: Seen) -> Reply | Drop:
        key = seen.headers.get("idempotency-key")
        if key is not None and key in self.by_key:
            return Reply(201, self.by_key[key])
        self.executed.append(seen.body)  # committed
        result = json.dumps({"order": len(self.executed)}).encode()
        if key is not None:
            self.by_key[key] = result
        return Drop()  # ...and the response never arrives


@pytest.mark.parametrize("mode", MODES)
def test_post_without_key_is_not_retried_after_a_lost_response(mode: str) -> None:
    orders = Orders()
    with FaultServer(orders) as server:
        out = call(mode, server.url, POST, {"sku": "a"}, retry=H.RetryPolicy(base_delay=0.01))
    error = out.error(H.TransportError)
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)
    assert len(server.seen) == 1 and error.attempts == 1  # zero automatic retries
    assert len(orders.executed) == 1


@pytest.mark.parametrize("mode", MODES)
def test_post_with_key_is_retried_and_executed_once(mode: str) -> None:
    orders = Orders()
    with FaultServer(orders) as server:
        out = call(mode, server.url, POST_KEYED, {"sku": "a"}, retry=H.RetryPolicy(base_delay=0.01))
    assert out.value == {"order": 1}
    assert len(server.seen) == 2
    keys = {seen.headers["idempotency-key"] for seen in server.seen}
    assert len(keys) == 1  # the same key on every attempt
    assert len(orders.executed) == 1  # executed once
