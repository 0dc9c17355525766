"""Public runtime surface used by generated ``_endpoints`` modules and ``client.py``.

Importing this module is cheap: no FastAPI, no asyncio, no OpenTelemetry (looked
for on the first call), no event classes (built on the first event), no
``TypeAdapter`` construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .breaker import CircuitState
from .client import AsyncClient, SyncClient
from .clock import Clock, SystemClock
from .errors import (
    ApiError,
    BulkheadFullError,
    CircuitOpenError,
    DeadlineExceededError,
    ResilienceError,
    ResponseValidationError,
    TransportError,
    UnexpectedStatusError,
)
from .policy import (
    DEFAULT_TIMEOUT,
    UNSET,
    BulkheadPolicy,
    CircuitBreakerPolicy,
    OperationPolicy,
    RetryBudget,
    RetryPolicy,
    Unset,
)
from .spec import Body, Endpoint, Param, ResponseSpec, SecurityScheme

if TYPE_CHECKING:
    from .event_types import (
        CircuitStateChanged,
        DeprecationNotice,
        FallbackUsed,
        ResilienceEvent,
        RetryScheduled,
    )

_EVENT_TYPES = frozenset(
    {
        "CircuitStateChanged",
        "DeprecationNotice",
        "FallbackUsed",
        "ResilienceEvent",
        "RetryScheduled",
    }
)


def __getattr__(name: str) -> Any:
    """The event classes, imported on first use (see ``event_types``)."""
    if name in _EVENT_TYPES:
        from . import event_types

        return getattr(event_types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_TIMEOUT",
    "UNSET",
    "ApiError",
    "AsyncClient",
    "Body",
    "BulkheadFullError",
    "BulkheadPolicy",
    "CircuitBreakerPolicy",
    "CircuitOpenError",
    "CircuitState",
    "CircuitStateChanged",
    "Clock",
    "DeadlineExceededError",
    "DeprecationNotice",
    "Endpoint",
    "FallbackUsed",
    "OperationPolicy",
    "Param",
    "ResilienceError",
    "ResilienceEvent",
    "ResponseSpec",
    "ResponseValidationError",
    "RetryBudget",
    "RetryPolicy",
    "RetryScheduled",
    "SecurityScheme",
    "SyncClient",
    "SystemClock",
    "TransportError",
    "UnexpectedStatusError",
    "Unset",
]
