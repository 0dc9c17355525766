"""Helpers of the gRPC tests: generate a package from .proto files, serve servicers for real."""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import grpc.aio

from wiregen.diagnostics import Severity
from wiregen.pipeline import GenerateRequest, Target, generate

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "proto"
EXAMPLE_SPEC = EXAMPLES / "acme" / "orders" / "v1" / "orders.proto"


def generate_files(
    spec: Path, package: str, *, includes: Sequence[Path] = (), specs: Sequence[Path] = ()
) -> dict[str, str]:
    result = generate(
        GenerateRequest(
            spec=spec,
            package=package,
            targets=(Target.GRPC,),
            includes=tuple(includes),
            specs=tuple(specs),
        )
    )
    errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, "\n".join(errors)
    return dict(result.files)


def write_tree(files: dict[str, str], out: Path) -> Path:
    """Write generated files as they are (the emit stage is tested on its own)."""
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def import_from(out: Path, module: str) -> ModuleType:
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    return importlib.import_module(module)


class ServerThread:
    """A ``grpc.aio`` server on 127.0.0.1 running in its own thread and event loop,
    so that sync clients can call it from the test's thread."""

    def __init__(self, setup: Callable[[grpc.aio.Server], None]) -> None:
        self._setup = setup
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0
        self.server: grpc.aio.Server | None = None

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    async def _start(self) -> None:
        self.server = grpc.aio.server()
        self._setup(self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()

    async def _stop(self) -> None:
        assert self.server is not None
        await self.server.stop(grace=None)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


@contextmanager
def serving(*servicers: Any, reflection: bool = False) -> Iterator[ServerThread]:
    def setup(server: grpc.aio.Server) -> None:
        for servicer in servicers:
            servicer.add_to_server(server, reflection=reflection)

    with ServerThread(setup) as thread:
        yield thread


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def in_thread(function: Callable[[], Any]) -> Future[Any]:
    future: Future[Any] = Future()

    def target() -> None:
        try:
            future.set_result(function())
        except BaseException as exc:  # handed to the test
            future.set_exception(exc)

    threading.Thread(target=target, daemon=True).start()
    return future
