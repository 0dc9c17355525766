"""Properties of the shared call loop (``attempts.run``), driven with a fake clock.

A simulated network answers each attempt from a script: a status after some
time, a refused connection, a reset, or a response that takes longer than the
attempt's timeout (which the simulation turns into ``httpx.ReadTimeout`` after
exactly that timeout, as the real transport would).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiregen.runtime import idempotency
from wiregen.runtime.attempts import NOT_SENT, Acquire, CallPlan, Resolved, Send, Sleep, run
from wiregen.runtime.backoff import backoff_cap, retry_after_seconds
from wiregen.runtime.budget import RetryThrottle
from wiregen.runtime.errors import (
    BulkheadFullError,
    DeadlineExceededError,
    ResilienceError,
    TransportError,
)
from wiregen.runtime.policy import (
    DEFAULT_RETRY,
    DEFAULT_RETRY_STATUSES,
    UNSET,
    OperationPolicy,
    RetryBudget,
    RetryPolicy,
)

from .fakes import FakeClock


@dataclass(frozen=True)
class Net:
    """What the network does on one attempt."""

    kind: str  # "status" | "refused" | "reset"
    status: int = 200
    duration: float = 0.0
    retry_after: str | None = None


@dataclass
class Trace:
    outcomes: list[Any]
    sleeps: list[float]
    send_times: list[float]
    sleep_times: list[float] = field(default_factory=list)
    result: Any = None
    error: BaseException | None = None


def make_plan(
    clock: FakeClock,
    *,
    method: str = "GET",
    keyed: bool = False,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    throttle: RetryThrottle | None = None,
    timeout: float | None = 30.0,
    client_timeout: httpx.Timeout | None = None,
    seed: int = 0,
    events: list[Any] | None = None,
    limiter: Any = None,
    max_wait: float = 0.0,
) -> CallPlan:
    request = httpx.Request(method, "http://api.test/op")
    safe = idempotency.prepare(method, request.headers, OperationPolicy(idempotent=keyed), UNSET)
    policy = Resolved(
        operation="op",
        timeout=timeout,
        client_timeout=client_timeout or httpx.Timeout(None),
        retry=retry,
        throttle=throttle,
        breaker=None,
        limiter=limiter,
        max_wait=max_wait,
        clock=clock,
        rng=random.Random(seed),
        emit=(events.append if events is not None else lambda e: None),
    )
    return CallPlan(policy, request, safe, timeout)


def attempt_limit(plan: CallPlan, left: float | None) -> float | None:
    """The read timeout the runtime gave this attempt (what the transport enforces)."""
    if left is None:
        return plan.policy.client_timeout.read
    limit: float = plan.request.extensions["timeout"]["read"]
    return limit


def simulate(plan: CallPlan, script: list[Net], clock: FakeClock, enforce: bool = True) -> Trace:
    """Drive ``run(plan)``.  ``enforce=False``: a transport that answers late instead
    of timing out (as a mock transport, or a scheduler hiccup, can)."""
    trace = Trace([], [], [])
    steps = run(plan)
    queue = list(script)
    try:
        step = next(steps)
        while True:
            if isinstance(step, Send):
                trace.send_times.append(clock.now)
                net = queue.pop(0) if queue else Net("status", 200)
                limit = attempt_limit(plan, step.left)
                outcome: Any
                if enforce and limit is not None and net.duration > limit:
                    clock.advance(limit)
                    outcome = (
                        httpx.ConnectTimeout("slow connect")
                        if net.kind == "refused"
                        else httpx.ReadTimeout("slow")
                    )
                else:
                    clock.advance(net.duration)
                    if net.kind == "refused":
                        outcome = httpx.ConnectError("refused")
                    elif net.kind == "reset":
                        outcome = httpx.ReadError("connection reset by peer")
                    else:
                        headers = {"Retry-After": net.retry_after} if net.retry_after else {}
                        outcome = httpx.Response(net.status, headers=headers, request=plan.request)
                trace.outcomes.append(outcome)
                step = steps.send(outcome)
            elif isinstance(step, Sleep):
                trace.sleeps.append(step.seconds)
                trace.sleep_times.append(clock.now)
                clock.sleep(step.seconds)
                step = steps.send(None)
            else:
                assert isinstance(step, Acquire)
                step = steps.send(True)
    except StopIteration as done:
        trace.result = done.value
    except ResilienceError as error:
        trace.error = error
    return trace


def retryable(plan: CallPlan, outcome: Any) -> bool:
    """What the policy says may be retried (ignoring attempts, budget, deadline)."""
    if plan.policy.retry is None:
        return False
    if isinstance(outcome, httpx.Response):
        return outcome.status_code in plan.policy.retry.retry_statuses and plan.retry_safe
    return isinstance(outcome, NOT_SENT) or plan.retry_safe


def cut_by_deadline(plan: CallPlan, outcome: Any, send_time: float, start: float) -> bool:
    if plan.timeout is None or not isinstance(outcome, httpx.TimeoutException):
        return False
    left = start + plan.timeout - send_time
    limit = plan.policy.client_timeout.read
    return limit is None or limit >= left


nets = st.one_of(
    st.builds(
        Net,
        kind=st.just("status"),
        status=st.sampled_from([200, 201, 204, 400, 404, 408, 429, 500, 501, 502, 503, 504]),
        duration=st.floats(0, 3),
        retry_after=st.one_of(
            st.none(), st.sampled_from(["0", "1", "2", "59", "61", "-1", "NaN", "soon", "0.25"])
        ),
    ),
    st.builds(Net, kind=st.sampled_from(["refused", "reset"]), duration=st.floats(0, 3)),
)
policies = st.one_of(
    st.none(),
    st.builds(
        RetryPolicy,
        max_attempts=st.integers(1, 6),
        base_delay=st.floats(0, 2),
        max_delay=st.floats(0, 10),
        retry_statuses=st.sampled_from([DEFAULT_RETRY_STATUSES, frozenset({503}), frozenset()]),
    ),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    script=st.lists(nets, min_size=1, max_size=8),
    retry=policies,
    method=st.sampled_from(["GET", "PUT", "DELETE", "POST", "PATCH"]),
    keyed=st.booleans(),
    timeout=st.one_of(st.none(), st.floats(0.05, 20)),
    read_timeout=st.one_of(st.none(), st.floats(0.05, 5)),
    budget=st.one_of(
        st.none(),
        st.builds(RetryBudget, max_tokens=st.floats(1, 20), token_ratio=st.floats(0.01, 1)),
    ),
    seed=st.integers(0, 2**32),
    enforce=st.booleans(),
)
def test_loop_properties(
    script: list[Net],
    retry: RetryPolicy | None,
    method: str,
    keyed: bool,
    timeout: float | None,
    read_timeout: float | None,
    budget: RetryBudget | None,
    seed: int,
    enforce: bool,
) -> None:
    clock = FakeClock()
    throttle = RetryThrottle(budget) if budget and retry else None
    events: list[Any] = []
    plan = make_plan(
        clock,
        events=events,
        method=method,
        keyed=keyed,
        retry=retry,
        throttle=throttle,
        timeout=timeout,
        client_timeout=httpx.Timeout(read_timeout),
        seed=seed,
    )
    start = clock.now
    trace = simulate(plan, script, clock, enforce)
    max_attempts = 1 if retry is None else retry.max_attempts

    # Attempts never exceed the policy, and the count reported is the count made.
    assert len(trace.outcomes) == plan.attempts <= max_attempts
    if trace.error is not None:
        assert trace.error.attempts == plan.attempts  # type: ignore[attr-defined]

    # The deadline is never exceeded: not by attempts, not by sleeps; no attempt
    # starts after it even when the transport overran it.
    if timeout is not None:
        assert all(t < start + timeout for t in trace.send_times)
        if enforce:
            assert clock.now - start <= timeout + 1e-9
        for sleep_start, delay in zip(trace.sleep_times, trace.sleeps, strict=True):
            assert sleep_start + delay < start + timeout

    # Only retryable outcomes are retried, and never one the deadline cut.
    for i, outcome in enumerate(trace.outcomes[:-1]):
        assert retryable(plan, outcome), (i, outcome)
        assert not cut_by_deadline(plan, outcome, trace.send_times[i], start)
    if not enforce:
        return  # (the rest assumes attempts end within their timeouts)

    # Every delay is within its bound (or exactly the server's usable Retry-After).
    # (Each retry is announced by an event; a zero delay is not slept.)
    assert [e.attempt for e in events] == list(range(1, len(trace.outcomes)))
    assert trace.sleeps == [e.delay for e in events if e.delay > 0]
    for event in events:
        assert retry is not None
        n, delay = event.attempt, event.delay
        previous = trace.outcomes[n - 1]
        asked = (
            retry_after_seconds(previous.headers, clock.time())
            if isinstance(previous, httpx.Response)
            else None
        )
        if asked is not None:
            assert delay == pytest.approx(asked)
        else:
            assert 0.0 <= delay <= backoff_cap(retry, n)

    # How it ended is consistent with the last outcome.
    last = trace.outcomes[-1]
    if trace.result is not None:
        assert trace.result is last
        gave_up_early = retryable(plan, last) and plan.attempts < max_attempts
        if gave_up_early:  # only the budget may stop a retry the policy allows
            assert throttle is not None and not throttle.allows_retry()
    elif isinstance(trace.error, TransportError):
        assert trace.error.__cause__ is last
        assert not cut_by_deadline(plan, last, trace.send_times[-1], start)
        if retryable(plan, last) and plan.attempts < max_attempts:
            assert throttle is not None and not throttle.allows_retry()
    else:
        assert isinstance(trace.error, DeadlineExceededError)
        assert timeout is not None
        assert f"after {plan.attempts} attempt" in str(trace.error)


def always(status: int) -> list[Net]:
    return [Net("status", status)] * 20


@given(
    max_tokens=st.integers(1, 30).map(float) | st.floats(1, 30),
    ratio=st.floats(0.01, 1),
    calls=st.integers(1, 40),
)
def test_budget_stops_retries_under_sustained_failure(
    max_tokens: float, ratio: float, calls: int
) -> None:
    throttle = RetryThrottle(RetryBudget(max_tokens=max_tokens, token_ratio=ratio))
    retries = 0
    per_call = []
    for _ in range(calls):
        clock = FakeClock()
        plan = make_plan(clock, retry=RetryPolicy(max_attempts=5), throttle=throttle)
        simulate(plan, always(503), clock)
        per_call.append(plan.attempts - 1)
        retries += plan.attempts - 1
    # gRPC throttling: a retry needs more than half the tokens left after the failure
    # that prompted it, so at most ceil(M/2) - 1 retries can ever happen without a success.
    assert retries <= max(0, math.ceil(max_tokens / 2) - 1)
    if calls >= max_tokens:
        assert per_call[-1] == 0  # the storm is over: first attempts only


@given(
    max_tokens=st.floats(2.5, 30),  # a retry needs M - 1 > M/2: never with M <= 2
    ratio=st.floats(0.05, 1),
    drain=st.integers(0, 30),
)
def test_budget_recovers_after_successes(max_tokens: float, ratio: float, drain: int) -> None:
    throttle = RetryThrottle(RetryBudget(max_tokens=max_tokens, token_ratio=ratio))

    def failing_call() -> int:
        clock = FakeClock()
        plan = make_plan(clock, retry=RetryPolicy(max_attempts=3), throttle=throttle)
        simulate(plan, always(503), clock)
        return plan.attempts - 1

    for _ in range(int(max_tokens) + drain):  # drain the bucket
        failing_call()
    assert failing_call() == 0
    successes = 0
    while throttle.tokens - 1 <= max_tokens / 2:  # what the next failure would leave
        clock = FakeClock()
        simulate(make_plan(clock, throttle=throttle), [Net("status", 200)], clock)
        successes += 1
        assert successes <= (max_tokens / 2 + 1) / ratio + 2
    assert failing_call() >= 1  # retries are back


def test_no_retry_on_non_retryable_status() -> None:
    for status in (400, 401, 404, 409, 500, 501):
        clock = FakeClock()
        plan = make_plan(clock)
        trace = simulate(plan, [Net("status", status), Net("status", 200)], clock)
        assert plan.attempts == 1 and trace.result.status_code == status


def test_post_without_key_is_retried_only_when_not_sent() -> None:
    clock = FakeClock()
    plan = make_plan(clock, method="POST")
    trace = simulate(plan, [Net("refused"), Net("reset")], clock)
    assert plan.attempts == 2  # refused: retried; reset after sending: not
    assert isinstance(trace.error, TransportError)
    assert isinstance(trace.error.__cause__, httpx.ReadError)
    plan = make_plan(clock, method="POST")
    trace = simulate(plan, [Net("status", 503)], clock)
    assert plan.attempts == 1 and trace.result.status_code == 503
    plan = make_plan(clock, method="POST", keyed=True)
    trace = simulate(plan, [Net("reset"), Net("status", 503), Net("status", 201)], clock)
    assert plan.attempts == 3 and trace.result.status_code == 201


def test_deadline_cuts_a_slow_attempt_and_says_how_many() -> None:
    clock = FakeClock()
    plan = make_plan(clock, timeout=2.0, retry=RetryPolicy(base_delay=0.01))
    trace = simulate(plan, [Net("status", 503, 0.5), Net("status", 200, 10)], clock)
    assert isinstance(trace.error, DeadlineExceededError)
    assert isinstance(trace.error, TimeoutError)
    assert trace.error.attempts == 2
    assert "after 2 attempts" in str(trace.error)
    assert clock.now - clock.start == pytest.approx(2.0)


def test_client_timeout_shorter_than_deadline_is_retried() -> None:
    clock = FakeClock()
    plan = make_plan(
        clock,
        timeout=10.0,
        client_timeout=httpx.Timeout(1.0),
        retry=RetryPolicy(base_delay=0.01),
    )
    trace = simulate(plan, [Net("status", 200, 5), Net("status", 200, 0.1)], clock)
    assert trace.result.status_code == 200 and plan.attempts == 2
    assert isinstance(trace.outcomes[0], httpx.ReadTimeout)


def test_backoff_that_would_cross_the_deadline_ends_the_call_now() -> None:
    clock = FakeClock()
    plan = make_plan(clock, timeout=5.0)
    trace = simulate(plan, [Net("status", 503, 0.1, retry_after="30")], clock)
    assert isinstance(trace.error, DeadlineExceededError)
    assert trace.error.attempts == 1 and "next retry was due in 30" in str(trace.error)
    assert clock.elapsed == pytest.approx(0.1)  # did not sleep first


def test_retry_events() -> None:
    clock = FakeClock()
    events: list[Any] = []
    plan = make_plan(clock, events=events, seed=5)
    simulate(plan, [Net("status", 503), Net("refused"), Net("status", 200)], clock)
    assert [(e.attempt, e.reason.split(":")[0]) for e in events] == [
        (1, "HTTP 503"),
        (2, "ConnectError"),
    ]
    assert [e.delay for e in events] == clock.slept


def test_bulkhead_step_and_release() -> None:
    class Slots:
        def __init__(self) -> None:
            self.released = 0

        def release(self) -> None:
            self.released += 1

    clock = FakeClock()
    slots = Slots()
    plan = make_plan(clock, timeout=1.0, limiter=slots, max_wait=5.0)
    steps = run(plan)
    step = next(steps)
    assert isinstance(step, Acquire) and step.seconds == 1.0  # bounded by the deadline
    with pytest.raises(BulkheadFullError) as info:
        steps.send(False)
    assert info.value.attempts == 0 and slots.released == 0
    steps = run(make_plan(clock, timeout=1.0, limiter=slots, max_wait=5.0))
    next(steps)
    assert isinstance(steps.send(True), Send)
    steps.close()  # e.g. the caller was cancelled mid-attempt
    assert slots.released == 1
    # The wait for a slot counts against the deadline: no attempt once it is gone.
    steps = run(make_plan(clock, timeout=1.0, limiter=slots, max_wait=5.0))
    next(steps)
    clock.advance(1.0)
    with pytest.raises(DeadlineExceededError) as late:
        steps.send(True)
    assert late.value.attempts == 0 and slots.released == 2
