"""Bulkheads: a cap on the calls one client has in flight.

A slow dependency otherwise soaks up every thread or task of the caller.  Callers
over the cap wait a bounded time for a slot (FIFO), then fail with
``BulkheadFullError``.  Acquiring is the only step that differs between sync and
async; releasing is a plain call in both, so the shared call logic can release
from synchronous code.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncio


class Limiter(Protocol):
    def release(self) -> None: ...


class ThreadLimiter:
    """For ``SyncClient``: a semaphore with a timeout."""

    __slots__ = ("_semaphore",)

    def __init__(self, max_concurrent: int) -> None:
        self._semaphore = threading.Semaphore(max_concurrent)

    def acquire(self, timeout: float) -> bool:
        if timeout <= 0:
            return self._semaphore.acquire(blocking=False)
        return self._semaphore.acquire(timeout=timeout)

    def release(self) -> None:
        self._semaphore.release()


class TaskLimiter:
    """For ``AsyncClient``: like ``asyncio.Semaphore`` but not bound to a loop at
    construction, FIFO, and with the freed slot handed straight to the next waiter
    (a waiter woken just as its timeout fires keeps the slot it was given)."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, max_concurrent: int) -> None:
        self._free = max_concurrent
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, timeout: float) -> bool:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        if timeout <= 0:
            return False
        import asyncio

        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
            return True
        except TimeoutError:
            # Handed a slot in the same loop iteration as the timeout: keep it.
            return waiter.done() and not waiter.cancelled()
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # cancelled after being handed a slot: pass it on
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
