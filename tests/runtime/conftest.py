"""Fixtures: a real uvicorn server on a random free port of 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from .petstore import FakePets, make_app


class LiveServer:
    def __init__(self, app: Any, prefix: str = "") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        if prefix:  # served under a path prefix, like behind a path-routing gateway
            from fastapi import FastAPI

            outer = FastAPI()
            outer.mount(prefix, app)
            app = outer
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def live_impl() -> FakePets:
    return FakePets()


@pytest.fixture(scope="module")
def live_server(live_impl: FakePets) -> Iterator[LiveServer]:
    with LiveServer(make_app(live_impl)) as server:
        yield server
