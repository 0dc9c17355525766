"""The generated shop client against the generated shop server, under uvicorn on 127.0.0.1.

One in-memory implementation of the generated service classes records what the
server decoded; each test calls the generated client (sync and async) and checks
both what the server saw and what the client got back. Together they cover every
parameter location and style, every body kind, discriminated unions, recursive
models, typed errors and every auth scheme of ``examples/openapi/shop.yaml``.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from tests.support.generation import EXAMPLES, generate_into, import_generated
from tests.support.servers import serve

pytestmark = pytest.mark.functional

PACKAGE = "shop_functional"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    out = generate_into(EXAMPLES / "openapi" / "shop.yaml", tmp_path_factory.mktemp("shop"), PACKAGE)
    return SimpleNamespace(
        models=import_generated(out, PACKAGE, "models"),
        client=import_generated(out, PACKAGE, "client"),
        server=import_generated(out, PACKAGE, "server"),
        runtime_server=import_generated(out, PACKAGE, "_runtime.server"),
    )


class Recorder:
    """What the server-side implementation saw, per operation."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.headers: dict[str, dict[str, str]] = {}


def _implementations(shop: SimpleNamespace, seen: Recorder) -> dict[str, Any]:
    m = shop.models
    server = shop.server
    current_request = shop.runtime_server.current_request
    products: dict[uuid.UUID, Any] = {}
    files: dict[uuid.UUID, bytes] = {}

    def record(name: str, **kwargs: Any) -> None:
        seen.calls[name] = kwargs
        seen.headers[name] = {k.lower(): v for k, v in current_request().headers.items()}
        seen.headers[name]["?query"] = str(current_request().url.query)

    class Catalog(server.CatalogService):
        async def list_products(self, **kwargs: Any) -> Any:
            record("list_products", **kwargs)
            return m.ProductPage(items=list(products.values()), next_cursor=None)

        async def create_product(self, *, idempotency_key: str, body: Any) -> Any:
            record("create_product", idempotency_key=idempotency_key, body=body)
            stored = body.model_copy(update={"id": uuid.uuid4()})
            products[stored.id] = stored
            return stored

        async def get_product(self, *, product_id: uuid.UUID, shop_locale: str | None = None) -> Any:
            record("get_product", product_id=product_id, shop_locale=shop_locale)
            if product_id not in products:
                raise server.ServiceError(404, body={"title": "not_found", "status": 404, "detail": f"no product {product_id}"})
            return products[product_id]

        async def list_categories(self) -> Any:
            record("list_categories")
            leaf = m.Category(id=3, name="Tea", slug="tea", parent_id=2)
            return [m.Category(id=1, name="Food", slug="food", children=[m.Category(id=2, name="Drinks", slug="drinks", children=[leaf])])]

        async def get_review_thread(self, *, review_id: int, depth: int | None = None) -> Any:
            record("get_review_thread", review_id=review_id, depth=depth)
            inner = m.Thread(review_id=review_id, comments=[m.Comment(id=2, body="me too")])
            return m.Thread(review_id=review_id, comments=[m.Comment(id=1, body="first!", replies=inner)])

        async def create_review(self, *, product_id: uuid.UUID, body: Any) -> Any:
            record("create_review", product_id=product_id, body=body)
            return body.model_copy(update={"id": 7, "author_name": "ann"})

    class Orders(server.OrdersService):
        async def list_orders(self, **kwargs: Any) -> Any:
            record("list_orders", **kwargs)
            return m.OrderPage(items=[])

        async def cancel_order(self, *, order_id: uuid.UUID, body: Any) -> Any:
            record("cancel_order", order_id=order_id, body=body)
            raise server.ServiceError(409, body={"title": "shipped", "status": 409, "detail": "already shipped"})

        async def pay_order(self, *, order_id: uuid.UUID, idempotency_key: str, body: Any) -> Any:
            record("pay_order", order_id=order_id, idempotency_key=idempotency_key, body=body)
            return m.Payment(id=uuid.uuid4(), status="succeeded", amount={"amount": "12.50", "currency": "EUR"}, method=body)

        async def download_invoice(self, *, order_id: uuid.UUID) -> Any:
            record("download_invoice", order_id=order_id)
            return b"%PDF-1.7 invoice " + str(order_id).encode()

    class Customers(server.CustomersService):
        async def get_current_customer(self) -> Any:
            record("get_current_customer")
            return m.Customer(email="ann@example.org", id=uuid.uuid4(), field_2fa_enabled=True)

        async def issue_token(self, *, body: Any) -> Any:
            record("issue_token", body=body)
            return m.TokenResponse(access_token="t0k", token_type="Bearer", expires_in=3600)

    class Files(server.FilesService):
        async def upload_file(self, *, body: Any) -> Any:
            record("upload_file", body=body)
            name, content, content_type = body.file
            file_id = uuid.uuid4()
            files[file_id] = content
            return m.FileInfo(id=file_id, filename=name, content_type=content_type, size=len(content), labels=body.labels)

        async def replace_file_content(self, *, file_id: uuid.UUID, body: bytes) -> None:
            record("replace_file_content", file_id=file_id, body=body)
            files[file_id] = body

        async def download_file(self, *, file_id: uuid.UUID) -> bytes:
            record("download_file", file_id=file_id)
            return files[file_id]

        async def delete_files_file_id(self, *, file_id: uuid.UUID) -> None:
            record("delete_file", file_id=file_id)
            files.pop(file_id, None)

    class Admin(server.AdminService):
        async def get_stats(self, *, day: dt.date | None = None) -> Any:
            record("get_stats", day=day)
            raise server.NotImplementedOperation("get_stats")

    return {"catalog": Catalog(), "orders": Orders(), "customers": Customers(), "files": Files(), "admin": Admin()}


