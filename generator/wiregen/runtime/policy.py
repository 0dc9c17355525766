"""Resilience policies: plain frozen values, resolved per operation.

Every knob has a documented default (DESIGN §6) and can be set at three levels:
the spec (``x-wiregen-*``, carried by ``Endpoint.policy``), the client
constructor, and a ``client.with_options(...)`` copy.  ``UNSET`` means "not set
at this level, ask the next one"; ``None`` (where allowed) switches a mechanism
off at that level.  The policies are hashable so that per-client state (breakers,
retry budgets, bulkheads) can be keyed by them.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Final, TypeVar

_T = TypeVar("_T")


class Unset(enum.Enum):
    """Type of ``UNSET``: "this level does not say; use the next one"."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset.UNSET

DEFAULT_TIMEOUT: Final = 30.0
"""Deadline of one call (all attempts and backoff sleeps), in seconds."""

DEFAULT_RETRY_STATUSES: Final = frozenset({408, 429, 502, 503, 504})


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudget:
    """gRPC-style retry throttling, one token bucket per client.

    The bucket starts full at ``max_tokens``.  An attempt that fails in a
    retryable way spends one token; a successful exchange earns ``token_ratio``.
    Retries are allowed only while more than ``max_tokens / 2`` tokens remain, so
    a dead server stops receiving retries after a few failures and the bucket
    refills as calls start succeeding again.
    """

    max_tokens: float = 10
    token_ratio: float = 0.1

    def __post_init__(self) -> None:
        _check(_finite(self.max_tokens) and self.max_tokens > 0, "max_tokens must be > 0")
        _check(_finite(self.token_ratio) and self.token_ratio > 0, "token_ratio must be > 0")


DEFAULT_BUDGET: Final = RetryBudget()


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Automatic retries with full-jitter exponential backoff.

    ``max_attempts`` counts all attempts (1 = no retry).  Delay ``n`` (before
    attempt ``n + 1``) is uniform in ``[0, min(max_delay, base_delay * 2**(n-1))]``
    unless the response carries a usable ``Retry-After``/``retry-after-ms``.
    ``budget=None`` disables throttling (not recommended).
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    budget: RetryBudget | None = DEFAULT_BUDGET

    def __post_init__(self) -> None:
        _check(self.max_attempts >= 1, "max_attempts must be >= 1")
        _check(_finite(self.base_delay) and self.base_delay >= 0, "base_delay must be >= 0")
        _check(_finite(self.max_delay) and self.max_delay >= 0, "max_delay must be >= 0")
        # Accept any iterable of ints from hand-written code; keep it hashable.
        object.__setattr__(self, "retry_statuses", frozenset(self.retry_statuses))


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitBreakerPolicy:
    """Per-host circuit breaker (see ``breaker.py`` for the state machine)."""

    failure_rate: float = 0.5
    window: int = 100
    min_calls: int = 20
    open_seconds: float = 30.0
    half_open_probes: int = 5

    def __post_init__(self) -> None:
        _check(0 < self.failure_rate <= 1, "failure_rate must be in (0, 1]")
        _check(self.window >= 1, "window must be >= 1")
        _check(1 <= self.min_calls <= self.window, "min_calls must be in [1, window]")
        _check(_finite(self.open_seconds) and self.open_seconds >= 0, "open_seconds must be >= 0")
        _check(self.half_open_probes >= 1, "half_open_probes must be >= 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkheadPolicy:
    """At most ``max_concurrent`` calls in flight per client; a caller over the cap
    waits up to ``max_wait`` seconds (bounded by its deadline), then fails."""

    max_concurrent: int
    max_wait: float = 0.0

    def __post_init__(self) -> None:
        _check(self.max_concurrent >= 1, "max_concurrent must be >= 1")
        _check(_finite(self.max_wait) and self.max_wait >= 0, "max_wait must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationPolicy:
    """What the spec says about one operation (``x-wiregen-*`` extensions).

    ``idempotent``: POST/PATCH may be retried; an ``Idempotency-Key`` (UUID4) is
    sent unless ``idempotency_header`` names the spec's own header, whose value
    (the caller's, else a fresh UUID4) is then the key.  ``timeout``: the call's
    deadline when neither the client nor the call sets one.  ``retry`` /
    ``circuit_breaker``: ``UNSET`` = the spec is silent, ``None`` = off.
    """

    idempotent: bool = False
    idempotency_header: str | None = None
    timeout: float | None = None
    retry: RetryPolicy | Unset | None = UNSET
    circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET

    def __post_init__(self) -> None:
        if self.timeout is not None:
            _check(_finite(self.timeout) and self.timeout > 0, "timeout must be > 0")


DEFAULT_OPERATION_POLICY: Final = OperationPolicy()
DEFAULT_RETRY: Final = RetryPolicy()
DEFAULT_CIRCUIT_BREAKER: Final = CircuitBreakerPolicy()


def pick(default: _T, *levels: _T | Unset) -> _T:
    """The first level that says something (``None`` counts: it means "off"), else
    ``default``; levels are given from the highest precedence down."""
    for level in levels:
        if level is not UNSET:
            return level
    return default


class Options:
    """One precedence level of client settings (constructor or ``with_options``);
    a plain class, not a dataclass, to keep import time down."""

    __slots__ = ("bulkhead", "circuit_breaker", "idempotency_key", "retry", "timeout")

    def __init__(
        self,
        *,
        timeout: float | Unset | None = UNSET,
        retry: RetryPolicy | Unset | None = UNSET,
        circuit_breaker: CircuitBreakerPolicy | Unset | None = UNSET,
        bulkhead: BulkheadPolicy | Unset | None = UNSET,
        idempotency_key: str | Unset | None = UNSET,
    ) -> None:
        self.timeout = timeout
        self.retry = retry
        self.circuit_breaker = circuit_breaker
        self.bulkhead = bulkhead
        self.idempotency_key = idempotency_key

    def over(self, lower: Options) -> Options:
        """This level on top of ``lower`` (what is ``UNSET`` here comes from below)."""
        return Options(
            timeout=pick(lower.timeout, self.timeout),
            retry=pick(lower.retry, self.retry),
            circuit_breaker=pick(lower.circuit_breaker, self.circuit_breaker),
            bulkhead=pick(lower.bulkhead, self.bulkhead),
            idempotency_key=pick(lower.idempotency_key, self.idempotency_key),
        )
