"""A small fault-injecting HTTP/1.1 server for the resilience tests.

Raw ``asyncio`` streams on ``127.0.0.1:<random port>``, run in a thread with its
own event loop.  For every request, ``handler(request)`` (or the next item of a
list of actions) says what to do: reply (optionally late, or trickled in
chunks), reset the connection (RST), drop it (FIN, no response), send a
truncated body, or hang.  Every wait is bounded, and stopping the server cancels
and closes everything it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MAX_WAIT = 10.0  # no action waits longer than this, whatever a test asks


@dataclass(frozen=True)
class Seen:
    """A request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request was complete
    connection: int  # which connection it came on


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before anything is sent
    chunk_every: float | None = None  # send the body one byte per interval after the head


@dataclass(frozen=True)
class Reset:
    """Read the request, then abort the connection with a TCP RST."""


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without a response."""


@dataclass(frozen=True)
class Truncate:
    """Promise ``declared`` body bytes, send ``sent``, then close."""

    declared: int = 100
    sent: bytes = b'{"partial"'


@dataclass(frozen=True)
class Hang:
    """Read the request and never answer (until the client goes away or ``seconds``)."""

    seconds: float = MAX_WAIT


Action = Reply | Reset | Drop | Truncate | Hang
Handler = Callable[[Seen], Action]

_REASONS = {
    200: "OK",
    201: "Created",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class FaultServer:
    def __init__(self, handler: Handler | Sequence[Action]) -> None:
        if callable(handler):
            self._handler: Handler = handler
        else:
            actions = list(handler)

            def scripted(_: Seen) -> Action:
                return actions.pop(0) if actions else Reply()

            self._handler = scripted
        self.seen: list[Seen] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections = 0
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> FaultServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop_soon)
        self._thread.join(timeout=15)
        if self._thread.is_alive():
            raise RuntimeError("fault server did not stop")

    def _stop_soon(self) -> None:
        assert self._stopped is not None
        self._stopped.set()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    # -- one connection -----------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._connections += 1
        number = self._connections
        try:
            while True:
                seen = await self._read_request(reader, number)
                if seen is None:
                    return
                self.seen.append(seen)
                action = self._handler(seen)
                if not await self._act(action, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            return
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _read_request(self, reader: asyncio.StreamReader, number: int) -> Seen | None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), MAX_WAIT)
        except asyncio.IncompleteReadError:
            return None  # the client closed an idle keep-alive connection
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(reader.readexactly(length), MAX_WAIT) if length else b""
        return Seen(method, path, headers, body, time.monotonic(), number)

    async def _act(
        self, action: Action, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Perform ``action``; whether the connection stays usable."""
        if isinstance(action, Reply):
            if action.delay:
                await asyncio.sleep(min(action.delay, MAX_WAIT))
            headers = {"content-type": "application/json", **action.headers}
            head = f"HTTP/1.1 {action.status} {_REASONS.get(action.status, 'Status')}\r\n"
            head += f"content-length: {len(action.body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            writer.write(head.encode("latin-1"))
            if action.chunk_every is None:
                writer.write(action.body)
            else:
                for i in range(len(action.body)):
                    await writer.drain()
                    await asyncio.sleep(min(action.chunk_every, MAX_WAIT))
                    writer.write(action.body[i : i + 1])
            await writer.drain()
            return True
        if isinstance(action, Reset):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if isinstance(action, Drop):
            return False
        if isinstance(action, Truncate):
            head = (
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                f"content-length: {action.declared}\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + action.sent)
            await writer.drain()
            return False
        # Hang: wait for the client to give up (EOF) or the bound.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(), min(action.seconds, MAX_WAIT))
        return False
