"""The resilience policy through SyncClient/AsyncClient (``httpx.MockTransport``, fake clock):
precedence, ``with_options``, idempotency keys, fallbacks, bulkheads, events, tracing."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wiregen.runtime import http as H
from wiregen.runtime import tracing

from .fakes import FakeClock

Handler = Callable[[httpx.Request], httpx.Response]

JSON_OK = (H.ResponseSpec(status="2XX", kind="json"),)
GET = H.Endpoint(name="get_thing", method="GET", path="/things/1", responses=JSON_OK)
CREATE = H.Endpoint(
    name="create_thing",
    method="POST",
    path="/things",
    body=H.Body(media_type="application/json", kind="json"),
    responses=JSON_OK,
)


def endpoint(**policy: Any) -> H.Endpoint:
    return H.Endpoint(
        name="op", method="GET", path="/op", responses=JSON_OK, policy=H.OperationPolicy(**policy)
    )


class Server:
    """A MockTransport handler answering from a list; records every request."""

    def __init__(
        self,
        *responses: httpx.Response | Exception,
        clock: FakeClock | None = None,
        takes: float = 0.0,
    ) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.clock = clock
        self.takes = takes

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self.clock is not None:
            self.clock.advance(self.takes)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return httpx.Response(item.status_code, headers=item.headers, content=item.content)


def sync(server: Handler, clock: FakeClock | None = None, **kw: Any) -> H.SyncClient:
    return H.SyncClient(
        "http://api.test",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        clock=clock or FakeClock(),
        **kw,
    )


def async_(server: Handler, clock: FakeClock | None = None, **kw: Any) -> H.AsyncClient:
    return H.AsyncClient(
        "http://api.test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
        clock=clock or FakeClock(),
        **kw,
    )


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, headers=headers, json={"status": code})


def attempts_of(client: H.SyncClient, ep: H.Endpoint, server: Server) -> int:
    before = len(server.requests)
    with contextlib.suppress(H.ApiError, H.ResilienceError):
        client.call(ep)
    return len(server.requests) - before


# -- defaults and precedence ---------------------------------------------------------


def test_defaults() -> None:
    assert H.DEFAULT_TIMEOUT == 30.0
    r = H.RetryPolicy()
    assert (r.max_attempts, r.base_delay, r.max_delay) == (3, 0.5, 8.0)
    assert r.retry_statuses == {408, 429, 502, 503, 504}
    assert r.budget == H.RetryBudget(max_tokens=10, token_ratio=0.1)
    b = H.CircuitBreakerPolicy()
    assert (b.failure_rate, b.window, b.min_calls, b.open_seconds, b.half_open_probes) == (
        0.5,
        100,
        20,
        30.0,
        5,
    )
    assert H.BulkheadPolicy(max_concurrent=3).max_wait == 0.0
    assert repr(H.UNSET) == "UNSET" and not H.UNSET and isinstance(H.UNSET, H.Unset)
    assert H.OperationPolicy().retry is H.UNSET


@pytest.mark.parametrize(
    "bad",
    [
        lambda: H.RetryPolicy(max_attempts=0),
        lambda: H.RetryPolicy(base_delay=-1),
        lambda: H.RetryPolicy(max_delay=float("nan")),
        lambda: H.RetryBudget(max_tokens=0),
        lambda: H.RetryBudget(token_ratio=-0.1),
        lambda: H.CircuitBreakerPolicy(failure_rate=0),
        lambda: H.CircuitBreakerPolicy(failure_rate=1.5),
        lambda: H.CircuitBreakerPolicy(window=10, min_calls=11),
        lambda: H.CircuitBreakerPolicy(half_open_probes=0),
        lambda: H.BulkheadPolicy(max_concurrent=0),
        lambda: H.BulkheadPolicy(max_concurrent=1, max_wait=-1),
        lambda: H.OperationPolicy(timeout=0),
        lambda: H.SyncClient("http://a.test", timeout=0),
        lambda: H.SyncClient("http://a.test").with_options(timeout=-1),
    ],
)
def test_invalid_policies_are_rejected(bad: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        bad()


def test_policies_are_frozen_hashable_dataclasses() -> None:
    import dataclasses

    policy = H.RetryPolicy(retry_statuses={503})  # type: ignore[arg-type]
    assert policy.retry_statuses == frozenset({503}) and hash(policy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_attempts = 9  # type: ignore[misc]
    assert dataclasses.replace(policy, max_attempts=9).max_attempts == 9
    with pytest.raises(TypeError):
        H.RetryPolicy(3)  # type: ignore[misc]  # keyword-only


def test_retry_precedence_call_copy_over_constructor_over_spec_over_default() -> None:
    server = Server(status(503))
    # (budget=None: these calls would otherwise drain the retry budget)
    spec5 = endpoint(retry=H.RetryPolicy(max_attempts=5, base_delay=0, budget=None))
    spec_off = endpoint(retry=None)
    fast = H.RetryPolicy(max_attempts=3, base_delay=0, budget=None)
    plain = sync(server)
    assert attempts_of(plain, endpoint(), server) == 3  # default
    assert attempts_of(plain, spec5, server) == 5  # spec
    assert attempts_of(plain, spec_off, server) == 1  # spec switches it off
    ctor = sync(server, retry=H.RetryPolicy(max_attempts=2, base_delay=0, budget=None))
    assert attempts_of(ctor, spec5, server) == 2  # constructor beats spec
    assert attempts_of(ctor, spec_off, server) == 2
    assert attempts_of(ctor.with_options(retry=None), spec5, server) == 1  # copy beats both
    assert attempts_of(ctor.with_options(retry=fast), spec5, server) == 3
    assert attempts_of(ctor.with_options(timeout=5), spec5, server) == 2  # UNSET: inherited
    assert attempts_of(sync(server, retry=None).with_options(), spec5, server) == 1


def test_deadline_precedence() -> None:
    clock = FakeClock()
    server = Server(status(503), clock=clock, takes=10.0)  # every attempt takes 10 s
    many = H.RetryPolicy(max_attempts=10, base_delay=0, budget=None)

    def attempts(client: H.SyncClient, ep: H.Endpoint) -> int | str:
        try:
            client.call(ep)
        except H.DeadlineExceededError as error:
            return error.attempts
        except H.ApiError:
            return "gave up"
        return "ok"

    spec25 = endpoint(timeout=25.0)
    client = sync(server, clock, retry=many, circuit_breaker=None)
    assert attempts(client, endpoint()) == 3  # default 30 s: attempts at 0, 10, 20
    assert attempts(client, spec25) == 3  # ends at 30 > 25
    assert attempts(sync(server, clock, retry=many, timeout=15), spec25) == 2
    assert attempts(client.with_options(timeout=5), spec25) == 1
    assert attempts(client.with_options(timeout=None), spec25) == "gave up"  # no deadline
    assert len(server.requests) == 3 + 3 + 2 + 1 + 10
    assert attempts(client, endpoint()) == 3
    with pytest.raises(H.DeadlineExceededError, match="after 1 attempt"):
        client.call(spec25, timeout=8)  # call(timeout=) is the innermost level


def test_deadline_error_is_a_timeout_error() -> None:
    clock = FakeClock()
    client = sync(Server(status(503), clock=clock, takes=40.0), clock)
    with pytest.raises(TimeoutError) as info:
        client.call(GET)
    assert isinstance(info.value, H.DeadlineExceededError)
    assert isinstance(info.value, H.ResilienceError)
    assert "deadline of 30.0s exceeded after 1 attempt" in str(info.value)


def test_own_http_client_timeout_and_no_deadline() -> None:
    assert H.SyncClient("http://a.test").http_client.timeout == httpx.Timeout(30.0)
    assert H.SyncClient("http://a.test", timeout=2).http_client.timeout == httpx.Timeout(2)
    assert H.SyncClient("http://a.test", timeout=None).http_client.timeout == httpx.Timeout(None)


def test_attempt_timeouts_are_capped_by_the_time_left() -> None:
    clock = FakeClock()
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        clock.advance(4)
        return httpx.Response(503)

    client = H.SyncClient(
        "http://api.test",
        http_client=httpx.Client(
            transport=httpx.MockTransport(handler), timeout=httpx.Timeout(5, connect=1)
        ),
        clock=clock,
        timeout=10,
        retry=H.RetryPolicy(max_attempts=3, base_delay=0),
    )
    with pytest.raises(H.ApiError):  # (a mock transport does not enforce them)
        client.call(GET)
    assert seen == [
        {"connect": 1, "read": 5, "write": 5, "pool": 5},  # the client's own limits
        {"connect": 1, "read": 5, "write": 5, "pool": 5},
        {"connect": 1, "read": 2, "write": 2, "pool": 2},  # 2 s left
    ]


# -- with_options ----------------------------------------------------------------------


class GeneratedLike(H.SyncClient):
    """Like a generated client: per-tag API objects cached on the instance."""

    @functools.cached_property
    def things(self) -> ThingsApi:
        return ThingsApi(self)


class ThingsApi:
    def __init__(self, client: H.SyncClient) -> None:
        self._client = client

    def get(self) -> Any:
        return self._client.call(GET)


def test_with_options_copy_runs_cached_apis_on_the_copy() -> None:
    clock = FakeClock()
    server = Server(status(503), clock=clock, takes=1.0)
    client = GeneratedLike(
        "http://api.test",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        clock=clock,
        headers={"X-A": "1"},
    )
    assert client.things._client is client  # cached on the original
    copy = client.with_options(retry=None, headers={"X-B": "2"})
    assert type(copy) is GeneratedLike
    assert copy.things._client is copy  # not the original's cached object
    assert "things" not in client.with_options().__dict__
    with pytest.raises(H.ApiError):
        copy.things.get()
    assert len(server.requests) == 1  # the copy's retry=None applied
    assert server.requests[0].headers["X-A"] == "1"
    assert server.requests[0].headers["X-B"] == "2"
    with pytest.raises(H.ApiError):
        client.things.get()
    assert len(server.requests) == 4  # the original still retries
    assert "X-B" not in server.requests[-1].headers


def test_with_options_shares_transport_breakers_budget_and_last_response() -> None:
    server = Server(status(500))
    http = httpx.Client(transport=httpx.MockTransport(server))
    policy = H.CircuitBreakerPolicy(window=2, min_calls=2)
    client = H.SyncClient("http://api.test", http_client=http, circuit_breaker=policy)
    copy = client.with_options(timeout=3)
    assert copy.http_client is http
    for c in (client, copy):
        with pytest.raises(H.ApiError):
            c.call(GET)
    with pytest.raises(H.CircuitOpenError):
        client.call(GET)  # one breaker for both
    assert client.last_response is not None and client.last_response.status_code == 500
    copy.close()
    assert not http.is_closed
    own = H.SyncClient("http://api.test")
    own.with_options(timeout=1).close()
    assert not own.http_client.is_closed  # a copy never closes the shared client
    own.close()
    assert own.http_client.is_closed

    failing = Server(status(503))
    throttled = sync(failing, retry=H.RetryPolicy(base_delay=0, max_attempts=5))
    assert attempts_of(throttled.with_options(timeout=1), GET, failing) == 5  # 10 -> 5 tokens
    assert attempts_of(throttled, GET, failing) == 1  # the copy drained the shared bucket


# -- idempotency -----------------------------------------------------------------------


def test_post_retried_only_with_a_key_and_the_same_key_on_every_attempt() -> None:
    server = Server(status(503), status(503), status(201))
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    with pytest.raises(H.ApiError):
        client.call(CREATE, {}, {"a": 1})
    assert len(server.requests) == 1 and "Idempotency-Key" not in server.requests[0].headers

    server = Server(status(503), status(503), status(201))
    keyed = H.Endpoint(
        name="create_thing",
        method="POST",
        path="/things",
        body=H.Body(media_type="application/json", kind="json"),
        responses=JSON_OK,
        policy=H.OperationPolicy(idempotent=True),
    )
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    assert client.call(keyed, {}, {"a": 1}) == {"status": 201}
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(server.requests) == 3 and len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 4
    server.responses = [status(201)]
    client.call(keyed, {}, {"a": 1})
    client.call(keyed, {}, {"a": 1})
    assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 3  # one per call

    server = Server(status(503), status(201))
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    client.with_options(idempotency_key="order-42").call(CREATE, {}, {"a": 1})
    assert [r.headers["Idempotency-Key"] for r in server.requests] == ["order-42"] * 2
    server = Server(status(503), status(201))
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    with pytest.raises(H.ApiError):
        client.with_options(idempotency_key=None).call(keyed, {}, {"a": 1})
    assert "Idempotency-Key" not in server.requests[0].headers and len(server.requests) == 1


def test_spec_declared_idempotency_header() -> None:
    ep = H.Endpoint(
        name="pay",
        method="POST",
        path="/payments",
        params=(H.Param(name="X-Request-Key", py_name="request_key", location="header"),),
        responses=JSON_OK,
        policy=H.OperationPolicy(idempotency_header="X-Request-Key"),
    )
    server = Server(status(502), status(200))
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    client.call(ep, {"request_key": "mine"})
    assert [r.headers["X-Request-Key"] for r in server.requests] == ["mine", "mine"]
    assert "Idempotency-Key" not in server.requests[0].headers
    server.requests.clear()
    server.responses = [status(502), status(200)]
    client.call(ep, {"request_key": None})
    generated = [r.headers["X-Request-Key"] for r in server.requests]
    assert len(generated) == 2 and generated[0] == generated[1] and uuid.UUID(generated[0])


def test_patch_with_a_hand_set_key_is_retry_safe() -> None:
    ep = H.Endpoint(name="patch", method="PATCH", path="/p", responses=JSON_OK)
    server = Server(status(503), status(200))
    sync(server, retry=H.RetryPolicy(base_delay=0)).call(ep, headers={"Idempotency-Key": "k"})
    assert len(server.requests) == 2


def test_get_is_retried_after_a_reset_post_only_after_a_refusal() -> None:
    def reset() -> Exception:
        return httpx.ReadError("connection reset by peer")

    server = Server(reset(), status(200))
    assert sync(server, retry=H.RetryPolicy(base_delay=0)).call(GET) == {"status": 200}
    server = Server(reset(), status(201))
    with pytest.raises(H.TransportError) as info:
        sync(server, retry=H.RetryPolicy(base_delay=0)).call(CREATE, {}, {})
    assert isinstance(info.value.__cause__, httpx.ReadError) and info.value.attempts == 1
    server = Server(httpx.ConnectError("refused"), status(201))
    assert sync(server, retry=H.RetryPolicy(base_delay=0)).call(CREATE, {}, {}) == {"status": 201}


# -- fallbacks ----------------------------------------------------------------------------


def test_fallbacks() -> None:
    got: list[BaseException] = []
    events: list[Any] = []

    def fallback(error: BaseException) -> str:
        got.append(error)
        return "cached"

    server = Server(status(503))
    client = sync(
        server,
        retry=H.RetryPolicy(base_delay=0),
        circuit_breaker=H.CircuitBreakerPolicy(window=3, min_calls=3),
        fallbacks={"get_thing": fallback},
        on_event=events.append,
    )
    assert client.call(GET) == "cached"  # retryable status, after 3 attempts
    assert isinstance(got[-1], H.ApiError) and got[-1].status_code == 503
    assert client.call(GET) == "cached"  # breaker opened during this one
    assert isinstance(got[-1], H.CircuitOpenError) and got[-1].attempts == 0
    assert len(server.requests) == 3
    used = [e for e in events if isinstance(e, H.FallbackUsed)]
    assert [type(e.error) for e in used] == [type(got[0]), H.CircuitOpenError]
    assert used[0].operation == "get_thing"

    server = Server(status(404))
    client = sync(server, fallbacks={"get_thing": fallback})
    with pytest.raises(H.ApiError):
        client.call(GET)  # not for ordinary errors
    server = Server(httpx.ReadError("reset"))
    client = sync(server, retry=None, fallbacks={"get_thing": fallback})
    assert client.call(GET) == "cached" and isinstance(got[-1], H.TransportError)


def test_fallback_can_be_removed_per_copy_and_raise() -> None:
    client = sync(
        Server(httpx.ReadError("reset")), retry=None, fallbacks={"get_thing": lambda e: 1}
    )
    with pytest.raises(H.TransportError):
        client.with_options(fallbacks=None).call(GET)

    def failing(error: BaseException) -> Any:
        raise LookupError("no cache") from error

    with pytest.raises(LookupError):
        client.with_options(fallbacks={"get_thing": failing}).call(GET)


def test_async_fallback_may_be_a_coroutine() -> None:
    async def fallback(error: BaseException) -> str:
        await asyncio.sleep(0)
        return f"fallback for {type(error).__name__}"

    async def main() -> None:
        client = async_(
            Server(httpx.ConnectError("refused")),
            retry=H.RetryPolicy(base_delay=0),
            fallbacks={"get_thing": fallback, "other": lambda e: "sync ok"},
        )
        assert await client.call(GET) == "fallback for TransportError"
        await client.aclose()

    asyncio.run(main())


# -- bulkhead ----------------------------------------------------------------------------


def test_sync_bulkhead_caps_concurrency_and_waits_a_bounded_time() -> None:
    gate = threading.Event()
    inside: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        inside.append(1)
        assert gate.wait(10)
        return httpx.Response(200, json=1)

    client = H.SyncClient(
        "http://api.test",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        bulkhead=H.BulkheadPolicy(max_concurrent=2, max_wait=0.1),
    )
    threads = [threading.Thread(target=client.call, args=(GET,)) for _ in range(2)]
    for t in threads:
        t.start()
    while len(inside) < 2:
        time.sleep(0.001)
    started = time.monotonic()
    with pytest.raises(H.BulkheadFullError) as info:
        client.call(GET)
    assert 0.08 < time.monotonic() - started < 0.5 and info.value.attempts == 0
    with pytest.raises(H.BulkheadFullError):
        client.with_options(timeout=5).call(GET)  # copies share the bulkhead
    waiter = threading.Thread(target=client.call, args=(GET,))
    waiter.start()  # waits for a slot...
    time.sleep(0.02)
    gate.set()  # ...which frees up within max_wait
    for t in [*threads, waiter]:
        t.join(5)
    assert client.call(GET) == 1
    assert len(inside) == 4


def test_async_bulkhead() -> None:
    async def main() -> None:
        gate = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            await gate.wait()
            return httpx.Response(200, json=1)

        client = async_(handler, bulkhead=H.BulkheadPolicy(max_concurrent=3, max_wait=0.05))
        tasks = [asyncio.create_task(client.call(GET)) for _ in range(5)]
        await asyncio.sleep(0.1)
        assert [t.done() for t in tasks] == [False] * 3 + [True] * 2
        assert all(isinstance(t.exception(), H.BulkheadFullError) for t in tasks[3:])
        late = asyncio.create_task(client.call(GET))
        await asyncio.sleep(0.01)
        gate.set()
        assert await asyncio.gather(*tasks[:3], late) == [1, 1, 1, 1]
        # cancelling a waiter does not lose a slot
        gate.clear()
        holders = [asyncio.create_task(client.call(GET)) for _ in range(3)]
        await asyncio.sleep(0.01)
        slow = client.with_options(bulkhead=H.BulkheadPolicy(max_concurrent=3, max_wait=5))
        waiting = asyncio.create_task(slow.call(GET))  # another policy, another bulkhead
        await asyncio.sleep(0.01)
        gate.set()
        assert await asyncio.gather(*holders, waiting) == [1, 1, 1, 1]
        await client.aclose()

    asyncio.run(main())


def test_task_limiter_hands_slots_over_in_order_and_survives_cancellation() -> None:
    from wiregen.runtime.bulkhead import TaskLimiter

    async def main() -> None:
        limiter = TaskLimiter(1)
        assert await limiter.acquire(0)
        order: list[str] = []

        async def wait(name: str, timeout: float) -> None:
            if await limiter.acquire(timeout):
                order.append(name)
                await asyncio.sleep(0.01)
                limiter.release()
            else:
                order.append(f"{name} timed out")

        a = asyncio.create_task(wait("a", 5))
        b = asyncio.create_task(wait("b", 5))
        c = asyncio.create_task(wait("c", 5))
        d = asyncio.create_task(wait("d", 0.01))
        await asyncio.sleep(0.05)
        b.cancel()
        await asyncio.sleep(0)
        limiter.release()
        await asyncio.gather(a, c, d, return_exceptions=True)
        assert order == ["d timed out", "a", "c"]
        assert await limiter.acquire(0)  # the slot is back
        assert not await limiter.acquire(0)

    asyncio.run(main())


# -- events, logging, deprecation ---------------------------------------------------------


def test_events_are_logged_with_structured_fields(caplog: pytest.LogCaptureFixture) -> None:
    events: list[Any] = []
    server = Server(
        status(503, **{"Retry-After": "2"}), status(200, Sunset="Sat, 1 Jan 2028 00:00:00 GMT")
    )
    client = sync(server, on_event=events.append)
    with caplog.at_level(logging.INFO, logger="wiregen.runtime"), pytest.warns(DeprecationWarning):
        client.call(GET)
    retry = next(e for e in events if isinstance(e, H.RetryScheduled))
    assert (retry.operation, retry.attempt, retry.delay, retry.reason) == (
        "get_thing",
        1,
        2.0,
        "HTTP 503",
    )
    notice = next(e for e in events if isinstance(e, H.DeprecationNotice))
    assert notice.sunset == "Sat, 1 Jan 2028 00:00:00 GMT" and notice.deprecation is None
    records = {r.event: r for r in caplog.records if hasattr(r, "event")}  # type: ignore[attr-defined]
    assert records["retry"].attempt == 1 and records["retry"].delay == 2.0  # type: ignore[attr-defined]
    assert records["retry"].levelno == logging.INFO
    assert records["deprecation"].operation == "get_thing"  # type: ignore[attr-defined]
    assert all(isinstance(e, H.ResilienceEvent) for e in events)


def test_a_failing_hook_does_not_fail_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def hook(event: Any) -> None:
        raise RuntimeError("broken hook")

    client = sync(
        Server(status(503), status(200)), retry=H.RetryPolicy(base_delay=0), on_event=hook
    )
    assert client.call(GET) == {"status": 200}
    assert "on_event hook failed" in caplog.text


# -- OpenTelemetry ----------------------------------------------------------------------


def test_span_per_call_and_traceparent(monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from opentelemetry import propagate, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

    spans: list[dict[str, Any]] = []

    class RecordingSpan(NonRecordingSpan):
        def __init__(self, context: SpanContext, record: dict[str, Any]) -> None:
            super().__init__(context)
            self.record = record

        def is_recording(self) -> bool:
            return True

        def set_attribute(self, key: str, value: Any) -> None:
            self.record["attributes"][key] = value

    class Tracer:
        @contextmanager
        def start_as_current_span(self, name: str, kind: Any, attributes: dict[str, Any]) -> Any:
            record = {"name": name, "kind": kind, "attributes": dict(attributes)}
            spans.append(record)
            context = SpanContext(
                trace_id=0x0AF7651916CD43DD8448EB211C80319C,
                span_id=0xB7AD6B7169203331 + len(spans),
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            with trace.use_span(RecordingSpan(context, record), end_on_exit=False) as span:
                yield span

    monkeypatch.setattr(
        tracing, "_otel", tracing._Otel(Tracer(), propagate.inject, SpanKind.CLIENT)
    )
    server = Server(status(503), status(200))
    client = sync(server, retry=H.RetryPolicy(base_delay=0))
    client.call(GET)
    assert spans == [
        {
            "name": "get_thing",
            "kind": SpanKind.CLIENT,
            "attributes": {
                "http.request.method": "GET",
                "url.full": "http://api.test/things/1",
                "server.address": "api.test",
                "http.response.status_code": 200,
                "wiregen.attempts": 2,
            },
        }
    ]
    parents = {r.headers["traceparent"] for r in server.requests}
    assert parents == {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01"}
    with pytest.raises(H.ApiError):
        sync(Server(status(404))).call(GET)
    assert spans[-1]["attributes"]["error.type"] == "UnexpectedStatusError"


def test_no_opentelemetry_no_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import fails
    monkeypatch.setattr(tracing, "_otel", tracing._NOT_LOADED)
    server = Server(status(200))
    assert sync(server).call(GET) == {"status": 200}
    assert tracing._otel is None and "traceparent" not in server.requests[0].headers


def test_runtime_import_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wiregen.runtime.http as h; "
        "bad = [m for m in ('asyncio', 'opentelemetry', 'fastapi', 'wiregen.runtime.event_types') "
        "if m in sys.modules]; print(bad)"
    )
    from pathlib import Path

    import wiregen

    root = str(Path(wiregen.__file__).parents[1])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": root, "PATH": ""},
    )
    assert out.stdout.strip() == "[]"


def test_without_an_sdk_no_span_but_an_incoming_context_is_propagated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    monkeypatch.setattr(tracing, "_otel", tracing._NOT_LOADED)  # the real API, no SDK
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    server = Server(status(200))
    client = sync(server)
    client.call(GET)
    assert "traceparent" not in server.requests[-1].headers  # nothing to propagate
    incoming = SpanContext(
        trace_id=0x1234, span_id=0x5678, is_remote=True, trace_flags=TraceFlags(1)
    )
    with trace.use_span(NonRecordingSpan(incoming)):
        client.call(GET)
    assert server.requests[-1].headers["traceparent"] == (
        "00-00000000000000000000000000001234-0000000000005678-01"
    )


def test_policy_is_resolved_once_per_endpoint_but_follows_the_http_client_timeout() -> None:
    clock = FakeClock()
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json=1)

    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=5)
    client = H.SyncClient("http://api.test", http_client=http, clock=clock)
    client.call(GET)
    client.call(GET)
    assert len(client._resolved) == 1
    http.timeout = httpx.Timeout(2)
    client.call(GET)
    assert seen == [5, 5, 2]
    for _ in range(3):  # endpoints made on the fly are not confused with each other
        ep = H.Endpoint(
            name="e",
            method="GET",
            path="/e",
            responses=JSON_OK,
            policy=H.OperationPolicy(timeout=1),
        )
        client.call(ep)
    assert seen[-1] == 1
