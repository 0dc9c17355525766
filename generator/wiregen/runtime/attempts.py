"""The life of one call -- bulkhead, deadline, breaker, attempts, backoff -- written once.

``run(plan)`` is a sans-IO generator: it decides, and yields what it needs done:

* ``Acquire(seconds)`` -- wait up to ``seconds`` for a bulkhead slot; send back
  whether one was obtained;
* ``Send(left)`` -- make one attempt with ``plan.request`` (its per-attempt
  timeouts are already set); send back the ``httpx.Response`` (body read) or the
  exception that ended the attempt: an ``httpx.TransportError``, or a builtin
  ``TimeoutError`` when the driver itself cut the attempt at the deadline
  (``left`` seconds from now);
* ``Sleep(seconds)`` -- back off.

It returns the final response (success, or a failure not worth retrying, or the
last retryable one when giving up; the client turns it into a value or an
``ApiError``) or raises ``DeadlineExceededError`` / ``TransportError`` /
``CircuitOpenError`` / ``BulkheadFullError``.  The sync and async clients only
drive it, so they cannot drift apart, and tests can drive it with a fake clock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Final

import httpx

from .backoff import jittered_delay, retry_after_seconds
from .breaker import CircuitBreaker
from .budget import RetryThrottle
from .bulkhead import Limiter
from .clock import Clock
from .policy import RetryPolicy
from .resilience_errors import BulkheadFullError, DeadlineExceededError, TransportError
from .steps import Acquire, Send, Sleep, Step

if TYPE_CHECKING:
    from .event_types import ResilienceEvent


Outcome = httpx.Response | Exception

# The request certainly never reached the server: retrying is safe for any method.
NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Our side's mistakes, not the host's: not retried, not held against the host.
LOCAL: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
_TIMEOUT_PART: Final[dict[type[httpx.TimeoutException], str]] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


class Resolved:
    """What one operation's policy comes to on one client: resolved once (the
    client caches it per endpoint), used by every call of that operation."""

    __slots__ = (
        "breaker",
        "client_timeout",
        "clock",
        "emit",
        "limiter",
        "max_wait",
        "operation",
        "retry",
        "rng",
        "throttle",
        "timeout",
    )

    def __init__(
        self,
        *,
        operation: str,
        timeout: float | None,
        client_timeout: httpx.Timeout,
        retry: RetryPolicy | None,
        throttle: RetryThrottle | None,
        breaker: CircuitBreaker | None,
        limiter: Limiter | None,
        max_wait: float,
        clock: Clock,
        rng: random.Random,
        emit: Callable[[ResilienceEvent], None],
    ) -> None:
        self.operation = operation
        self.timeout = timeout  # the deadline, relative to the start of a call
        self.client_timeout = client_timeout  # per-attempt limits of the httpx client
        self.retry = retry
        self.throttle = throttle
        self.breaker = breaker
        self.limiter = limiter
        self.max_wait = max_wait
        self.clock = clock
        self.rng = rng
        self.emit = emit


class CallPlan:
    """One call: the operation's resolved policy, the request, and what happened."""

    __slots__ = ("attempts", "policy", "request", "retry_safe", "status", "timeout")

    def __init__(
        self,
        policy: Resolved,
        request: httpx.Request,
        retry_safe: bool,
        timeout: float | None,
    ) -> None:
        self.policy = policy
        self.request = request
        self.retry_safe = retry_safe  # may be sent twice once it may have reached the server
        self.timeout = timeout  # this call's deadline (the policy's, unless overridden)
        self.attempts = 0  # attempts started so far
        self.status: int | None = None  # of the last response, for tracing

    @property
    def operation(self) -> str:
        return self.policy.operation


def run(plan: CallPlan) -> Generator[Step, object, httpx.Response]:
    """The steps of one call (see the module docstring)."""
    if plan.policy.limiter is None:
        return _attempts(plan)
    return _in_bulkhead(plan, plan.policy.limiter)


def _in_bulkhead(plan: CallPlan, limiter: Limiter) -> Generator[Step, object, httpx.Response]:
    clock = plan.policy.clock
    start = clock.monotonic()
    wait = plan.policy.max_wait
    if plan.timeout is not None:
        wait = max(0.0, min(wait, plan.timeout))
    if not (yield Acquire(wait)):
        raise BulkheadFullError(
            f"{plan.operation}: too many calls in flight (waited {wait:.3f}s)", attempts=0
        )
    try:
        # The wait for a slot counts against the deadline.
        return (yield from _attempts(plan, clock.monotonic() - start))
    finally:
        limiter.release()


