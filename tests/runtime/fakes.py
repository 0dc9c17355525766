"""Test doubles for the resilience runtime: a clock that only moves when told to."""

from __future__ import annotations

import asyncio
import threading

WALL_START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class FakeClock:
    """Implements ``Clock``: ``sleep`` advances time instantly and is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return WALL_START + (self.now - self.start)

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    @property
    def elapsed(self) -> float:
        return self.now - self.start
