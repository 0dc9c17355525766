"""The events the resilience runtime reports (delivered to ``on_event`` and logged).

Imported on the first event, not with the runtime: dataclass creation is most of
what these cost, and a healthy client never emits one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from .breaker import CircuitState


@dataclass(frozen=True, slots=True)
class ResilienceEvent:
    """Base class of everything delivered to ``on_event``."""

    kind: ClassVar[str] = "event"
    level: ClassVar[int] = logging.INFO

    def message(self) -> str:
        return self.kind

    def fields(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class RetryScheduled(ResilienceEvent):
    """Attempt ``attempt`` of ``operation`` failed for ``reason``; the next one
    starts after ``delay`` seconds."""

    operation: str
    attempt: int
    delay: float
    reason: str

    kind: ClassVar[str] = "retry"

    def message(self) -> str:
        return (
            f"{self.operation}: attempt {self.attempt} failed ({self.reason}); "
            f"retrying in {self.delay:.3f}s"
        )

    def fields(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "attempt": self.attempt,
            "delay": self.delay,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CircuitStateChanged(ResilienceEvent):
    host: str
    old: CircuitState
    new: CircuitState

    kind: ClassVar[str] = "circuit_state"
    level: ClassVar[int] = logging.WARNING

    def message(self) -> str:
        return f"circuit for {self.host}: {self.old.value} -> {self.new.value}"

    def fields(self) -> dict[str, Any]:
        return {"host": self.host, "old_state": self.old.value, "new_state": self.new.value}


@dataclass(frozen=True, slots=True)
class FallbackUsed(ResilienceEvent):
    operation: str
    error: BaseException

    kind: ClassVar[str] = "fallback"
    level: ClassVar[int] = logging.WARNING

    def message(self) -> str:
        return f"{self.operation}: fallback used after {type(self.error).__name__}: {self.error}"

    def fields(self) -> dict[str, Any]:
        return {"operation": self.operation, "error_type": type(self.error).__name__}


@dataclass(frozen=True, slots=True)
class DeprecationNotice(ResilienceEvent):
    """The server sent ``Deprecation`` and/or ``Sunset`` headers for ``operation``."""

    operation: str
    deprecation: str | None
    sunset: str | None

    kind: ClassVar[str] = "deprecation"
    level: ClassVar[int] = logging.WARNING

    def message(self) -> str:
        return f"the server marks operation {self.operation} as deprecated"

    def fields(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "deprecation": self.deprecation,
            "sunset": self.sunset,
        }
