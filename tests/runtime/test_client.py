"""SyncClient / AsyncClient against ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from wiregen.runtime import http as H

from .fakes import FakeClock
from .petstore import (
    CREATE_PET,
    DELETE_PET,
    GET_PET,
    LIST_PETS,
    PUT_RAW,
    SECURITY_SCHEMES,
    DefaultError,
    Error,
    GetPetNotFoundError,
    NewPet,
    Pet,
    ServerError,
    Species,
)

Handler = Callable[[httpx.Request], httpx.Response]


def sync_client(handler: Handler, base: str = "http://api.test/v1", **kw: Any) -> H.SyncClient:
    # A fake clock: retried statuses (503 below) back off without sleeping.
    return H.SyncClient(
        base,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        security_schemes=SECURITY_SCHEMES,
        user_agent="petstore/1.2.0 (wiregen)",
        clock=FakeClock(),
        **kw,
    )


def async_client(handler: Handler, base: str = "http://api.test/v1", **kw: Any) -> H.AsyncClient:
    return H.AsyncClient(
        base,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        security_schemes=SECURITY_SCHEMES,
        clock=FakeClock(),
        **kw,
    )


PET_JSON = {"petId": 1, "name": "Rex", "species": "dog"}


def ok(payload: Any = PET_JSON, status: int = 200, **kw: Any) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=payload, **kw)

    return handler


class Recorder:
    def __init__(self, response: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.response = response or httpx.Response(200, json=PET_JSON)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(
            self.response.status_code,
            headers=self.response.headers,
            content=self.response.content,
        )

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


# -- request building ----------------------------------------------------------


def test_url_with_base_path_and_params() -> None:
    rec = Recorder()
    with sync_client(rec, "http://api.test/api/v1/") as client:
        pet = client.call(
            GET_PET,
            {
                "pet-id": 1,
                "tags": ["a", "b c"],
                "filter": {"color": "red", "minAge": 2},
                "X-Request-Id": "rid-1",
                "session": "s 1",
            },
        )
    assert isinstance(pet, Pet) and pet.pet_id == 1 and pet.species is Species.DOG
    req = rec.last
    assert str(req.url) == (
        "http://api.test/api/v1/pets/1?tags=a&tags=b+c&filter[color]=red&filter[minAge]=2"
    )
    assert req.headers["X-Request-Id"] == "rid-1"
    assert req.headers["Cookie"] == "session=s%201"
    assert req.headers["User-Agent"] == "petstore/1.2.0 (wiregen)"
    assert req.headers["Accept"] == "application/json"


def test_missing_required_param_names_python_name() -> None:
    with sync_client(Recorder()) as client, pytest.raises(ValueError, match="'pet_id'"):
        client.call(GET_PET, {})


def test_default_and_per_call_headers_and_jar_cookies() -> None:
    rec = Recorder()
    http = httpx.Client(transport=httpx.MockTransport(rec), cookies={"jar": "1"})
    client = H.SyncClient(
        "http://api.test", http_client=http, headers={"X-Team": "a", "Accept": "*/*"}
    )
    client.call(GET_PET, {"petId": 3, "pet-id": 3, "session": "x"}, headers={"X-Team": "b"})
    assert rec.last.headers["X-Team"] == "b"
    assert rec.last.headers["Accept"] == "*/*"
    assert rec.last.headers["Cookie"] == "jar=1; session=x"
    assert rec.last.headers["User-Agent"] == "wiregen-client"
    client.close()
    assert not http.is_closed  # caller-owned client stays open


def test_own_http_client_is_closed_and_has_default_timeout() -> None:
    client = H.SyncClient("http://api.test")
    assert client.http_client.timeout == httpx.Timeout(H.DEFAULT_TIMEOUT)
    client.close()
    assert client.http_client.is_closed
    assert H.SyncClient("http://x", timeout=2).http_client.timeout == httpx.Timeout(2)


def test_bad_base_url() -> None:
    with pytest.raises(ValueError):
        H.SyncClient("/relative")


def test_json_body_and_required_body() -> None:
    rec = Recorder(httpx.Response(201, json=PET_JSON))
    client = sync_client(rec, credentials={"bearer": "t"})
    client.call(CREATE_PET, {}, NewPet(name="Rex"))
    assert json.loads(rec.last.content) == {"name": "Rex"}
    assert rec.last.headers["Content-Type"] == "application/json"
    client.call(CREATE_PET, {}, {"name": "Tom", "species": Species.CAT})
    assert json.loads(rec.last.content) == {"name": "Tom", "species": "cat"}
    with pytest.raises(ValueError, match="requires a request body"):
        client.call(CREATE_PET, {}, None)


def test_binary_body_and_matrix_path() -> None:
    rec = Recorder(httpx.Response(200, content=b"\x00\x01"))
    client = sync_client(rec)
    out = client.call(PUT_RAW, {"key": ["a", "b/c"]}, b"payload")
    assert out == b"\x00\x01"
    assert rec.last.url.raw_path == b"/v1/raw/;key=a;key=b%2Fc"
    assert rec.last.headers["Content-Type"] == "application/octet-stream"
    assert rec.last.content == b"payload"


# -- auth ------------------------------------------------------------------------


def _auth_headers(credentials: dict[str, Any], endpoint: H.Endpoint = GET_PET) -> httpx.Request:
    rec = Recorder()
    sync_client(rec, credentials=credentials).call(endpoint, {"pet-id": 1})
    return rec.last


def test_auth_first_satisfiable_alternative() -> None:
    req = _auth_headers({"bearer": "tok", "api_key": "k", "session_cookie": "c"})
    assert req.headers["Authorization"] == "Bearer tok"
    assert "X-API-Key" not in req.headers
    req = _auth_headers({"api_key": "k", "session_cookie": "c v"})
    assert "Authorization" not in req.headers
    assert req.headers["X-API-Key"] == "k"
    assert req.headers["Cookie"] == "SESSION=c%20v"
    # api_key alone does not satisfy ("api_key", "session_cookie"): anonymous allowed
    req = _auth_headers({"api_key": "k"})
    assert "X-API-Key" not in req.headers and "Authorization" not in req.headers


def test_auth_kinds() -> None:
    def endpoint(*alts: tuple[str, ...]) -> H.Endpoint:
        return H.Endpoint(name="e", method="GET", path="/e", security=alts)

    rec = Recorder()
    client = sync_client(
        rec,
        credentials={
            "basic": ("user", "pässword"),
            "query_key": "q k",
            "oauth": lambda: "fresh-token",
        },
    )
    client.call(endpoint(("basic",)))
    expected = httpx.BasicAuth("user", "pässword")._auth_header  # httpx semantics
    assert rec.last.headers["Authorization"] == expected
    assert expected == "Basic " + base64.b64encode("user:pässword".encode()).decode()
    client.call(endpoint(("query_key",)))
    assert rec.last.url.query == b"key=q+k"
    client.call(endpoint(("oauth",)))
    assert rec.last.headers["Authorization"] == "Bearer fresh-token"
    # required auth, no matching credentials: sent anyway, server decides
    client.call(endpoint(("bearer",)))
    assert "Authorization" not in rec.last.headers
    # no security at all
    client.call(endpoint())
    assert "Authorization" not in rec.last.headers


def test_optional_auth_prefers_credentials_over_anonymous() -> None:
    ep = H.Endpoint(name="e", method="GET", path="/e", security=((), ("bearer",)))
    rec = Recorder()
    sync_client(rec, credentials={"bearer": "t"}).call(ep)
    assert rec.last.headers["Authorization"] == "Bearer t"
    sync_client(rec).call(ep)
    assert "Authorization" not in rec.last.headers


def test_open_id_connect_and_custom_http_scheme() -> None:
    schemes = (
        H.SecurityScheme(name="oidc", py_name="oidc", kind="openIdConnect"),
        H.SecurityScheme(name="tok", py_name="tok_", kind="http", scheme="Token"),
    )
    rec = Recorder()
    client = H.SyncClient(
        "http://a.test",
        http_client=httpx.Client(transport=httpx.MockTransport(rec)),
        security_schemes=schemes,
        credentials={"oidc": "o", "tok_": "t"},
    )
    client.call(H.Endpoint(name="a", method="GET", path="/", security=(("oidc",),)))
    assert rec.last.headers["Authorization"] == "Bearer o"
    client.call(H.Endpoint(name="b", method="GET", path="/", security=(("tok",),)))
    assert rec.last.headers["Authorization"] == "Token t"


# -- responses -------------------------------------------------------------------


def test_exact_status_typed_error() -> None:
    client = sync_client(ok({"code": 404, "message": "gone"}, status=404))
    with pytest.raises(GetPetNotFoundError) as info:
        client.call(GET_PET, {"pet-id": 9})
    err = info.value
    assert isinstance(err, H.ApiError)
    assert err.status_code == 404
    assert err.body == Error(code=404, message="gone")
    assert err.headers["content-type"] == "application/json"
    assert err.response.status_code == 404
    assert str(err).startswith("HTTP 404 Not Found from GET http://api.test/v1/pets/9: ")
    assert "gone" in str(err)


def test_range_status_and_case_insensitive_range() -> None:
    client = sync_client(ok({"code": 1, "message": "down"}, status=503))
    with pytest.raises(ServerError) as info:
        client.call(GET_PET, {"pet-id": 1})
    assert info.value.body == Error(code=1, message="down")
    ep = H.Endpoint(
        name="x",
        method="GET",
        path="/x",
        responses=(
            H.ResponseSpec(
                status="4xx", kind="json", type=lambda: Error, error=lambda: DefaultError
            ),
        ),
    )
    with pytest.raises(DefaultError):
        sync_client(ok({"code": 1, "message": "m"}, status=418)).call(ep)


def test_status_precedence_exact_then_range_then_default() -> None:
    class Exact(H.ApiError): ...

    class Ranged(H.ApiError): ...

    class Default(H.ApiError): ...

    ep = H.Endpoint(
        name="p",
        method="GET",
        path="/p",
        responses=(
            H.ResponseSpec(status="default", kind="json", error=lambda: Default),
            H.ResponseSpec(status="4XX", kind="json", error=lambda: Ranged),
            H.ResponseSpec(status="404", kind="json", error=lambda: Exact),
        ),
    )
    for status, expected in ((404, Exact), (400, Ranged), (500, Default), (302, Default)):
        with pytest.raises(H.ApiError) as info:
            sync_client(ok({"s": status}, status=status)).call(ep)
        assert type(info.value) is expected, status
        assert info.value.body == {"s": status}


def test_default_response_and_untyped_body() -> None:
    client = sync_client(ok({"code": 7, "message": "bad"}, status=400))
    with pytest.raises(DefaultError) as info:
        client.call(LIST_PETS, {"limit": 1})
    assert info.value.body == Error(code=7, message="bad")
    # a body that does not validate is kept raw
    client = sync_client(ok({"unexpected": True}, status=400))
    with pytest.raises(DefaultError) as info:
        client.call(LIST_PETS)
    assert info.value.body == {"unexpected": True}


def test_undocumented_statuses() -> None:
    client = sync_client(lambda r: httpx.Response(500, text="boom"))
    with pytest.raises(H.UnexpectedStatusError) as info:
        client.call(H.Endpoint(name="x", method="GET", path="/x"))
    assert info.value.body == "boom"
    assert info.value.status_code == 500
    # undocumented 2xx without default → parsed JSON / None
    ep = H.Endpoint(
        name="u", method="GET", path="/u", responses=(H.ResponseSpec(status="204", kind="empty"),)
    )
    assert sync_client(ok({"any": 1}, status=202)).call(ep) == {"any": 1}
    assert sync_client(lambda r: httpx.Response(200)).call(ep) is None


def test_4xx_range_wins_over_unexpected() -> None:
    client = sync_client(ok({"code": 1, "message": "x"}, status=409))
    with pytest.raises(DefaultError):
        client.call(CREATE_PET, {}, {"name": "x"})


def test_success_default_describing_errors_is_not_parsed_as_error() -> None:
    client = sync_client(ok([PET_JSON], status=203))
    assert client.call(LIST_PETS) == [PET_JSON]


def test_empty_and_list_responses() -> None:
    with pytest.warns(DeprecationWarning):
        assert sync_client(lambda r: httpx.Response(204)).call(DELETE_PET, {"petId": 1}) is None
    pets = sync_client(ok([PET_JSON, {"petId": 2, "name": "Tom", "extra": 1}])).call(LIST_PETS)
    assert [p.name for p in pets] == ["Rex", "Tom"]
    assert pets[1].model_extra == {"extra": 1}


def test_invalid_success_body_raises_response_validation_error() -> None:
    client = sync_client(ok({"name": "no id"}))
    with pytest.raises(H.ResponseValidationError) as info:
        client.call(GET_PET, {"pet-id": 1})
    assert info.value.body == {"name": "no id"}
    assert info.value.__cause__ is not None


def test_multiple_media_types_for_one_status() -> None:
    ep = H.Endpoint(
        name="m",
        method="GET",
        path="/m",
        responses=(
            H.ResponseSpec(status="200", kind="json", media_type="application/json"),
            H.ResponseSpec(status="200", kind="text", media_type="text/csv"),
        ),
    )
    text = sync_client(
        lambda r: httpx.Response(200, text="a,b", headers={"content-type": "text/csv"})
    )
    assert text.call(ep) == "a,b"
    assert sync_client(ok({"a": 1})).call(ep) == {"a": 1}


# -- last_response, warnings -------------------------------------------------------


def test_last_response_is_per_task() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        pet_id = int(request.url.path.rsplit("/", 1)[1])
        return httpx.Response(200, json={"petId": pet_id, "name": f"p{pet_id}"})

    client = async_client(handler)

    async def one(pet_id: int) -> tuple[int, int]:
        await client.call(GET_PET, {"pet-id": pet_id})
        await asyncio.sleep(0.01 * (5 - pet_id))
        resp = client.last_response
        assert resp is not None
        return pet_id, resp.json()["petId"]

    async def main() -> None:
        assert client.last_response is None
        results = await asyncio.gather(*(one(i) for i in range(1, 5)))
        assert all(a == b for a, b in results)
        assert client.last_response is None  # the parent task made no call itself
        await client.call(GET_PET, {"pet-id": 9})
        assert client.last_response is not None
        assert client.last_response.json()["petId"] == 9
        await client.aclose()

    asyncio.run(main())


def test_last_response_set_on_errors_too() -> None:
    client = sync_client(ok({"code": 404, "message": "m"}, status=404))
    with pytest.raises(H.ApiError):
        client.call(GET_PET, {"pet-id": 1})
    assert client.last_response is not None and client.last_response.status_code == 404


class PetsApi:
    """What a generated API class looks like."""

    def __init__(self, client: H.SyncClient) -> None:
        self._client = client

    def delete_pet(self, *, pet_id: int) -> None:
        self._client.call(DELETE_PET, {"petId": pet_id}, None)

    def get_pet(self, *, pet_id: int) -> Pet:
        return self._client.call(GET_PET, {"pet-id": pet_id}, None)  # type: ignore[no-any-return]


class AsyncPetsApi:
    def __init__(self, client: H.AsyncClient) -> None:
        self._client = client

    async def delete_pet(self, *, pet_id: int) -> None:
        await self._client.call(DELETE_PET, {"petId": pet_id}, None)

    async def get_pet(self, *, pet_id: int) -> Pet:
        return await self._client.call(GET_PET, {"pet-id": pet_id}, None)  # type: ignore[no-any-return]


def test_deprecated_operation_warns_at_caller_line() -> None:
    api = PetsApi(sync_client(lambda r: httpx.Response(204)))
    with pytest.warns(DeprecationWarning, match="delete_pet is deprecated") as record:
        api.delete_pet(pet_id=1)
        line = sys._getframe().f_lineno - 1
    assert (record[0].filename, record[0].lineno) == (__file__, line)


def test_deprecated_operation_warns_at_caller_line_async() -> None:
    api = AsyncPetsApi(async_client(lambda r: httpx.Response(204)))

    async def user_code() -> None:
        await api.delete_pet(pet_id=1)  # the warning points here

    with pytest.warns(DeprecationWarning, match="delete_pet is deprecated") as record:
        asyncio.run(user_code())
    assert record[0].filename == __file__
    assert record[0].lineno == user_code.__code__.co_firstlineno + 1


def test_deprecated_parameter_warns_only_when_used() -> None:
    ep = H.Endpoint(
        name="search",
        method="GET",
        path="/s",
        params=(
            H.Param(name="q", py_name="q", location="query", type=lambda: str),
            H.Param(name="old", py_name="old_", location="query", deprecated=True),
        ),
    )
    client = sync_client(ok(None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.call(ep, {"q": "x", "old": None})
    with pytest.warns(DeprecationWarning, match="parameter old_ of operation search"):
        client.call(ep, {"old": 1})


def test_sunset_headers_warn_once_per_endpoint() -> None:
    headers = {"Deprecation": "@1700000000", "Sunset": "Wed, 11 Nov 2026 11:11:11 GMT"}
    api = PetsApi(sync_client(ok(PET_JSON, headers=headers)))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        api.get_pet(pet_id=1)
        api.get_pet(pet_id=2)
    assert len(record) == 1
    assert issubclass(record[0].category, DeprecationWarning)
    assert "Sunset: Wed, 11 Nov 2026" in str(record[0].message)
    assert record[0].filename == __file__

    async def main() -> None:
        aapi = AsyncPetsApi(async_client(ok(PET_JSON, headers={"Sunset": "soon"})))
        with pytest.warns(DeprecationWarning, match="Sunset: soon") as rec:
            await aapi.get_pet(pet_id=1)
        assert rec[0].filename == __file__

    asyncio.run(main())


# -- sync/async parity --------------------------------------------------------------


def test_async_client_same_behaviour() -> None:
    rec = Recorder(httpx.Response(404, json={"code": 404, "message": "m"}))

    async def main() -> None:
        async with async_client(rec, credentials={"bearer": "b"}) as client:
            with pytest.raises(GetPetNotFoundError):
                await client.call(GET_PET, {"pet-id": 5, "tags": ["x"]})
        assert str(rec.last.url) == "http://api.test/v1/pets/5?tags=x"
        assert rec.last.headers["Authorization"] == "Bearer b"

    asyncio.run(main())


def test_send_is_the_single_attempt_seam() -> None:
    """``_send`` is called once per attempt by the shared retry loop."""
    attempts: list[str] = []

    class Counting(H.SyncClient):
        def _send(self, request: httpx.Request, endpoint: H.Endpoint) -> httpx.Response:
            attempts.append(endpoint.name)
            return super()._send(request, endpoint)

    responses = iter([httpx.Response(503), httpx.Response(200, json=PET_JSON)])
    client = Counting(
        "http://a.test",
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: next(responses))),
        clock=FakeClock(),
    )
    assert client.call(GET_PET, {"pet-id": 1}).name == "Rex"
    assert attempts == ["get_pet", "get_pet"]
