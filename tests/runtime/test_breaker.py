"""The circuit breaker against a reference model, and HALF_OPEN under 100 concurrent callers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from wiregen.runtime import http as H
from wiregen.runtime.breaker import CircuitBreaker
from wiregen.runtime.events import Emitter

from .fakes import FakeClock

# -- the reference model ------------------------------------------------------------


@dataclass
class Call:
    epoch: int


@dataclass
class Model:
    """The DESIGN §6 breaker, written as plainly as possible."""

    policy: H.CircuitBreakerPolicy
    state: str = "closed"
    epoch: int = 0
    outcomes: list[bool] = field(default_factory=list)  # True = failure
    opened_at: float = 0.0
    probes: int = 0
    probes_ok: int = 0
    transitions: list[tuple[str, str]] = field(default_factory=list)

    def _go(self, new: str, now: float) -> None:
        self.transitions.append((self.state, new))
        self.state = new
        self.epoch += 1
        self.probes = self.probes_ok = 0
        if new == "open":
            self.opened_at = now
        if new == "closed":
            self.outcomes = []

    def admit(self, now: float) -> Call | None:
        if self.state == "open":
            if now - self.opened_at < self.policy.open_seconds:
                return None
            self._go("half_open", now)
        if self.state == "half_open":
            if self.probes == self.policy.half_open_probes:
                return None
            self.probes += 1
        return Call(self.epoch)

    def finish(self, call: Call, failed: bool, now: float) -> None:
        if call.epoch != self.epoch:
            return  # admitted in an earlier state: its outcome no longer counts
        if self.state == "closed":
            self.outcomes = ([*self.outcomes, failed])[-self.policy.window :]
            n = len(self.outcomes)
            if n >= self.policy.min_calls and sum(self.outcomes) / n >= self.policy.failure_rate:
                self._go("open", now)
        elif self.state == "half_open":
            if failed:
                self._go("open", now)
            else:
                self.probes_ok += 1
                if self.probes_ok == self.policy.half_open_probes:
                    self._go("closed", now)

    def abandon(self, call: Call) -> None:
        if call.epoch == self.epoch and self.state == "half_open":
            self.probes -= 1


class BreakerMachine(RuleBasedStateMachine):
    calls = Bundle("calls")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.events: list[Any] = []

    @initialize(
        window=st.integers(1, 12),
        min_calls_fraction=st.floats(0, 1),
        failure_rate=st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.75, 1.0]),
        open_seconds=st.sampled_from([0.0, 1.0, 5.0, 30.0]),
        probes=st.integers(1, 4),
    )
    def setup(
        self,
        window: int,
        min_calls_fraction: float,
        failure_rate: float,
        open_seconds: float,
        probes: int,
    ) -> None:
        policy = H.CircuitBreakerPolicy(
            window=window,
            min_calls=max(1, round(window * min_calls_fraction)),
            failure_rate=failure_rate,
            open_seconds=open_seconds,
            half_open_probes=probes,
        )
        self.model = Model(policy)
        self.breaker = CircuitBreaker(
            "http://h:80", policy, self.clock, Emitter(self.events.append)
        )

    @rule(target=calls)
    def admit(self) -> Any:
        expected = self.model.admit(self.clock.now)
        try:
            ticket = self.breaker.admit()
        except H.CircuitOpenError as error:
            assert expected is None, "rejected a call the model admits"
            assert error.attempts == 0 and error.host == "http://h:80"
            if self.model.state == "open":
                left = self.model.opened_at + self.model.policy.open_seconds - self.clock.now
                assert error.retry_after == pytest.approx(left)
            return multiple()
        assert expected is not None, "admitted a call the model rejects"
        return (ticket, expected)

    @rule(call=consumes(calls), failed=st.booleans())
    def finish(self, call: tuple[int, Call], failed: bool) -> None:
        self.breaker.record(call[0], failed)
        self.model.finish(call[1], failed, self.clock.now)

    @rule(call=consumes(calls))
    def abandon(self, call: tuple[int, Call]) -> None:
        self.breaker.release(call[0])
        self.model.abandon(call[1])

    @rule(seconds=st.sampled_from([0.5, 1.0, 5.0, 29.9, 30.0]))
    def tick(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def same_state(self) -> None:
        if hasattr(self, "model"):
            assert self.breaker.state.value == self.model.state
            assert [(e.old.value, e.new.value) for e in self.events] == self.model.transitions


BreakerMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)
TestBreakerModel = BreakerMachine.TestCase


def test_default_numbers() -> None:
    """CLOSED -> OPEN at 50 % of the last 100 (not before 20 calls), 30 s, 5 probes."""
    clock = FakeClock()
    breaker = CircuitBreaker("h", H.CircuitBreakerPolicy(), clock, Emitter(None))
    for _ in range(19):
        breaker.record(breaker.admit(), True)
    assert breaker.state is H.CircuitState.CLOSED  # 19 failures: below min_calls
    breaker.record(breaker.admit(), True)
    assert breaker.state is H.CircuitState.OPEN
    clock.advance(29.99)
    with pytest.raises(H.CircuitOpenError) as info:
        breaker.admit()
    assert info.value.retry_after == pytest.approx(0.01)
    clock.advance(0.01)
    tickets = [breaker.admit() for _ in range(5)]
    assert breaker.state is H.CircuitState.HALF_OPEN
    with pytest.raises(H.CircuitOpenError):
        breaker.admit()
    for t in tickets:
        breaker.record(t, False)
    assert breaker.state is H.CircuitState.CLOSED
    # 50 successes then 50 failures in the window of 100: exactly 50 % opens it
    for _ in range(50):
        breaker.record(breaker.admit(), False)
    for _ in range(49):
        breaker.record(breaker.admit(), True)
    assert breaker.state is H.CircuitState.CLOSED
    breaker.record(breaker.admit(), True)
    assert breaker.state is H.CircuitState.OPEN


# -- through the clients: no I/O when open, exactly N probes under concurrency -------

PING = H.Endpoint(
    name="ping", method="GET", path="/ping", responses=(H.ResponseSpec(status="200", kind="json"),)
)
POLICY = H.CircuitBreakerPolicy(window=10, min_calls=5, open_seconds=30, half_open_probes=5)
CALLERS = 100


def _wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def test_sync_open_circuit_fails_fast_and_half_open_admits_exactly_the_probes() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    release = threading.Event()
    seen = {"requests": 0, "in_flight": 0}
    failing = True

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            seen["requests"] += 1
            seen["in_flight"] += 1
        try:
            if failing:
                return httpx.Response(503)
            assert release.wait(10)
            return httpx.Response(200, json={"pong": True})
        finally:
            with lock:
                seen["in_flight"] -= 1

    events: list[Any] = []
    client = H.SyncClient(
        "http://svc.test",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        retry=None,
        circuit_breaker=POLICY,
        clock=clock,
        on_event=events.append,
    )
    for _ in range(5):
        with pytest.raises(H.ApiError):
            client.call(PING)
    assert dict(client.circuit_states()) == {"http://svc.test:80": "open"}
    with pytest.raises(H.CircuitOpenError) as info:
        client.call(PING)
    assert seen["requests"] == 5  # no I/O while open
    assert info.value.host == "http://svc.test:80" and info.value.retry_after == 30

    failing = False
    clock.advance(30)
    results: list[Any] = []
    start = threading.Barrier(CALLERS)

    def caller() -> None:
        start.wait()
        try:
            results.append(client.call(PING))
        except H.CircuitOpenError as error:
            results.append(error)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    rejected = lambda: sum(isinstance(r, H.CircuitOpenError) for r in results)  # noqa: E731
    _wait_until(lambda: rejected() + seen["in_flight"] == CALLERS)
    assert seen["in_flight"] == POLICY.half_open_probes  # the probes, held in the handler
    release.set()
    for t in threads:
        t.join(10)
    assert rejected() == CALLERS - POLICY.half_open_probes
    assert results.count({"pong": True}) == POLICY.half_open_probes
    assert seen["requests"] == 5 + POLICY.half_open_probes
    assert dict(client.circuit_states()) == {"http://svc.test:80": "closed"}
    changes = [(e.old, e.new) for e in events if isinstance(e, H.CircuitStateChanged)]
    S = H.CircuitState
    assert changes == [(S.CLOSED, S.OPEN), (S.OPEN, S.HALF_OPEN), (S.HALF_OPEN, S.CLOSED)]


def test_async_half_open_admits_exactly_the_probes_among_100_tasks() -> None:
    clock = FakeClock()

    async def main() -> None:
        release = asyncio.Event()
        seen = {"requests": 0, "in_flight": 0}
        failing = [True]

        async def handler(request: httpx.Request) -> httpx.Response:
            seen["requests"] += 1
            if failing[0]:
                return httpx.Response(503)
            seen["in_flight"] += 1
            await asyncio.wait_for(release.wait(), 10)
            seen["in_flight"] -= 1
            return httpx.Response(200, json={"pong": True})

        async with H.AsyncClient(
            "https://svc.test",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            retry=None,
            circuit_breaker=POLICY,
            clock=clock,
        ) as client:
            for _ in range(5):
                with pytest.raises(H.ApiError):
                    await client.call(PING)
            with pytest.raises(H.CircuitOpenError):
                await client.call(PING)
            assert seen["requests"] == 5
            failing[0] = False
            clock.advance(30)

            async def caller() -> Any:
                try:
                    return await client.call(PING)
                except H.CircuitOpenError as error:
                    return error

            tasks = [asyncio.create_task(caller()) for _ in range(CALLERS)]
            for _ in range(100):  # let every task reach the breaker or the handler
                await asyncio.sleep(0)
            assert seen["in_flight"] == POLICY.half_open_probes
            assert sum(t.done() for t in tasks) == CALLERS - POLICY.half_open_probes
            release.set()
            results = await asyncio.gather(*tasks)
            assert results.count({"pong": True}) == POLICY.half_open_probes
            assert sum(isinstance(r, H.CircuitOpenError) for r in results) == 95
            assert dict(client.circuit_states()) == {"https://svc.test:443": "closed"}

    asyncio.run(main())


def test_cancelled_probe_gives_its_slot_back() -> None:
    """A probe that never reports (its task was cancelled) must not wedge HALF_OPEN."""
    clock = FakeClock()

    async def main() -> None:
        hang = asyncio.Event()
        fail = [True]

        async def handler(request: httpx.Request) -> httpx.Response:
            if fail[0]:
                return httpx.Response(500)
            if request.headers.get("x-hang"):
                await hang.wait()
            return httpx.Response(200, json=1)

        policy = H.CircuitBreakerPolicy(window=1, min_calls=1, open_seconds=1, half_open_probes=1)
        async with H.AsyncClient(
            "http://svc.test",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            circuit_breaker=policy,
            clock=clock,
        ) as client:
            with pytest.raises(H.ApiError):
                await client.call(PING)
            fail[0] = False
            clock.advance(1)
            probe = asyncio.create_task(client.call(PING, headers={"x-hang": "1"}))
            await asyncio.sleep(0.01)
            with pytest.raises(H.CircuitOpenError):
                await client.call(PING)  # the only probe slot is taken
            probe.cancel()
            with pytest.raises(asyncio.CancelledError):
                await probe
            assert await client.call(PING) == 1  # the slot came back; the probe closes it
            assert dict(client.circuit_states())["http://svc.test:80"] == "closed"

    asyncio.run(main())


def test_breaker_failures_are_5xx_429_and_transport_errors() -> None:
    statuses = iter([404, 400, 409, 200, 429, 500, 501])
    client = H.SyncClient(
        "http://svc.test",
        http_client=httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(next(statuses)))
        ),
        retry=None,
        circuit_breaker=H.CircuitBreakerPolicy(window=3, min_calls=3, failure_rate=1.0),
    )
    for _ in range(6):
        with contextlib.suppress(H.ApiError):
            client.call(PING)
        assert dict(client.circuit_states())["http://svc.test:80"] == "closed"
    with pytest.raises(H.ApiError):
        client.call(PING)  # 429, 500, 501: three failures in a row
    assert dict(client.circuit_states())["http://svc.test:80"] == "open"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = H.SyncClient(
        "http://svc.test",
        http_client=httpx.Client(transport=httpx.MockTransport(refuse)),
        retry=H.RetryPolicy(max_attempts=3, base_delay=0),
        circuit_breaker=H.CircuitBreakerPolicy(window=3, min_calls=3, failure_rate=1.0),
    )
    with pytest.raises(H.TransportError) as info:
        client.call(PING)
    assert info.value.attempts == 3  # each attempt is an outcome
    assert dict(client.circuit_states())["http://svc.test:80"] == "open"
    with pytest.raises(H.CircuitOpenError) as opened:
        client.call(PING)
    assert opened.value.attempts == 0
