"""Per-host circuit breaker: stop calling a host that keeps failing, probe it later.

States (DESIGN §6):

* ``CLOSED`` -- calls go through; each attempt's outcome enters a sliding window
  of the last ``window`` outcomes.  When the window holds at least ``min_calls``
  outcomes and the failure rate reaches ``failure_rate``, the circuit opens.
* ``OPEN`` -- every call fails at once with ``CircuitOpenError``, without I/O,
  for ``open_seconds``.
* ``HALF_OPEN`` -- exactly ``half_open_probes`` calls are admitted (however many
  threads or tasks race for them); the others fail fast.  When all probes
  succeed the circuit closes with an empty window; one failure re-opens it.

Admission hands out a *ticket* (the state's generation number).  An outcome
reported with a ticket from an earlier generation -- a call admitted while CLOSED
that finishes after the circuit opened -- is ignored, so stale results cannot
close a circuit or count as probes.  The lock is held for bookkeeping only,
never across I/O, which is what makes one breaker safe for threads and asyncio
tasks alike.
"""

from __future__ import annotations

import enum
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .clock import Clock
from .policy import CircuitBreakerPolicy
from .resilience_errors import CircuitOpenError

if TYPE_CHECKING:
    from .event_types import ResilienceEvent

Emit = Callable[["ResilienceEvent"], None]
_Change = tuple[str, "CircuitState", "CircuitState"]


class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    __slots__ = (
        "_clock",
        "_emit",
        "_failures",
        "_generation",
        "_lock",
        "_opened_at",
        "_probes_admitted",
        "_probes_ok",
        "_state",
        "_window",
        "host",
        "policy",
    )

    def __init__(self, host: str, policy: CircuitBreakerPolicy, clock: Clock, emit: Emit) -> None:
        self.host = host
        self.policy = policy
        self._clock = clock
        self._emit = emit
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._generation = 0
        self._window: deque[bool] = deque(maxlen=policy.window)
        self._failures = 0
        self._opened_at = 0.0
        self._probes_admitted = 0
        self._probes_ok = 0

    @property
    def state(self) -> CircuitState:
        """The state as of the last admission or outcome (OPEN turns HALF_OPEN
        lazily, when a call asks after ``open_seconds``)."""
        return self._state

    def admit(self, attempts: int = 0) -> int:
        """A ticket for one attempt, or ``CircuitOpenError`` (``attempts`` = made so far)."""
        changes: list[_Change] = []
        with self._lock:
            state = self._state
            if state is CircuitState.CLOSED:
                return self._generation
            if state is CircuitState.OPEN:
                wait = self._opened_at + self.policy.open_seconds - self._clock.monotonic()
                if wait > 0:
                    raise CircuitOpenError(self.host, wait, attempts=attempts)
                self._enter(CircuitState.HALF_OPEN, changes)
            if self._probes_admitted >= self.policy.half_open_probes:
                error = CircuitOpenError(self.host, 0.0, attempts=attempts)
            else:
                self._probes_admitted += 1
                error = None
            ticket = self._generation
        self._publish(changes)
        if error is not None:
            raise error
        return ticket

    def record(self, ticket: int, failed: bool) -> None:
        """The outcome of an admitted attempt."""
        changes: list[_Change] = []
        with self._lock:
            if ticket != self._generation:
                return
            if self._state is CircuitState.CLOSED:
                window = self._window
                if len(window) == window.maxlen and window[0]:
                    self._failures -= 1
                window.append(failed)
                self._failures += failed
                # Checked after successes too: the one that brings the window up to
                # min_calls can complete a failure rate that was already too high.
                calls = len(window)
                if (
                    calls >= self.policy.min_calls
                    and self._failures / calls >= self.policy.failure_rate
                ):
                    self._enter(CircuitState.OPEN, changes)
            elif self._state is CircuitState.HALF_OPEN:
                if failed:
                    self._enter(CircuitState.OPEN, changes)
                else:
                    self._probes_ok += 1
                    if self._probes_ok >= self.policy.half_open_probes:
                        self._enter(CircuitState.CLOSED, changes)
        self._publish(changes)

    def release(self, ticket: int) -> None:
        """An admitted attempt ended without an outcome (cancelled, or failed before
        any I/O): give its probe slot back so the circuit cannot stay HALF_OPEN forever."""
        with self._lock:
            if ticket == self._generation and self._state is CircuitState.HALF_OPEN:
                self._probes_admitted -= 1

    def _enter(self, new: CircuitState, changes: list[_Change]) -> None:
        changes.append((self.host, self._state, new))
        self._state = new
        self._generation += 1
        self._probes_admitted = 0
        self._probes_ok = 0
        if new is CircuitState.OPEN:
            self._opened_at = self._clock.monotonic()
        elif new is CircuitState.CLOSED:
            self._window.clear()
            self._failures = 0

    def _publish(self, changes: list[_Change]) -> None:
        """Report state changes, outside the lock (a hook may be slow or call back)."""
        if changes:
            from .event_types import CircuitStateChanged

            for host, old, new in changes:
                self._emit(CircuitStateChanged(host, old, new))


class BreakerRegistry:
    """The breakers of one client (and its ``with_options`` copies), one per
    ``(host, policy)``: operations whose specs configure different thresholds
    cannot share one window, operations with the same policy share their host's."""

    __slots__ = ("_breakers", "_clock", "_emit", "_lock")

    def __init__(self, clock: Clock, emit: Emit) -> None:
        self._clock = clock
        self._emit = emit
        self._lock = threading.Lock()
        self._breakers: dict[tuple[str, CircuitBreakerPolicy], CircuitBreaker] = {}

    def get(self, host: str, policy: CircuitBreakerPolicy) -> CircuitBreaker:
        key = (host, policy)
        breaker = self._breakers.get(key)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(key)
                if breaker is None:
                    breaker = CircuitBreaker(host, policy, self._clock, self._emit)
                    self._breakers[key] = breaker
        return breaker

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(list(self._breakers.values()))
