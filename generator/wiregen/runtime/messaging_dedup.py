"""De-duplication in Redis: seen message ids shared by every instance of a consumer group.

Selected with the setting ``dedup_url="redis://host:6379/0"``. A handled message id
is kept as the key ``wiregen:seen:<group prefix>:<operation>:<message id>`` for
``dedup_ttl`` seconds (default one day), so a copy redelivered to *another* instance
of the same consumer group -- which the in-memory window cannot see -- is
acknowledged without running the handler again. An id is written only after its
handler succeeded (or the message was dead-lettered): a consumer that dies before
that leaves the message to be handled again, as at-least-once requires.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis


class RedisSeen:
    def __init__(self, url: str, *, ttl: float, namespace: str) -> None:
        self.url = url
        self.ttl_ms = max(1, int(ttl * 1000))
        self.namespace = namespace
        self._client: Any = None

    def _ready(self) -> Any:
        if self._client is None:
            raise RuntimeError("de-duplication store not open: use `async with app:`")
        return self._client

    async def open(self) -> None:
        if self._client is None:
            self._client = aioredis.from_url(self.url)
            await self._client.ping()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    async def seen(self, key: str) -> bool:
        return bool(await self._ready().exists(self.namespace + key))

    async def remember(self, key: str) -> None:
        await self._ready().set(self.namespace + key, b"1", px=self.ttl_ms)
