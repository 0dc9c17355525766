"""The gRPC example end to end: the generated servicer on a real ``grpc.aio`` server, the
generated clients calling it with every streaming kind.

Run it from the repository root after ``wiregen generate`` (which writes
``examples/generated/acme_shop``): ``python examples/proto/demo.py``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc.aio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "generated" / "acme_shop"))

from acme_shop import RetryPolicy  # noqa: E402 (the generated package is found through sys.path)
from acme_shop.acme.common.v1 import Money  # noqa: E402
from acme_shop.acme.orders.v1 import (  # noqa: E402
    AsyncOrderServiceClient,
    ChatMessage,
    LineItem,
    Order,
    OrderEvent,
    OrderServiceClient,
    OrderServiceServicer,
    OrderSummary,
    PlaceOrderRequest,
    WatchOrderRequest,
)


class Orders(OrderServiceServicer):
    async def place_order(self, request: PlaceOrderRequest, context: grpc.aio.ServicerContext[PlaceOrderRequest, Order]) -> Order:
        total = sum(line.quantity * line.unit_price.units for line in request.lines)
        return Order(id=request.request_id, state=Order.PENDING, total=Money(currency_code="EUR", units=total))

    async def upload_line_items(
        self, requests: AsyncIterator[LineItem], context: grpc.aio.ServicerContext[LineItem, OrderSummary]
    ) -> OrderSummary:
        lines = [line async for line in requests]
        return OrderSummary(line_count=len(lines))

    async def watch_order(
        self, request: WatchOrderRequest, context: grpc.aio.ServicerContext[WatchOrderRequest, OrderEvent]
    ) -> AsyncIterator[OrderEvent]:
        for state in (Order.PENDING, Order.PAID, Order.SHIPPED):
            yield OrderEvent(order_id=request.order_id, state=state)

    async def chat(
        self, requests: AsyncIterator[ChatMessage], context: grpc.aio.ServicerContext[ChatMessage, ChatMessage]
    ) -> AsyncIterator[ChatMessage]:
        async for message in requests:
            yield ChatMessage(order_id=message.order_id, author="support", text=f"got it: {message.text}")


async def main() -> None:
    server = grpc.aio.server()
    Orders().add_to_server(server, reflection=True)
    target = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    await server.start()
    item = LineItem(product_id="p-1", quantity=2, unit_price=Money(currency_code="EUR", units=5))
    async with AsyncOrderServiceClient(target, timeout=5, retry=RetryPolicy(max_attempts=5)) as client:
        order = await client.place_order(PlaceOrderRequest(request_id="r-1", lines=[item]))
        print("placed", order.id, "total", order.total.units, order.total.currency_code)
        print("uploaded", (await client.upload_line_items([item, item])).line_count, "lines")
        print("states", [Order.State.Name(e.state) async for e in client.watch_order(WatchOrderRequest(order_id="r-1"))])
        print("chat", [m.text async for m in client.chat([ChatMessage(order_id="r-1", text="where is it?")])])

    def sync_calls() -> None:
        with OrderServiceClient(target) as client:
            print("sync placed", client.place_order(PlaceOrderRequest(request_id="r-2")).id)

    await asyncio.to_thread(sync_calls)
    await server.stop(None)


if __name__ == "__main__":
    asyncio.run(main())
