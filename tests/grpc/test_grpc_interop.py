"""Interop with plain grpcio-tools stubs, both ways, over real sockets.

The plain side is what ``python -m grpc_tools.protoc --python_out --grpc_python_out``
makes of the same example files; only the wire connects the two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import grpc.aio
import pytest
from tests.grpc.support import EXAMPLES, ServerThread, import_from, serving
from tests.grpc.test_grpc_functional import make_orders_servicer

from wiregen.frontends.protoc import bundled_include

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType]:
    from grpc_tools import protoc  # type: ignore[import-untyped]

    out = tmp_path_factory.mktemp("plain")
    files = [str(p.relative_to(EXAMPLES)) for p in sorted(EXAMPLES.rglob("*.proto"))]
    code = protoc.main(
        ["protoc", f"-I{EXAMPLES}", f"-I{bundled_include()}", f"--python_out={out}", f"--grpc_python_out={out}", *files]
    )
    assert code == 0
    return import_from(Path(out), "acme.orders.v1.orders_pb2"), import_from(Path(out), "acme.orders.v1.orders_pb2_grpc")


def test_generated_client_against_a_plain_stub_server(plain: tuple[ModuleType, ModuleType], orders: ModuleType) -> None:
    pb2, pb2_grpc = plain

    class PlainOrders(pb2_grpc.OrderServiceServicer):  # type: ignore[misc]
        async def PlaceOrder(self, request: Any, context: Any) -> Any:  # protoc's method names
            return pb2.Order(id=request.request_id, state=pb2.Order.PAID)

        async def UploadLineItems(self, request_iterator: Any, context: Any) -> Any:
            return pb2.OrderSummary(line_count=len([i async for i in request_iterator]))

        async def WatchOrder(self, request: Any, context: Any) -> AsyncIterator[Any]:
            yield pb2.OrderEvent(order_id=request.order_id, state=pb2.Order.SHIPPED)

        async def Chat(self, request_iterator: Any, context: Any) -> AsyncIterator[Any]:
            async for message in request_iterator:
                yield pb2.ChatMessage(text=message.text.upper())

    with ServerThread(lambda server: pb2_grpc.add_OrderServiceServicer_to_server(PlainOrders(), server)) as server:
        with orders.OrderServiceClient(server.target) as client:
            assert client.place_order(orders.PlaceOrderRequest(request_id="p1")).state == orders.Order.PAID
            assert client.upload_line_items([orders.LineItem(), orders.LineItem()]).line_count == 2
            assert [e.order_id for e in client.watch_order(orders.WatchOrderRequest(order_id="w"))] == ["w"]
            assert [m.text for m in client.chat([orders.ChatMessage(text="hi")])] == ["HI"]

        async def scenario() -> None:
            async with orders.AsyncOrderServiceClient(server.target) as client:
                assert (await client.place_order(orders.PlaceOrderRequest(request_id="p2"))).id == "p2"
                assert [m.text async for m in client.chat([orders.ChatMessage(text="yo")])] == ["YO"]

        asyncio.run(scenario())


def test_plain_stub_client_against_the_generated_servicer(
    plain: tuple[ModuleType, ModuleType], orders: ModuleType, common: ModuleType
) -> None:
    pb2, pb2_grpc = plain
    with serving(make_orders_servicer(orders, common)) as server, grpc.insecure_channel(server.target) as channel:
        stub = pb2_grpc.OrderServiceStub(channel)
        order = stub.PlaceOrder(pb2.PlaceOrderRequest(request_id="q1", card=pb2.Card(token="t")))
        assert (order.id, order.WhichOneof("payment")) == ("q1", "card")
        summary = stub.UploadLineItems(iter([pb2.LineItem(quantity=2, unit_price={"units": 4})]))
        assert summary.total.units == 8
        assert len(list(stub.WatchOrder(pb2.WatchOrderRequest(order_id="q")))) == 3
        replies = stub.Chat(iter([pb2.ChatMessage(text="a"), pb2.ChatMessage(text="b")]))
        assert [r.text for r in replies] == ["re: a", "re: b"]
