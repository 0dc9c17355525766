"""The generated clients and servicers against real ``grpc.aio`` servers on 127.0.0.1.

Every streaming kind through the sync and the async client, deadlines, retries of
UNAVAILABLE, the breaker against a dead server, cancellation, metadata both ways,
UNIMPLEMENTED defaults, the health service, reflection and fallbacks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import grpc
import grpc.aio
import pytest
from tests.grpc.support import free_port, in_thread, serving

pytestmark = pytest.mark.functional

FAST_RETRY: dict[str, Any] = {}


def fast_retry(acme: ModuleType, attempts: int = 5) -> Any:
    return acme.RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02)


def make_orders_servicer(orders: ModuleType, common: ModuleType) -> Any:
    class Orders(orders.OrderServiceServicer):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.place_calls = 0
            self.fail_first = 0
            self.seen_metadata: dict[str, str] = {}
            self.cancelled = threading.Event()
            self.delay = 0.0

        async def place_order(self, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            self.place_calls += 1
            self.seen_metadata = {k: v for k, v in context.invocation_metadata() or ()}
            if self.place_calls <= self.fail_first:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
            if self.delay:
                try:
                    await asyncio.sleep(self.delay)
                except asyncio.CancelledError:
                    self.cancelled.set()
                    raise
            await context.send_initial_metadata((("x-served-by", "test"),))
            context.set_trailing_metadata((("x-echo", self.seen_metadata.get("x-request-id", "")),))
            return orders.Order(id=request.request_id, state=orders.Order.PAID, card=request.card)

        async def upload_line_items(self, requests: AsyncIterator[Any], context: Any) -> Any:
            count = 0
            units = 0
            async for item in requests:
                count += 1
                units += item.quantity * item.unit_price.units
            return orders.OrderSummary(line_count=count, total=common.Money(currency_code="EUR", units=units))

        async def watch_order(self, request: Any, context: Any) -> AsyncIterator[Any]:
            for state in (orders.Order.PENDING, orders.Order.PAID, orders.Order.SHIPPED):
                yield orders.OrderEvent(order_id=request.order_id, state=state)

        async def chat(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
            async for message in requests:
                yield orders.ChatMessage(order_id=message.order_id, author="support", text=f"re: {message.text}")

    return Orders()


@pytest.fixture
def servicer(orders: ModuleType, common: ModuleType) -> Any:
    return make_orders_servicer(orders, common)


def line(orders: ModuleType, common: ModuleType, quantity: int, units: int) -> Any:
    return orders.LineItem(product_id="p", quantity=quantity, unit_price=common.Money(currency_code="EUR", units=units))


def test_every_streaming_kind_through_the_sync_client(orders: ModuleType, common: ModuleType, servicer: Any) -> None:
    with serving(servicer) as server, orders.OrderServiceClient(server.target) as client:
        order = client.place_order(orders.PlaceOrderRequest(request_id="r1", card=orders.Card(token="t")))
        assert order.id == "r1" and order.WhichOneof("payment") == "card" and order.state == orders.Order.PAID

        summary = client.upload_line_items(iter([line(orders, common, 2, 5), line(orders, common, 1, 3)]))
        assert summary.line_count == 2 and summary.total.units == 13

        events = list(client.watch_order(orders.WatchOrderRequest(order_id="o1")))
        assert [e.state for e in events] == [orders.Order.PENDING, orders.Order.PAID, orders.Order.SHIPPED]

        replies = list(client.chat([orders.ChatMessage(order_id="o1", text="hi"), orders.ChatMessage(order_id="o1", text="where")]))
        assert [r.text for r in replies] == ["re: hi", "re: where"]


def test_every_streaming_kind_through_the_async_client(orders: ModuleType, common: ModuleType, servicer: Any) -> None:
    async def scenario(target: str) -> None:
        async with orders.AsyncOrderServiceClient(target) as client:
            order = await client.place_order(orders.PlaceOrderRequest(request_id="r2", transfer=orders.BankTransfer(iban="DE")))
            assert order.id == "r2"

            async def items() -> AsyncIterator[Any]:
                for quantity in (1, 2, 3):
                    yield line(orders, common, quantity, 10)

            summary = await client.upload_line_items(items())
            assert summary.line_count == 3 and summary.total.units == 60

            states = [e.state async for e in client.watch_order(orders.WatchOrderRequest(order_id="o2"))]
            assert len(states) == 3

            async def chat() -> AsyncIterator[Any]:
                yield orders.ChatMessage(order_id="o2", text="a")
                yield orders.ChatMessage(order_id="o2", text="b")

            assert [r.text async for r in client.chat(chat())] == ["re: a", "re: b"]

    with serving(servicer) as server:
        asyncio.run(scenario(server.target))


def test_deadline_exceeded(acme: ModuleType, orders: ModuleType, servicer: Any) -> None:
    servicer.delay = 2.0
    with serving(servicer) as server, orders.OrderServiceClient(server.target, timeout=0.2) as client:
        started = time.monotonic()
        with pytest.raises(acme.DeadlineExceededError) as caught:
            client.place_order(orders.PlaceOrderRequest(request_id="slow"))
        assert time.monotonic() - started < 1.5
        assert isinstance(caught.value, TimeoutError)
        # A per-call timeout overrides the client's.
        with pytest.raises(acme.DeadlineExceededError):
            client.with_options(timeout=5).place_order(orders.PlaceOrderRequest(request_id="slow"), timeout=0.1)


def test_unavailable_is_retried_until_it_succeeds(acme: ModuleType, orders: ModuleType, servicer: Any) -> None:
    servicer.fail_first = 3
    events: list[Any] = []
    with serving(servicer) as server, orders.OrderServiceClient(
        server.target, retry=fast_retry(acme), on_event=events.append
    ) as client:
        order = client.place_order(orders.PlaceOrderRequest(request_id="r3"))
    assert order.id == "r3"
    assert servicer.place_calls == 4
    assert [e.kind for e in events] == ["retry", "retry", "retry"]


def test_async_retries_and_the_five_attempt_cap(acme: ModuleType, orders: ModuleType, servicer: Any) -> None:
    servicer.fail_first = 100

    async def scenario(target: str) -> None:
        client = orders.AsyncOrderServiceClient(target, retry=fast_retry(acme, attempts=9))
        with pytest.raises(grpc.RpcError) as caught:
            await client.place_order(orders.PlaceOrderRequest(request_id="r4"))
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        await client.close()

    with serving(servicer) as server:
        asyncio.run(scenario(server.target))
    assert servicer.place_calls == 5  # gRPC caps attempts at 5


def test_other_statuses_are_not_retried(acme: ModuleType, catalog: ModuleType) -> None:
    class Catalog(catalog.CatalogServiceServicer):  # type: ignore[name-defined,misc]
        calls = 0

        async def get_product(self, request: Any, context: Any) -> Any:
            Catalog.calls += 1
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such product")

    with serving(Catalog()) as server, catalog.CatalogServiceClient(server.target, retry=fast_retry(acme)) as client:
        with pytest.raises(grpc.RpcError) as caught:
            client.get_product(catalog.GetProductRequest(id="x"))
        assert caught.value.code() is grpc.StatusCode.NOT_FOUND
        assert client.last_call.code is grpc.StatusCode.NOT_FOUND
    assert Catalog.calls == 1


def test_the_breaker_opens_against_a_dead_server(acme: ModuleType, orders: ModuleType) -> None:
    breaker = acme.CircuitBreakerPolicy(min_calls=3, window=3, open_seconds=30)
    target = f"127.0.0.1:{free_port()}"  # nothing listens there
    with orders.OrderServiceClient(target, retry=None, circuit_breaker=breaker, timeout=5) as client:
        for _ in range(3):
            with pytest.raises(grpc.RpcError) as caught:
                client.place_order(orders.PlaceOrderRequest(request_id="dead"))
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        started = time.monotonic()
        with pytest.raises(acme.CircuitOpenError) as opened:
            client.place_order(orders.PlaceOrderRequest(request_id="dead"))
        assert opened.value.attempts == 0
        assert time.monotonic() - started < 0.5  # failed fast, without I/O (attempts == 0)
    cached = orders.Order(id="cached")
    with orders.OrderServiceClient(target, retry=None, circuit_breaker=breaker, fallbacks={"place_order": lambda error: cached}) as client:
        for _ in range(5):  # failures first, then the open circuit: the fallback answers both
            assert client.place_order(orders.PlaceOrderRequest(request_id="dead")).id == "cached"


def test_fallbacks_answer_every_kind_of_call_sync_and_async(acme: ModuleType, orders: ModuleType) -> None:
    target = f"127.0.0.1:{free_port()}"  # nothing listens there: every call fails UNAVAILABLE
    cached = orders.Order(id="cached")
    summary = orders.OrderSummary(line_count=7)
    events = [orders.OrderEvent(order_id="cached", state=orders.Order.PAID)]
    replies = [orders.ChatMessage(text="offline")]
    seen: list[Any] = []
    fallbacks = {
        "place_order": lambda error: cached,
        "upload_line_items": lambda error: summary,
        "watch_order": lambda error: iter(events),
        "chat": lambda error: replies,
    }
    settings: dict[str, Any] = {"retry": None, "timeout": 5, "on_event": seen.append}
    request = orders.PlaceOrderRequest(request_id="r")
    with orders.OrderServiceClient(target, fallbacks=fallbacks, **settings) as client:
        assert client.place_order(request) is cached
        assert client.upload_line_items(iter([orders.LineItem()])) is summary
        assert list(client.watch_order(orders.WatchOrderRequest(order_id="o"))) == events
        assert list(client.chat([orders.ChatMessage(text="hi")])) == replies
    used = [type(e).__name__ for e in seen if type(e).__name__ == "FallbackUsed"]
    assert len(used) == 4  # each announced
    with orders.OrderServiceClient(target, fallbacks={"chat": lambda error: replies}, **settings) as client:
        with pytest.raises(grpc.RpcError) as caught:  # no fallback of its own: the error goes on
            list(client.watch_order(orders.WatchOrderRequest(order_id="o")))
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE

    async def replies_later(error: BaseException) -> AsyncIterator[Any]:
        for reply in replies:
            yield reply

    async def scenario() -> None:
        async def items() -> AsyncIterator[Any]:
            yield orders.LineItem()

        async with orders.AsyncOrderServiceClient(target, fallbacks={**fallbacks, "chat": replies_later}, **settings) as client:
            assert await client.place_order(request) is cached
            assert await client.upload_line_items(items()) is summary
            assert [e async for e in client.watch_order(orders.WatchOrderRequest(order_id="o"))] == events
            assert [r async for r in client.chat([orders.ChatMessage(text="hi")])] == replies
        async with orders.AsyncOrderServiceClient(target, **settings) as client:
            with pytest.raises(grpc.RpcError) as caught:
                await client.place_order(request)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
            with pytest.raises(grpc.RpcError):
                [e async for e in client.watch_order(orders.WatchOrderRequest(order_id="o"))]

    asyncio.run(scenario())


def test_cancelling_a_call_cancels_it_on_the_server(orders: ModuleType, servicer: Any) -> None:
    servicer.delay = 5.0

    async def scenario(target: str) -> None:
        async with orders.AsyncOrderServiceClient(target) as client:
            task = asyncio.ensure_future(client.place_order(orders.PlaceOrderRequest(request_id="c")))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    with serving(servicer) as server:
        asyncio.run(scenario(server.target))
        assert servicer.cancelled.wait(5), "the server never saw the cancellation"


def test_closing_a_stream_early_cancels_it(orders: ModuleType, servicer: Any) -> None:
    with serving(servicer) as server, orders.OrderServiceClient(server.target) as client:
        stream = client.watch_order(orders.WatchOrderRequest(order_id="o"))
        first = next(stream)
        stream.close()
        assert first.order_id == "o"


def test_metadata_round_trip(orders: ModuleType, servicer: Any) -> None:
    with serving(servicer) as server, orders.OrderServiceClient(server.target, metadata=[("x-tenant", "acme")]) as client:
        client.place_order(orders.PlaceOrderRequest(request_id="m"), metadata=[("x-request-id", "abc")])
        call = client.last_call
    assert servicer.seen_metadata["x-tenant"] == "acme"
    assert servicer.seen_metadata["x-request-id"] == "abc"
    assert ("x-served-by", "test") in call.initial_metadata
    assert ("x-echo", "abc") in call.trailing_metadata
    assert call.code is grpc.StatusCode.OK


def test_async_metadata_round_trip(orders: ModuleType, servicer: Any) -> None:
    async def scenario(target: str) -> Any:
        async with orders.AsyncOrderServiceClient(target) as client:
            await client.place_order(orders.PlaceOrderRequest(request_id="m"), metadata=[("x-request-id", "xyz")])
            return client.last_call

    with serving(servicer) as server:
        call = asyncio.run(scenario(server.target))
    assert ("x-echo", "xyz") in call.trailing_metadata


def test_rpcs_left_alone_answer_unimplemented(catalog: ModuleType) -> None:
    with serving(catalog.CatalogServiceServicer()) as server, catalog.CatalogServiceClient(server.target) as client:
        for call in (
            lambda: client.get_product(catalog.GetProductRequest(id="x")),
            lambda: list(client.list_products(catalog.ListProductsRequest())),
        ):
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_deprecated_rpcs_warn(catalog: ModuleType) -> None:
    with (
        serving(catalog.CatalogServiceServicer()) as server,
        catalog.CatalogServiceClient(server.target) as client,
        pytest.warns(DeprecationWarning, match="DeleteProduct"),
        pytest.raises(grpc.RpcError),
    ):
        client.delete_product(catalog.DeleteProductRequest(id="x"))


def test_health_service_is_wired_in(orders: ModuleType, servicer: Any) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

    with serving(servicer) as server, grpc.insecure_channel(server.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name in ("", "acme.orders.v1.OrderService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as caught:
            stub.Check(health_pb2.HealthCheckRequest(service="nope"))
        assert caught.value.code() is grpc.StatusCode.NOT_FOUND
        watch = stub.Watch(health_pb2.HealthCheckRequest(service="acme.orders.v1.OrderService"))
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()


def test_reflection_lists_the_services(orders: ModuleType, catalog: ModuleType, servicer: Any) -> None:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc  # type: ignore[import-untyped]

    with serving(servicer, catalog.CatalogServiceServicer(), reflection=True) as server, grpc.insecure_channel(server.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for s in next(replies).list_services_response.service}
    assert {"acme.orders.v1.OrderService", "acme.catalog.v1.CatalogService", "grpc.health.v1.Health"} <= names


def make_flaky_streams(orders: ModuleType) -> Any:
    class Flaky(orders.OrderServiceServicer):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.watch_calls = 0
            self.upload_calls = 0
            self.fail_after_first = False

        async def watch_order(self, request: Any, context: Any) -> AsyncIterator[Any]:
            self.watch_calls += 1
            if self.watch_calls == 1 and not self.fail_after_first:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
            yield orders.OrderEvent(order_id=request.order_id)
            if self.fail_after_first:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "gone mid-stream")

        async def upload_line_items(self, requests: AsyncIterator[Any], context: Any) -> Any:
            self.upload_calls += 1
            count = len([item async for item in requests])
            if self.upload_calls == 1:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "try again")
            return orders.OrderSummary(line_count=count)

    return Flaky()


def test_a_server_stream_is_retried_only_before_its_first_message(acme: ModuleType, orders: ModuleType) -> None:
    flaky = make_flaky_streams(orders)
    with serving(flaky) as server, orders.OrderServiceClient(server.target, retry=fast_retry(acme)) as client:
        assert [e.order_id for e in client.watch_order(orders.WatchOrderRequest(order_id="s"))] == ["s"]
        assert flaky.watch_calls == 2
        flaky.watch_calls, flaky.fail_after_first = 0, True
        received = []
        with pytest.raises(grpc.RpcError) as caught:
            for event in client.watch_order(orders.WatchOrderRequest(order_id="t")):
                received.append(event.order_id)
        assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
        assert received == ["t"] and flaky.watch_calls == 1  # committed: not retried


def test_a_request_stream_is_replayed_only_when_it_is_a_sequence(acme: ModuleType, orders: ModuleType) -> None:
    flaky = make_flaky_streams(orders)
    with serving(flaky) as server, orders.OrderServiceClient(server.target, retry=fast_retry(acme)) as client:
        assert client.upload_line_items([orders.LineItem(), orders.LineItem()]).line_count == 2
        assert flaky.upload_calls == 2
        flaky.upload_calls = 0
        with pytest.raises(grpc.RpcError):
            client.upload_line_items(iter([orders.LineItem()]))  # a one-shot iterator cannot be replayed
        assert flaky.upload_calls == 1


def test_with_options_copies_share_the_breaker(acme: ModuleType, orders: ModuleType) -> None:
    breaker = acme.CircuitBreakerPolicy(min_calls=2, window=2, open_seconds=30)
    target = f"127.0.0.1:{free_port()}"
    with orders.OrderServiceClient(target, retry=None, circuit_breaker=breaker) as client:
        other = client.with_options(timeout=3)
        for each in (client, other):
            with pytest.raises(grpc.RpcError):
                each.place_order(orders.PlaceOrderRequest())
        with pytest.raises(acme.CircuitOpenError):
            other.place_order(orders.PlaceOrderRequest())


def test_the_bulkhead_caps_calls_in_flight(acme: ModuleType, orders: ModuleType, servicer: Any) -> None:
    servicer.delay = 0.5
    bulkhead = acme.BulkheadPolicy(max_concurrent=1, max_wait=0.05)

    async def scenario(target: str) -> list[Any]:
        async with orders.AsyncOrderServiceClient(target, bulkhead=bulkhead) as client:
            calls = [client.place_order(orders.PlaceOrderRequest(request_id=str(i))) for i in range(2)]
            return await asyncio.gather(*calls, return_exceptions=True)

    with serving(servicer) as server:
        first, second = asyncio.run(scenario(server.target))
        assert first.id == "0"
        assert isinstance(second, acme.BulkheadFullError) and second.attempts == 0
        with orders.OrderServiceClient(server.target, bulkhead=bulkhead) as client:
            slow = in_thread(lambda: client.place_order(orders.PlaceOrderRequest(request_id="a")))
            time.sleep(0.2)
            with pytest.raises(acme.BulkheadFullError):
                client.place_order(orders.PlaceOrderRequest(request_id="b"))
            assert slow.result(timeout=5).id == "a"
