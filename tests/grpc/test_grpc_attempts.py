"""The gRPC call loop (``grpc_client._attempts``) driven by hand with a fake clock.

No network: the loop is sans-IO, so deadlines, backoff, the 5-attempt cap, the budget,
the breaker and stream commitment are checked step by step and exactly.
"""

from __future__ import annotations

import random
from typing import Any

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.runtime.fakes import FakeClock

from wiregen.runtime import grpc_client as gc
from wiregen.runtime.breaker import CircuitBreaker
from wiregen.runtime.budget import RetryThrottle
from wiregen.runtime.errors import CircuitOpenError, DeadlineExceededError
from wiregen.runtime.events import Emitter
from wiregen.runtime.policy import CircuitBreakerPolicy, RetryBudget, RetryPolicy


class Status(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


UNAVAILABLE = Status(grpc.StatusCode.UNAVAILABLE)


def plan(clock: FakeClock, **overrides: Any) -> gc._Plan:
    settings: dict[str, Any] = {
        "name": "/s.S/M",
        "timeout": 30.0,
        "retry": RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=8.0, budget=None),
        "replayable": True,
        "codes": gc.DEFAULT_RETRY_CODES,
        "throttle": None,
        "breaker": None,
        "limiter": None,
        "max_wait": 0.0,
        "clock": clock,
        "rng": random.Random(7),
        "emit": Emitter(None),
    }
    settings.update(overrides)
    return gc._Plan(**settings)


def drive(p: gc._Plan, outcomes: list[object]) -> tuple[object, list[float | None], list[float]]:
    """Feed ``outcomes`` to the attempts in order; return (result, attempt budgets, sleeps)."""
    loop = gc._attempts(p)
    sends: list[float | None] = []
    sleeps: list[float] = []
    pending = iter(outcomes)
    try:
        step = next(loop)
        while True:
            if isinstance(step, gc.Sleep):
                sleeps.append(step.seconds)
                p.clock.sleep(step.seconds)
                step = loop.send(None)
            else:
                assert isinstance(step, gc.Send)
                sends.append(step.left)
                step = loop.send(next(pending))
    except StopIteration as stop:
        return stop.value, sends, sleeps


def test_unavailable_is_retried_then_the_value_returned() -> None:
    clock = FakeClock()
    result, sends, sleeps = drive(plan(clock), [UNAVAILABLE, UNAVAILABLE, gc._Done("ok")])
    assert result == "ok" and len(sends) == 3 and len(sleeps) == 2
    assert sleeps[0] <= 0.5 and sleeps[1] <= 1.0  # full jitter under the exponential cap


def test_attempts_are_capped_at_five_whatever_the_policy() -> None:
    clock = FakeClock()
    p = plan(clock, retry=RetryPolicy(max_attempts=50, base_delay=0.0, max_delay=0.0, budget=None))
    with pytest.raises(Status):
        drive(p, [UNAVAILABLE] * 50)
    assert p.attempts == gc.MAX_ATTEMPTS


def test_other_codes_are_not_retried() -> None:
    p = plan(FakeClock())
    with pytest.raises(Status):
        drive(p, [Status(grpc.StatusCode.INVALID_ARGUMENT)])
    assert p.attempts == 1


def test_each_attempt_gets_what_is_left_and_backoff_never_extends_the_deadline() -> None:
    clock = FakeClock()
    p = plan(clock, timeout=1.0, retry=RetryPolicy(max_attempts=5, base_delay=0.4, max_delay=0.4, budget=None))

    def slow_failure(left: float) -> object:
        # grpc ends an attempt at its deadline with DEADLINE_EXCEEDED
        clock.advance(min(0.3, left))
        return UNAVAILABLE if left > 0.3 else Status(grpc.StatusCode.DEADLINE_EXCEEDED)

    loop = gc._attempts(p)
    step = next(loop)
    budgets = []
    with pytest.raises(DeadlineExceededError):
        while True:
            if isinstance(step, gc.Sleep):
                clock.sleep(step.seconds)
                step = loop.send(None)
            else:
                assert isinstance(step, gc.Send) and step.left is not None
                budgets.append(step.left)
                step = loop.send(slow_failure(step.left))
    assert budgets[0] == pytest.approx(1.0)
    assert all(b is not None and b > 0 for b in budgets) and budgets == sorted(budgets, reverse=True)
    assert clock.elapsed <= 1.0 + 1e-9


def test_deadline_exceeded_from_the_server_becomes_the_runtime_error() -> None:
    with pytest.raises(DeadlineExceededError) as caught:
        drive(plan(FakeClock()), [Status(grpc.StatusCode.DEADLINE_EXCEEDED)])
    assert isinstance(caught.value.__cause__, grpc.RpcError)


def test_a_committed_or_one_shot_call_is_not_retried() -> None:
    p = plan(FakeClock())
    p.committed = True
    with pytest.raises(Status):
        drive(p, [UNAVAILABLE])
    assert p.attempts == 1
    one_shot = plan(FakeClock(), replayable=False)
    with pytest.raises(Status):
        drive(one_shot, [UNAVAILABLE])
    assert one_shot.attempts == 1


def test_the_budget_stops_retry_storms() -> None:
    throttle = RetryThrottle(RetryBudget(max_tokens=4, token_ratio=0.1))
    p = plan(FakeClock(), throttle=throttle)
    with pytest.raises(Status):
        drive(p, [UNAVAILABLE] * 5)
    assert p.attempts == 2  # 4 -> 3 tokens (retry allowed), 3 -> 2 (not above half: stop)


def test_the_breaker_counts_server_trouble_and_then_fails_fast() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("t", CircuitBreakerPolicy(window=2, min_calls=2, open_seconds=10), clock, Emitter(None))
    for _ in range(2):
        with pytest.raises(Status):
            drive(plan(clock, breaker=breaker, retry=None), [UNAVAILABLE])
    with pytest.raises(CircuitOpenError) as caught:
        drive(plan(clock, breaker=breaker, retry=None), [])
    assert caught.value.attempts == 0
    clock.advance(10)
    assert drive(plan(clock, breaker=breaker, retry=None), [gc._Done(1)])[0] == 1  # a probe gets through


@settings(max_examples=80, deadline=None)
@given(
    timeout=st.floats(0.05, 20),
    durations=st.lists(st.floats(0, 5), min_size=1, max_size=6),
    succeed=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_calls_end_within_their_deadline(timeout: float, durations: list[float], succeed: bool, seed: int) -> None:
    """Attempts that take time (cut at their deadline, as grpc does) and fail, then maybe
    succeed: the call never outlives its deadline nor makes more than 5 attempts."""
    clock = FakeClock()
    p = plan(clock, timeout=timeout, rng=random.Random(seed))
    outcomes = iter(durations)
    loop = gc._attempts(p)
    try:
        step = next(loop)
        while True:
            if isinstance(step, gc.Sleep):
                clock.sleep(step.seconds)
                step = loop.send(None)
                continue
            assert isinstance(step, gc.Send) and step.left is not None and step.left > 0
            took = next(outcomes, 0.0)
            clock.advance(min(took, step.left))
            if took >= step.left:
                step = loop.send(Status(grpc.StatusCode.DEADLINE_EXCEEDED))
            elif succeed and p.attempts == len(durations):
                step = loop.send(gc._Done("ok"))
            else:
                step = loop.send(UNAVAILABLE)
    except StopIteration as stop:
        assert stop.value == "ok"
    except (Status, DeadlineExceededError):
        pass
    assert clock.elapsed <= timeout + 1e-9
    assert p.attempts <= gc.MAX_ATTEMPTS