@pytest.fixture(scope="module")
def running(shop: SimpleNamespace) -> Iterator[tuple[str, Recorder]]:
    seen = Recorder()
    app = shop.server.create_app(**_implementations(shop, seen))
    with serve(app) as url:
        yield url, seen


@pytest.fixture()
def client(shop: SimpleNamespace, running: tuple[str, Recorder]) -> Iterator[Any]:
    url, _ = running
    with shop.client.Client(url, oauth2="secret-token", bearer_auth="bearer-token", session_cookie="sess-1", basic_auth=("ann", "pw")) as c:
        yield c


def _physical(m: ModuleType) -> Any:
    return m.PhysicalProduct(
        sku="ABC-12",
        name="Kettle",
        price=m.Money(amount=Decimal("19.99"), currency="EUR"),
        weight_grams=1200,
        tags=["kitchen", "steel"],
        created_at=None,
    )


def test_json_body_discriminated_union_and_path_param(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    created = client.catalog.create_product(idempotency_key="key-0001", body=_physical(shop.models))
    assert isinstance(created, shop.models.PhysicalProduct)
    assert created.kind == "physical" and created.price.amount == Decimal("19.99")
    assert isinstance(seen.calls["create_product"]["body"], shop.models.PhysicalProduct)
    assert seen.headers["create_product"]["idempotency-key"] == "key-0001"
    assert seen.headers["create_product"]["authorization"] == "Bearer secret-token"

    fetched = client.catalog.get_product(product_id=created.id, shop_locale="de-AT")
    assert fetched == created
    assert seen.calls["get_product"] == {"product_id": created.id, "shop_locale": "de-AT"}
    assert "shop_locale=de-AT" in seen.headers["get_product"]["cookie"]


def test_gift_card_variant_round_trips_by_tag(shop: SimpleNamespace, client: Any) -> None:
    card = shop.models.GiftCard.model_validate(
        {"kind": "gift_card", "sku": "GFT-01", "name": "Gift", "price": {"amount": "10", "currency": "EUR"}, "denominations": [10, 25]}
    )
    created = client.catalog.create_product(idempotency_key="key-0002", body=card)
    assert isinstance(created, shop.models.GiftCard)
    assert created.denominations == [10, 25]


def test_query_styles_form_explode_non_explode_and_deep_object(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    ids = [uuid.UUID(int=1), uuid.UUID(int=2)]
    flt = shop.models.ProductFilter(q="tea", min_price=Decimal("1.5"), in_stock=True)
    client.catalog.list_products(tag=["a", "b"], ids=ids, filter=flt, sort=shop.models.ListProductsSort.PRICE, limit=5)
    call = seen.calls["list_products"]
    assert call["tag"] == ["a", "b"]
    assert call["ids"] == ids
    assert call["filter"].q == "tea" and call["filter"].min_price == Decimal("1.5") and call["filter"].in_stock is True
    assert call["sort"] == shop.models.ListProductsSort.PRICE and call["limit"] == 5
    query = seen.headers["list_products"]["?query"]
    assert "tag=a&tag=b" in query  # form, explode
    assert f"ids={ids[0]}%2C{ids[1]}" in query or f"ids={ids[0]},{ids[1]}" in query  # form, no explode
    assert "filter%5Bq%5D=tea" in query or "filter[q]=tea" in query  # deepObject


def test_non_exploded_enum_array_and_datetime_query(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    client.orders.list_orders(status=[shop.models.OrderStatus.PAID, shop.models.OrderStatus.SHIPPED], placed_after=when)
    call = seen.calls["list_orders"]
    assert call["status"] == [shop.models.OrderStatus.PAID, shop.models.OrderStatus.SHIPPED]
    assert call["placed_after"] == when


def test_form_body_and_typed_error_with_documented_body(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    order_id = uuid.uuid4()
    with pytest.raises(shop.client.CancelOrderConflictError) as caught:
        client.orders.cancel_order(order_id=order_id, body={"reason": "too_slow", "comment": "late", "notifyCustomer": False})
    error = caught.value
    assert isinstance(error, shop.client.ApiError)
    assert error.status_code == 409
    assert isinstance(error.body, shop.models.Error) and error.body.title == "shipped"
    assert error.response.status_code == 409
    body = seen.calls["cancel_order"]["body"]
    assert body.reason == shop.models.CancelOrderRequestReason.TOO_SLOW and body.notify_customer is False
    assert seen.headers["cancel_order"]["content-type"].startswith("application/x-www-form-urlencoded")


def test_not_found_is_a_typed_error(shop: SimpleNamespace, client: Any) -> None:
    with pytest.raises(shop.client.GetProductNotFoundError) as caught:
        client.catalog.get_product(product_id=uuid.uuid4())
    assert caught.value.status_code == 404
    assert caught.value.body.title == "not_found" and caught.value.body.status == 404


def test_unimplemented_operation_answers_501(shop: SimpleNamespace, client: Any) -> None:
    with pytest.raises(shop.client.ApiError) as caught:
        client.admin.get_stats(day=dt.date(2026, 1, 1))
    assert caught.value.status_code == 501


def test_multipart_upload_octet_stream_replace_and_binary_download(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    info = client.files.upload_file(
        body={
            "file": ("cat.png", b"\x89PNG\r\n\x1a\n-bytes", "image/png"),
            "labels": ["pets", "cats"],
            "description": "a cat",
            "attachments": [("a.txt", b"A", "text/plain"), ("b.txt", b"B", "text/plain")],
        }
    )
    assert isinstance(info, shop.models.FileInfo)
    assert (info.filename, info.content_type, info.size) == ("cat.png", "image/png", 14)
    assert info.labels == ["pets", "cats"]
    uploaded = seen.calls["upload_file"]["body"]
    assert [a[1] for a in uploaded.attachments] == [b"A", b"B"]
    assert seen.headers["upload_file"]["content-type"].startswith("multipart/form-data")

    assert client.files.download_file(file_id=info.id) == b"\x89PNG\r\n\x1a\n-bytes"
    assert client.files.replace_file_content(file_id=info.id, body=b"\x00\x01new") is None
    assert seen.headers["replace_file_content"]["content-type"] == "application/octet-stream"
    assert client.files.download_file(file_id=info.id) == b"\x00\x01new"
    assert client.files.delete_files_file_id(file_id=info.id) is None


def test_binary_response_of_a_non_json_media_type(client: Any) -> None:
    order_id = uuid.uuid4()
    assert client.orders.download_invoice(order_id=order_id) == b"%PDF-1.7 invoice " + str(order_id).encode()


def test_recursive_and_mutually_recursive_models(shop: SimpleNamespace, client: Any) -> None:
    tree = client.catalog.list_categories()
    assert tree[0].children[0].children[0].name == "Tea"
    thread = client.catalog.get_review_thread(review_id=5, depth=2)
    assert isinstance(thread.comments[0].replies, shop.models.Thread)
    assert thread.comments[0].replies.comments[0].body == "me too"
    wire = thread.model_dump(by_alias=True, mode="json")
    assert wire["reviewId"] == 5 and "replies" not in wire["comments"][0]["replies"]["comments"][0]


def test_discriminated_union_request_body_variant(shop: SimpleNamespace, client: Any, running: tuple[str, Recorder]) -> None:
    _, seen = running
    wallet = shop.models.WalletPayment(provider="apple_pay", wallet_token=b"tok")
    payment = client.orders.pay_order(order_id=uuid.uuid4(), idempotency_key="pay-00001", body=wallet)
    assert isinstance(payment.method, shop.models.WalletPayment)
    assert isinstance(seen.calls["pay_order"]["body"], shop.models.WalletPayment)
    assert seen.calls["pay_order"]["body"].wallet_token == b"tok"


def test_auth_schemes_reach_the_server(shop: SimpleNamespace, running: tuple[str, Recorder]) -> None:
    url, seen = running
    with shop.client.Client(url, session_cookie="sess-42") as c:
        c.customers.get_current_customer()
    assert "shop_session=sess-42" in seen.headers["get_current_customer"]["cookie"]
    with shop.client.Client(url, basic_auth=("ann", "pw")) as c:
        token = c.customers.issue_token(body={"grant_type": "client_credentials"})
    assert token.access_token == "t0k"
    expected = "Basic " + base64.b64encode(b"ann:pw").decode()
    assert seen.headers["issue_token"]["authorization"] == expected
    with shop.client.Client(url, oauth2="oauth-token") as c:
        c.catalog.create_product(idempotency_key="key-0003", body=_physical(shop.models))
    assert seen.headers["create_product"]["authorization"] == "Bearer oauth-token"


def test_api_keys_in_header_query_and_cookie(shop: SimpleNamespace, running: tuple[str, Recorder]) -> None:
    url, seen = running
    with shop.client.Client(url, admin_key="k-header") as c, pytest.raises(shop.client.ApiError):
        c.admin.get_stats()
    assert seen.headers["get_stats"]["x-admin-key"] == "k-header"
    with shop.client.Client(url, admin_key_query="k-query") as c, pytest.raises(shop.client.ApiError):
        c.admin.get_stats()
    assert "admin_key=k-query" in seen.headers["get_stats"]["?query"]


def test_async_client_against_the_same_server(shop: SimpleNamespace, running: tuple[str, Recorder]) -> None:
    url, seen = running

    async def scenario() -> None:
        async with shop.client.AsyncClient(url, oauth2="async-token") as c:
            created = await c.catalog.create_product(idempotency_key="key-0004", body=_physical(shop.models))
            fetched = await c.catalog.get_product(product_id=created.id)
            assert fetched == created
            with pytest.raises(shop.client.CancelOrderConflictError):
                await c.orders.cancel_order(order_id=uuid.uuid4(), body={"reason": "other"})
            results = await asyncio.gather(*(c.catalog.get_product(product_id=created.id) for _ in range(10)))
            assert all(r == created for r in results)

    asyncio.run(scenario())
    assert seen.headers["create_product"]["authorization"] == "Bearer async-token"
    assert "authorization" not in seen.headers["get_product"]  # anonymous: no credentials sent


def test_health_endpoints_and_untagged_operation(shop: SimpleNamespace, running: tuple[str, Recorder]) -> None:
    import httpx

    url, _ = running
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/readyz").status_code == 200
    with shop.client.Client(url) as c, pytest.raises(shop.client.ApiError) as caught:
        c.get_health()  # untagged: a method on the client itself; not implemented here
    assert caught.value.status_code == 501


def test_invalid_request_is_rejected_by_the_server(shop: SimpleNamespace, client: Any) -> None:
    with pytest.raises(shop.client.ApiError) as caught:
        client.catalog.create_product(idempotency_key="short", body=_physical(shop.models))  # minLength 8
    assert caught.value.status_code == 422


def test_generated_package_public_surface(shop: SimpleNamespace) -> None:
    assert shop.client.__all__ == sorted(shop.client.__all__, key=lambda n: (not n[0].isupper(), n))
    assert issubclass(shop.client.GetProductNotFoundError, shop.client.ApiError)
    pkg = __import__(PACKAGE)
    assert pkg.__api_version__ == "2.3.0"
    assert Path(pkg.__file__).with_name("py.typed").exists()
