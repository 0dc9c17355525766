"""build_app behaviour, exercised in-process through starlette's TestClient."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.responses import PlainTextResponse

with warnings.catch_warnings():  # starlette nudges towards httpx2; plain httpx is fine here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from pydantic import Field

from wiregen.runtime import http as H
from wiregen.runtime.model import WireModel
from wiregen.runtime.server import NotImplementedOperation, ServiceError, build_app

from .petstore import ENDPOINTS, GET_PET, Error, FakePets, Pet, make_app


@pytest.fixture
def impl() -> FakePets:
    return FakePets()


@pytest.fixture
def client(impl: FakePets) -> Iterator[TestClient]:
    with TestClient(make_app(impl)) as c:
        yield c


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/openapi.json").json() == {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.2.0"},
    }


def test_params_decoded_and_passed_by_python_name(client: TestClient, impl: FakePets) -> None:
    r = client.get(
        "/pets/1?tags=a&tags=b&filter[color]=red&filter[minAge]=3",
        headers={"X-Request-Id": "r1", "Cookie": "other=1; session=s%201"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"petId": 1, "name": "Rex", "species": "dog", "tags": [{"name": "good"}]}
    name, kwargs = impl.calls[-1]
    assert name == "get_pet"
    assert kwargs["pet_id"] == 1
    assert kwargs["tags"] == ["a", "b"]
    assert kwargs["filter_"].color == "red" and kwargs["filter_"].min_age == 3
    assert kwargs["x_request_id"] == "r1"
    assert kwargs["session"] == "s 1"


def test_absent_optional_params_are_not_passed() -> None:
    seen: dict[str, Any] = {}

    class Impl:
        async def list_pets(self, **kwargs: Any) -> list[Pet]:
            seen.update(kwargs)
            return []

    app = build_app(
        title="t", version="1", routes=[(ep, Impl(), "list_pets") for ep in ENDPOINTS[1:2]]
    )
    with TestClient(app) as c:
        assert c.get("/pets?ids=1%7C2").json() == []
    assert seen == {"ids": [1, 2]}


def test_validation_errors_are_422(client: TestClient) -> None:
    r = client.get("/pets/abc?filter[minAge]=old")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [d["loc"] for d in detail] == [["path", "pet-id"], ["query", "filter", "minAge"]]
    assert detail[0]["type"] == "int_parsing"
    r = client.post("/pets", json={"species": "cow"})
    assert r.status_code == 422
    locs = [d["loc"] for d in r.json()["detail"]]
    assert ["body", "name"] in locs and ["body", "species"] in locs
    r = client.post("/pets", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"
    r = client.post("/pets")
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
    ]


def test_service_errors_map_to_documented_responses(client: TestClient) -> None:
    r = client.get("/pets/77")
    assert r.status_code == 404
    assert r.json() == {"code": 404, "message": "pet 77 not found"}
    r = client.get("/pets/500")  # 503 → documented by 5XX
    assert r.status_code == 503
    assert r.json() == {"code": 503, "message": "try later"}
    r = client.get("/pets?limit=0")  # 400 → default response
    assert r.status_code == 400
    assert r.json()["message"] == "limit must be positive"


def test_service_error_body_not_matching_is_500(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        r = client.post("/pets", json={"name": "invalid"})
    assert r.status_code == 500
    assert "does not match the documented response" in r.json()["detail"]
    assert any("create_pet" in rec.getMessage() for rec in caplog.records)


def test_service_error_headers_and_undocumented_status() -> None:
    class Impl:
        async def get_pet(self, **kwargs: Any) -> Pet:
            raise ServiceError(429, {"retry": True}, headers={"Retry-After": "3"})

    app = build_app(title="t", version="1", routes=[(GET_PET, Impl(), "get_pet")])
    with TestClient(app) as c:
        r = c.get("/pets/1")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "3"
    assert r.json() == {"retry": True}


def test_equivalent_model_instances_are_accepted() -> None:
    from .petstore import NewPet

    class Impl:
        async def get_pet(self, **kwargs: Any) -> Any:
            return NewPet(name="x")  # another model class, missing petId → still invalid

    class Impl2:
        async def get_pet(self, **kwargs: Any) -> Any:
            class PetView(WireModel):  # unrelated class, same wire shape
                pet_id: int = Field(alias="petId")
                name: str

            return PetView(petId=3, name="o")

    for impl, status in ((Impl(), 500), (Impl2(), 200)):
        app = build_app(title="t", version="1", routes=[(GET_PET, impl, "get_pet")])
        with TestClient(app) as c:
            assert c.get("/pets/1").status_code == status


def test_invalid_success_value_is_500(caplog: pytest.LogCaptureFixture) -> None:
    class Impl:
        async def get_pet(self, **kwargs: Any) -> Any:
            return {"name": "no id"}

    app = build_app(title="t", version="1", routes=[(GET_PET, Impl(), "get_pet")])
    with TestClient(app) as c, caplog.at_level(logging.ERROR):
        r = c.get("/pets/1")
    assert r.status_code == 500
    assert "invalid response body" in r.json()["detail"]


def test_not_implemented(client: TestClient) -> None:
    r = client.get("/nothing")
    assert r.status_code == 501
    assert r.json() == {"detail": "operation unimplemented is not implemented"}
    app = build_app(title="t", version="1", routes=[(GET_PET, None, "get_pet")])
    with TestClient(app) as c:
        r = c.get("/pets/1")
    assert r.status_code == 501
    assert r.json() == {"detail": "operation get_pet is not implemented"}

    class Stub:
        async def get_pet(self, **kwargs: Any) -> Pet:
            raise NotImplementedOperation

    with TestClient(build_app(title="t", version="1", routes=[(GET_PET, Stub(), "get_pet")])) as c:
        assert c.get("/pets/1").status_code == 501


def test_missing_method_fails_at_build_time() -> None:
    with pytest.raises(TypeError, match="no method 'get_pet'"):
        build_app(title="t", version="1", routes=[(GET_PET, object(), "get_pet")])


def test_raw_path_routing(client: TestClient, impl: FakePets) -> None:
    r = client.post("/files/a%2Fb%20c", files={"file": ("x.txt", b"hi", "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "a/b c"
    assert client.get("/pets/1/extra").status_code == 404
    r = client.patch("/pets/1")
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]


def test_matrix_and_binary(client: TestClient) -> None:
    r = client.put("/raw/;key=a;key=b%3Bc", content=b"data")
    assert r.status_code == 200
    assert r.content == b"a|b;c:data"
    assert r.headers["content-type"] == "application/octet-stream"


def test_text_and_form_bodies(client: TestClient) -> None:
    r = client.post("/echo", content="hé", headers={"content-type": "text/plain; charset=utf-8"})
    assert r.text == "HÉ"
    assert r.headers["content-type"].startswith("text/plain")
    r = client.post("/form", data={"name": "Rex", "species": "dog", "tags": ['{"name": "t"}']})
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "Rex", "species": "dog", "tags": [{"name": "t"}]}


def test_empty_response_and_sync_implementation(client: TestClient, impl: FakePets) -> None:
    r = client.delete("/pets/2")
    assert r.status_code == 204
    assert r.content == b""
    assert 2 not in impl.pets


def test_implementation_may_return_a_response() -> None:
    class Impl:
        def get_pet(self, **kwargs: Any) -> Any:
            return PlainTextResponse("teapot", status_code=418)

    with TestClient(build_app(title="t", version="1", routes=[(GET_PET, Impl(), "get_pet")])) as c:
        r = c.get("/pets/1")
    assert (r.status_code, r.text) == (418, "teapot")


def test_mounted_under_a_prefix() -> None:
    from fastapi import FastAPI

    outer = FastAPI()
    outer.mount("/api/v1", make_app())
    with TestClient(outer) as c:
        assert c.get("/api/v1/pets/1").json()["name"] == "Rex"
        assert c.post("/api/v1/files/x%2Fy", files={"file": b"z"}).json()["name"] == "x/y"


def test_client_and_server_in_process(impl: FakePets) -> None:
    """SyncClient on top of TestClient (an httpx.Client) — symmetric codecs."""
    with TestClient(make_app(impl)) as tc:
        client = H.SyncClient("http://testserver", http_client=tc)
        pet = client.call(GET_PET, {"pet-id": 1, "tags": ["a,b", "c d"], "session": "a;b"})
        assert pet.name == "Rex"
        assert impl.calls[-1][1]["tags"] == ["a,b", "c d"]
        assert impl.calls[-1][1]["session"] == "a;b"
        with pytest.raises(H.ApiError) as info:
            client.call(GET_PET, {"pet-id": 404})
        assert info.value.body == Error(code=404, message="pet 404 not found")
