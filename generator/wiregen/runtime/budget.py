"""The retry budget: a token bucket that stops retry storms (gRPC retry throttling).

Without it, every client of a struggling server multiplies its load by
``max_attempts`` exactly when it can least take it.  With it, sustained failure
drains the bucket below half and retries stop (first attempts still go out);
successes refill it slowly and retries resume.
"""

from __future__ import annotations

import threading

from .policy import RetryBudget


class RetryThrottle:
    """The mutable bucket for one ``RetryBudget``; shared by a client and its copies.

    Thread-safe; the lock is held for a few arithmetic operations only, so
    asyncio tasks on one loop may use it as well.
    """

    __slots__ = ("_lock", "_max", "_ratio", "_tokens")

    def __init__(self, budget: RetryBudget) -> None:
        self._max = float(budget.max_tokens)
        self._ratio = float(budget.token_ratio)
        self._tokens = self._max
        self._lock = threading.Lock()

    @property
    def tokens(self) -> float:
        return self._tokens

    def on_failure(self) -> None:
        """A retryable failure (whether or not it will be retried) spends a token."""
        with self._lock:
            self._tokens = max(0.0, self._tokens - 1.0)

    def on_success(self) -> None:
        """A successful exchange earns ``token_ratio`` tokens, up to the maximum."""
        if self._tokens >= self._max:  # the common case, without the lock
            return
        with self._lock:
            self._tokens = min(self._max, self._tokens + self._ratio)

    def allows_retry(self) -> bool:
        return self._tokens > self._max / 2
