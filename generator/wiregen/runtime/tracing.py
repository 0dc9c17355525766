"""OpenTelemetry, when it is installed: one CLIENT span per call, W3C ``traceparent`` out.

``opentelemetry-api`` is optional.  It is looked for on the first call, not at
import, so ``import <pkg>.client`` stays cheap; without it a call costs one
``with`` on a shared no-op context manager.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .attempts import CallPlan


class _Otel:
    """The parts of the OpenTelemetry API a call uses, imported once."""

    __slots__ = ("client_kind", "configured", "context_to_propagate", "inject", "tracer")

    def __init__(
        self,
        tracer: Any,
        inject: Any,
        client_kind: Any,
        configured: Callable[[], bool] | None = None,
        context_to_propagate: Callable[[], bool] | None = None,
    ) -> None:
        self.tracer = tracer
        self.inject = inject
        self.client_kind = client_kind
        self.configured = configured or (lambda: True)
        self.context_to_propagate = context_to_propagate or (lambda: True)


_NOT_LOADED = object()
_otel: Any = _NOT_LOADED
_NULL = contextlib.nullcontext()


def _load() -> _Otel | None:
    global _otel
    if _otel is _NOT_LOADED:
        try:
            from opentelemetry import propagate, trace
        except ImportError:
            _otel = None
        else:
            unconfigured = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)

            def configured() -> bool:
                # Without an SDK (or with a no-op provider) no span would be recorded:
                # skip the span machinery, which would cost more than the rest of a
                # call's bookkeeping together.
                return not isinstance(trace.get_tracer_provider(), unconfigured)

            def context_to_propagate() -> bool:
                return bool(trace.get_current_span().get_span_context().is_valid)

            _otel = _Otel(
                trace.get_tracer(__name__),
                propagate.inject,
                trace.SpanKind.CLIENT,
                configured,
                context_to_propagate,
            )
    return _otel  # type: ignore[no-any-return]


def call_span(plan: CallPlan) -> contextlib.AbstractContextManager[object]:
    """A span around the whole call (all attempts); injects ``traceparent`` into
    the request on entry, records status and attempt count on exit.  Without a
    configured tracer provider there is no span, but a context set by someone
    else (an incoming request's) is still propagated."""
    otel = _load()
    if otel is None:
        return _NULL
    if not otel.configured():
        if otel.context_to_propagate():
            otel.inject(plan.request.headers)
        return _NULL
    return _CallSpan(otel, plan)


class _CallSpan:
    __slots__ = ("_manager", "_otel", "_plan", "_span")

    def __init__(self, otel: _Otel, plan: CallPlan) -> None:
        self._otel = otel
        self._plan = plan
        self._manager: Any = None
        self._span: Any = None

    def __enter__(self) -> object:
        request = self._plan.request
        self._manager = self._otel.tracer.start_as_current_span(
            self._plan.operation,
            kind=self._otel.client_kind,
            attributes={
                "http.request.method": request.method,
                "url.full": str(request.url),
                "server.address": request.url.host,
            },
        )
        self._span = self._manager.__enter__()
        self._otel.inject(request.headers)
        return self._span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        if span.is_recording():
            if self._plan.status is not None:
                span.set_attribute("http.response.status_code", self._plan.status)
            span.set_attribute("wiregen.attempts", self._plan.attempts)
            if exc is not None:
                span.set_attribute("error.type", type(exc).__qualname__)
        self._manager.__exit__(exc_type, exc, tb)
