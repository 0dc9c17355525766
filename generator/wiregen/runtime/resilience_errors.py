"""Errors that end a call by the resilience policy rather than by a response.

They have no dependencies, so the gRPC and messaging runtimes can raise them
without pulling in httpx (``errors`` re-exports them for the HTTP client).
"""

from __future__ import annotations


class ResilienceError(Exception):
    """A call ended by the resilience policy rather than by a response.

    ``attempts`` is how many attempts went out on the network (0 when the call was
    rejected before any: open circuit, full bulkhead).
    """

    attempts: int

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class CircuitOpenError(ResilienceError):
    """The circuit for ``host`` is open: the call failed fast, with no network I/O.

    ``retry_after`` is the number of seconds until the breaker lets probe calls
    through again (0 when it already does but all probe slots are taken).
    """

    host: str
    retry_after: float

    def __init__(self, host: str, retry_after: float, *, attempts: int = 0) -> None:
        super().__init__(
            f"circuit open for {host}; probes allowed in {retry_after:.3f}s", attempts=attempts
        )
        self.host = host
        self.retry_after = retry_after


class BulkheadFullError(ResilienceError):
    """Too many calls in flight on this client, and no slot freed up within ``max_wait``."""


class DeadlineExceededError(ResilienceError, TimeoutError):
    """The call's deadline passed (during an attempt, or before a retry could start)."""


class TransportError(ResilienceError):
    """The connection failed (refused, reset, timed out, protocol error) and the
    policy did not retry, or gave up; the ``httpx`` exception is ``__cause__``."""
