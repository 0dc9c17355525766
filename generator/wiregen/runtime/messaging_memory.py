"""The in-memory transport: the default broker, so a generated app runs with no broker.

Each subscription has its own queue and worker; a delivery whose callback raises is
put back (redelivered), one that returns is acknowledged. Every message sent is also
kept in :attr:`MemoryTransport.sent` so tests and tools can look at dead letters.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Mapping

from .messaging_app import HANDLER_ERRORS, Deliver, Delivery, address_regex


class MemoryTransport:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []
        self._subs: list[tuple[re.Pattern[str], str, asyncio.Queue[Delivery]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        for _, _, queue in self._subs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), 10.0)  # drain
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._subs.clear()

    def _put(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        delivery = Delivery(address=address, body=body, headers=dict(headers))
        self.sent.append(delivery)
        groups: set[str] = set()
        for pattern, group, queue in self._subs:
            if group not in groups and pattern.fullmatch(address):
                groups.add(group)
                queue.put_nowait(Delivery(address=address, body=body, headers=dict(headers)))

    async def publish(
        self, address: str, body: bytes, headers: Mapping[str, str], *, timeout: float | None = None
    ) -> None:
        self._put(address, body, headers)  # nothing to confirm: it is in the queues

    async def send_direct(self, address: str, body: bytes, headers: Mapping[str, str]) -> None:
        self._put(address, body, headers)

    async def subscribe(self, pattern: str, group: str, deliver: Deliver) -> None:
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._subs.append((address_regex(pattern), group, queue))
        self._tasks.append(asyncio.get_running_loop().create_task(self._work(queue, deliver)))

    async def subscribe_direct(self, address: str, deliver: Deliver) -> None:
        await self.subscribe(re.sub(r"[{}]", "_", address), address, deliver)

    async def _work(self, queue: asyncio.Queue[Delivery], deliver: Deliver) -> None:
        while True:
            delivery = await queue.get()
            try:
                await deliver(delivery)
            except HANDLER_ERRORS:
                delivery.redelivered = True
                queue.put_nowait(delivery)
                await asyncio.sleep(0.01)
            finally:
                queue.task_done()

    def dead_letters(self, address: str) -> list[Delivery]:
        """Messages sent to ``address`` (e.g. ``orders.dlq``)."""
        return [d for d in self.sent if d.address == address]
