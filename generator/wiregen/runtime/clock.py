"""Time as a dependency, so deadlines, backoff and the breaker can be tested without sleeping."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What the resilience runtime needs from time.

    ``monotonic`` measures deadlines, backoff and breaker periods; ``time`` (wall
    clock, seconds since the epoch) only turns a ``Retry-After`` HTTP-date without
    a ``Date`` header into a delay.
    """

    def monotonic(self) -> float: ...

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock (``time.monotonic``/``time.time``/``time.sleep``/``asyncio.sleep``)."""

    __slots__ = ()

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        import asyncio  # not at import time: sync-only users never pay for asyncio

        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
