"""Resilience as a user meets it: policies from the spec, the constructor and
``with_options``, exercised through a *generated* client against the *generated*
server under uvicorn on 127.0.0.1.

The runtime's own behaviour (timing, jitter bounds, breaker model, fault injection)
is tested in tests/runtime; this checks that the generated code wires it right.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.generation import generate_into, import_generated, write_spec
from tests.support.servers import serve

pytestmark = pytest.mark.functional

PACKAGE = "resilient_fn"
SPEC = """\
openapi: 3.0.3
info: {title: Resilient, version: 2.1.0}
x-wiregen-retry: {max_attempts: 4, base_delay: 0.01, max_delay: 0.02}
x-wiregen-timeout: 5
paths:
  /items/{id}:
    get:
      operationId: getItem
      tags: [items]
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
        '503': {description: unavailable}
  /orders:
    post:
      operationId: createOrder
      tags: [orders]
      parameters: [{name: Idempotency-Key, in: header, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
      responses:
        '201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
        '503': {description: unavailable}
  /notes:
    post:
      operationId: createNote
      tags: [orders]
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
      responses:
        '201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
        '503': {description: unavailable}
  /flaky:
    get:
      operationId: getFlaky
      tags: [items]
      x-wiregen-retry: false
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Item'}}}}
        '503': {description: unavailable}
components:
  schemas:
    Item:
      type: object
      required: [id]
      properties: {id: {type: integer}, name: {type: string}}
"""


class Script:
    """How many 503s each operation answers before it succeeds, and what it saw."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.keys: list[str] = []
        self.orders_by_key: dict[str, Any] = {}

    def step(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.failures.get(name, 0) > 0:
            self.failures[name] -= 1
            raise self.server.ServiceError(503)

    server: Any = None


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    work = tmp_path_factory.mktemp("resilient")
    out = generate_into(write_spec(work, SPEC), work / "out", PACKAGE)
    return SimpleNamespace(
        models=import_generated(out, PACKAGE, "models"),
        client=import_generated(out, PACKAGE, "client"),
        server=import_generated(out, PACKAGE, "server"),
    )


@pytest.fixture()
def running(gen: SimpleNamespace) -> Iterator[tuple[str, Script]]:
    script = Script()
    script.server = gen.server

    class Items(gen.server.ItemsService):
        async def get_item(self, *, id: int) -> Any:
            script.step("get_item")
            return gen.models.Item(id=id, name="thing")

        async def get_flaky(self) -> Any:
            script.step("get_flaky")
            return gen.models.Item(id=0)

    class Orders(gen.server.OrdersService):
        async def create_order(self, *, idempotency_key: str, body: Any) -> Any:
            script.keys.append(idempotency_key)
            script.step("create_order")
            # A server that de-duplicates by key executes the order once.
            return script.orders_by_key.setdefault(idempotency_key, body)

        async def create_note(self, *, body: Any) -> Any:
            script.step("create_note")
            return body

    with serve(gen.server.create_app(items=Items(), orders=Orders())) as url:
        yield url, script


def test_policy_classes_and_errors_are_exported(gen: SimpleNamespace) -> None:
    for name in ("RetryPolicy", "CircuitBreakerPolicy", "BulkheadPolicy", "CircuitOpenError", "BulkheadFullError", "DeadlineExceededError"):
        assert name in gen.client.__all__ and hasattr(gen.client, name)


def test_spec_retry_policy_retries_a_get_through_503s(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_item"] = 3
    with gen.client.Client(url) as client:
        assert client.items.get_item(id=7).id == 7
    assert script.calls["get_item"] == 4  # x-wiregen-retry: max_attempts 4


def test_retry_false_in_the_spec_means_one_attempt(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_flaky"] = 1
    with gen.client.Client(url) as client, pytest.raises(gen.client.ApiError) as caught:
        client.items.get_flaky()
    assert caught.value.status_code == 503 and script.calls["get_flaky"] == 1


def test_constructor_and_with_options_override_the_spec(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_item"] = 1
    with gen.client.Client(url, retry=None) as client, pytest.raises(gen.client.ApiError):
        client.items.get_item(id=1)
    assert script.calls["get_item"] == 1
    script.failures["get_item"] = 1
    with gen.client.Client(url, retry=None) as client:
        retrying = client.with_options(retry=gen.client.RetryPolicy(max_attempts=2, base_delay=0.01))
        assert retrying.items.get_item(id=2).id == 2
        with pytest.raises(gen.client.ApiError):  # the original client is unchanged
            script.failures["get_item"] = 1
            client.items.get_item(id=3)


def test_post_with_declared_idempotency_header_retries_with_one_generated_key(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["create_order"] = 2
    with gen.client.Client(url) as client:
        created = client.orders.create_order(body={"id": 11})
    assert created.id == 11
    assert len(script.keys) == 3 and len(set(script.keys)) == 1
    assert uuid.UUID(script.keys[0]).version == 4
    with gen.client.Client(url) as client:
        client.orders.create_order(body={"id": 12}, idempotency_key="caller-chosen")
    assert script.keys[-1] == "caller-chosen"


def test_post_without_a_key_is_never_retried(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["create_note"] = 1
    with gen.client.Client(url) as client, pytest.raises(gen.client.ApiError) as caught:
        client.orders.create_note(body={"id": 1})
    assert caught.value.status_code == 503 and script.calls["create_note"] == 1


def test_breaker_opens_and_fails_fast_and_fallback_answers(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_flaky"] = 100
    breaker = gen.client.CircuitBreakerPolicy(failure_rate=0.5, window=4, min_calls=4, open_seconds=60)
    with gen.client.Client(url, circuit_breaker=breaker) as client:
        for _ in range(4):
            with pytest.raises(gen.client.ApiError):
                client.items.get_flaky()
        before = script.calls["get_flaky"]
        with pytest.raises(gen.client.CircuitOpenError):
            client.items.get_flaky()
        assert script.calls["get_flaky"] == before  # no network I/O while open
        with_fallback = client.with_options(fallbacks={"get_flaky": lambda error: gen.models.Item(id=-1)})
        assert with_fallback.items.get_flaky().id == -1


def test_async_client_has_the_same_resilience(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_item"] = 2

    async def scenario() -> int:
        async with gen.client.AsyncClient(url) as client:
            item = await client.items.get_item(id=9)
            return int(item.id)

    assert asyncio.run(scenario()) == 9
    assert script.calls["get_item"] == 3


def test_deadline_covers_all_attempts(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_item"] = 100
    slow_retry = gen.client.RetryPolicy(max_attempts=50, base_delay=0.2, max_delay=0.2)
    with gen.client.Client(url, timeout=0.5, retry=slow_retry) as client:
        with pytest.raises((gen.client.DeadlineExceededError, gen.client.ApiError)) as caught:
            client.items.get_item(id=1)
    assert script.calls["get_item"] < 50
    if isinstance(caught.value, gen.client.DeadlineExceededError):
        assert caught.value.attempts == script.calls["get_item"]


def test_generated_key_header_is_optional_in_the_client_signature(gen: SimpleNamespace) -> None:
    import inspect

    params = inspect.signature(gen.client.Client.__dict__["orders"].func(gen.client.Client("http://127.0.0.1:1")).create_order).parameters
    assert params["idempotency_key"].default is None
    assert Path(gen.client.__file__).exists()


def test_events_reach_the_on_event_hook(gen: SimpleNamespace, running: tuple[str, Script]) -> None:
    url, script = running
    script.failures["get_item"] = 1
    seen: list[object] = []
    with gen.client.Client(url, on_event=seen.append) as client:
        client.items.get_item(id=5)
    assert [type(e).__name__ for e in seen] == ["RetryScheduled"]