def _attempts(plan: CallPlan, waited: float = 0.0) -> Generator[Step, object, httpx.Response]:
    policy = plan.policy
    clock = policy.clock
    deadline = None if plan.timeout is None else clock.monotonic() + plan.timeout - waited
    retry = policy.retry
    max_attempts = 1 if retry is None else retry.max_attempts
    breaker = policy.breaker
    throttle = policy.throttle
    while True:
        left = None if deadline is None else deadline - clock.monotonic()
        if left is not None and left <= 0:
            raise _deadline_error(plan)
        ticket = 0 if breaker is None else breaker.admit(plan.attempts)
        plan.attempts += 1
        if left is not None:
            plan.request.extensions["timeout"] = _capped(policy.client_timeout, left)
        outcome: object = None
        try:
            outcome = yield Send(left)
        finally:
            if outcome is None and breaker is not None:  # closed mid-attempt (cancelled)
                breaker.release(ticket)

        if isinstance(outcome, httpx.Response):
            status = plan.status = outcome.status_code
            retryable_kind = retry is not None and status in retry.retry_statuses
            if breaker is not None:
                breaker.record(ticket, status >= 500 or status == 429)
            if throttle is not None:
                if retryable_kind:
                    throttle.on_failure()
                elif status < 500:
                    throttle.on_success()
            if not (retryable_kind and plan.retry_safe):
                return outcome
            reason = f"HTTP {status}"
        elif isinstance(outcome, Exception):
            if isinstance(outcome, LOCAL):
                if breaker is not None:
                    breaker.release(ticket)
                raise TransportError(_describe(plan, outcome), attempts=plan.attempts) from outcome
            if breaker is not None:
                breaker.record(ticket, True)
            if throttle is not None:
                throttle.on_failure()
            if left is not None and _cut_by_deadline(outcome, policy.client_timeout, left):
                raise _deadline_error(plan) from outcome
            if not (isinstance(outcome, NOT_SENT) or plan.retry_safe):
                raise TransportError(_describe(plan, outcome), attempts=plan.attempts) from outcome
            reason = f"{type(outcome).__name__}: {outcome}"
        else:
            raise TypeError(f"a driver sent {outcome!r} for an attempt")

        # A retryable failure: retry if the policy, the budget and the deadline allow.
        if (
            retry is None
            or plan.attempts >= max_attempts
            or (throttle is not None and not throttle.allows_retry())
        ):
            if isinstance(outcome, httpx.Response):
                return outcome
            raise TransportError(_describe(plan, outcome), attempts=plan.attempts) from outcome
        delay = None
        if isinstance(outcome, httpx.Response):
            delay = retry_after_seconds(outcome.headers, clock.time())
        if delay is None:
            delay = jittered_delay(retry, plan.attempts, policy.rng)
        if deadline is not None and delay >= deadline - clock.monotonic():
            raise _deadline_error(plan, f" (next retry was due in {delay:.3f}s)")
        # Events are rare: their classes are imported on the first one.
        from .event_types import RetryScheduled

        policy.emit(RetryScheduled(policy.operation, plan.attempts, delay, reason))
        if delay > 0:
            yield Sleep(delay)


def _capped(limits: httpx.Timeout, left: float) -> dict[str, float]:
    """The httpx client's per-operation limits, none longer than the time left."""
    return {
        "connect": left if limits.connect is None else min(limits.connect, left),
        "read": left if limits.read is None else min(limits.read, left),
        "write": left if limits.write is None else min(limits.write, left),
        "pool": left if limits.pool is None else min(limits.pool, left),
    }


def _cut_by_deadline(error: Exception, limits: httpx.Timeout, left: float) -> bool:
    """Whether a timeout was the call's deadline rather than the client's own
    (shorter) per-attempt limit, which leaves time for a retry."""
    if isinstance(error, httpx.TimeoutException):
        part = _TIMEOUT_PART.get(type(error))
        if part is None:
            return True
        limit = getattr(limits, part)
        return limit is None or limit >= left
    return isinstance(error, TimeoutError)  # the driver cut the attempt at the deadline


def _deadline_error(plan: CallPlan, detail: str = "") -> DeadlineExceededError:
    return DeadlineExceededError(
        f"{plan.operation}: deadline of {plan.timeout}s exceeded after "
        f"{plan.attempts} attempt{'' if plan.attempts == 1 else 's'}{detail}",
        attempts=plan.attempts,
    )


def _describe(plan: CallPlan, error: Exception) -> str:
    return (
        f"{plan.operation}: {type(error).__name__}: {error} "
        f"({plan.attempts} attempt{'' if plan.attempts == 1 else 's'})"
    )
