"""The base of generated servicers, and the health and reflection services they bring along.

A generated ``<S>Servicer`` lists its RPCs; :meth:`Servicer.add_to_server`
registers one handler per RPC on a ``grpc.aio.Server``. RPCs a subclass leaves
alone answer ``UNIMPLEMENTED`` (the generated defaults call :func:`unimplemented`).
Each server gets one standard health service (``grpc.health.v1.Health``) in which
every added service is ``SERVING``, and, when asked, one reflection service
listing them all.
"""

from __future__ import annotations

import asyncio
import importlib
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar, Final, NoReturn

import grpc
import grpc.aio

from .grpc_client import STREAM_STREAM, STREAM_UNARY, UNARY_STREAM, UNARY_UNARY

HEALTH_SERVICE: Final = "grpc.health.v1.Health"
REFLECTION_SERVICES: Final = (
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)
_HANDLER_FACTORIES: Final[dict[str, Callable[..., grpc.RpcMethodHandler[Any, Any]]]] = {
    UNARY_UNARY: grpc.unary_unary_rpc_method_handler,
    UNARY_STREAM: grpc.unary_stream_rpc_method_handler,
    STREAM_UNARY: grpc.stream_unary_rpc_method_handler,
    STREAM_STREAM: grpc.stream_stream_rpc_method_handler,
}


class ServerMethod:
    """One RPC of a generated servicer: its wire name, Python name, kind and messages."""

    __slots__ = ("kind", "name", "py_name", "request", "response")

    def __init__(self, name: str, py_name: str, kind: str, request: Any, response: Any) -> None:
        self.name = name
        self.py_name = py_name
        self.kind = kind
        self.request = request
        self.response = response


class Servicer:
    """Base of the generated servicers; subclass the generated class, not this one."""

    SERVICE_NAME: ClassVar[str] = ""
    RPC_METHODS: ClassVar[tuple[ServerMethod, ...]] = ()

    def add_to_server(
        self, server: grpc.aio.Server, *, health: bool = True, reflection: bool = False
    ) -> None:
        """Register every RPC of this service on ``server`` (before ``server.start()``).

        ``health``: mark the service ``SERVING`` in the server's standard health
        service (added on first use). ``reflection``: list it in the server's
        reflection service (added on first use).
        """
        handlers = {
            method.name: _HANDLER_FACTORIES[method.kind](
                getattr(self, method.py_name),
                request_deserializer=method.request.FromString,
                response_serializer=method.response.SerializeToString,
            )
            for method in self.RPC_METHODS
        }
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(self.SERVICE_NAME, handlers),)
        )
        state = _state(server)
        if health:
            state.health(server).set_serving(self.SERVICE_NAME, True)
        if reflection:
            state.reflect(server, self.SERVICE_NAME)


async def unimplemented(context: grpc.aio.ServicerContext[Any, Any], path: str) -> NoReturn:
    """End the call with ``UNIMPLEMENTED`` (what every generated default does)."""
    await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"method {path} is not implemented")
    raise AssertionError("unreachable: abort() raises")  # pragma: no cover


def health_of(server: grpc.aio.Server) -> HealthService:
    """The health service of ``server`` (created and registered on first use)."""
    return _state(server).health(server)


# ------------------------------------------------------------------ health


def _health_messages() -> Any:
    # grpcio-health-checking ships no type information; its messages are used as Any.
    return importlib.import_module("grpc_health.v1.health_pb2")


class HealthService:
    """``grpc.health.v1.Health`` for one server: ``Check`` and ``Watch``.

    The overall status (service ``""``) is ``SERVING`` from the start; services
    added with ``add_to_server`` are ``SERVING`` once added. ``set_serving`` flips
    a service, e.g. to drain a server before shutting it down.
    """

    def __init__(self) -> None:
        self._pb = _health_messages()
        serving = self._pb.HealthCheckResponse.SERVING
        self._status: dict[str, int] = {"": serving}
        self._waiters: list[asyncio.Future[None]] = []

    def set_serving(self, service: str, serving: bool) -> None:
        response = self._pb.HealthCheckResponse
        self._status[service] = response.SERVING if serving else response.NOT_SERVING
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            loop = waiter.get_loop()
            loop.call_soon_threadsafe(_wake, waiter)

    def status(self, service: str) -> int | None:
        return self._status.get(service)

    async def check(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        status = self._status.get(request.service)
        if status is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return self._pb.HealthCheckResponse(status=status)

    async def watch(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        unknown = self._pb.HealthCheckResponse.SERVICE_UNKNOWN
        last = None
        while True:
            status = self._status.get(request.service, unknown)
            if status != last:
                last = status
                yield self._pb.HealthCheckResponse(status=status)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def register(self, server: grpc.aio.Server) -> None:
        request = self._pb.HealthCheckRequest
        response = self._pb.HealthCheckResponse
        handlers = {
            "Check": grpc.unary_unary_rpc_method_handler(
                self.check, request_deserializer=request.FromString, response_serializer=response.SerializeToString
            ),
            "Watch": grpc.unary_stream_rpc_method_handler(
                self.watch, request_deserializer=request.FromString, response_serializer=response.SerializeToString
            ),
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(HEALTH_SERVICE, handlers),))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


# -------------------------------------------------------------- per server


class _ServerState:
    __slots__ = ("_health", "_reflection", "_reflection_names")

    def __init__(self) -> None:
        self._health: HealthService | None = None
        self._reflection: Any = None
        self._reflection_names: list[str] = []

    def health(self, server: grpc.aio.Server) -> HealthService:
        if self._health is None:
            self._health = HealthService()
            self._health.register(server)
        return self._health

    def reflect(self, server: grpc.aio.Server, service: str) -> None:
        if service not in self._reflection_names:
            self._reflection_names.append(service)
        names = tuple(sorted({*self._reflection_names, *REFLECTION_SERVICES, HEALTH_SERVICE}))
        if self._reflection is None:
            reflection = importlib.import_module("grpc_reflection.v1alpha.reflection")
            self._reflection = reflection.aio.ReflectionServicer(names)
            grpc_module = importlib.import_module("grpc_reflection.v1alpha.reflection_pb2_grpc")
            grpc_module.add_ServerReflectionServicer_to_server(self._reflection, server)
        else:
            # The servicer lists the names it was made with; later services join that list.
            self._reflection._service_names = names


_STATES: weakref.WeakKeyDictionary[grpc.aio.Server, _ServerState] = weakref.WeakKeyDictionary()


def _state(server: grpc.aio.Server) -> _ServerState:
    state = _STATES.get(server)
    if state is None:
        state = _STATES[server] = _ServerState()
    return state
