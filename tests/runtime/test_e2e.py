"""End to end: SyncClient and AsyncClient against build_app served by uvicorn."""

from __future__ import annotations

import asyncio
import io

import pytest

from wiregen.runtime import http as H

from .conftest import LiveServer
from .petstore import (
    CREATE_PET,
    DELETE_PET,
    ECHO_TEXT,
    GET_PET,
    LIST_PETS,
    PUT_RAW,
    SECURITY_SCHEMES,
    SUBMIT_FORM,
    UNIMPLEMENTED,
    UPLOAD,
    DefaultError,
    Error,
    FakePets,
    Filter,
    GetPetNotFoundError,
    NewPet,
    Pet,
    ServerError,
    Species,
    Tag,
    Upload,
    make_app,
)

pytestmark = pytest.mark.functional


def test_sync_client_end_to_end(live_server: LiveServer, live_impl: FakePets) -> None:
    with H.SyncClient(
        live_server.url,
        security_schemes=SECURITY_SCHEMES,
        credentials={"bearer": "tok"},
        user_agent="e2e",
        retry=H.RetryPolicy(base_delay=0.001),
    ) as client:
        pet = client.call(
            GET_PET,
            {
                "pet-id": 1,
                "tags": ["a b", "c,d", "é/&"],
                "filter": Filter(color="red & blue", minAge=2),
                "X-Request-Id": "rid",
                "session": "s; v=1",
            },
        )
        assert isinstance(pet, Pet) and pet.name == "Rex" and pet.tags == [Tag(name="good")]
        kwargs = live_impl.calls[-1][1]
        assert kwargs["tags"] == ["a b", "c,d", "é/&"]
        assert kwargs["filter_"] == Filter(color="red & blue", minAge=2)
        assert kwargs["x_request_id"] == "rid"
        assert kwargs["session"] == "s; v=1"
        assert client.last_response is not None
        assert client.last_response.status_code == 200

        with pytest.raises(GetPetNotFoundError) as info:
            client.call(GET_PET, {"pet-id": 42})
        assert info.value.body == Error(code=404, message="pet 42 not found")
        calls = len(live_impl.calls)
        with pytest.raises(ServerError) as info2:
            client.call(GET_PET, {"pet-id": 500})
        assert info2.value.status_code == 503
        assert len(live_impl.calls) == calls + 3  # a GET: retried, 3 attempts in all

        created = client.call(CREATE_PET, {}, NewPet(name="Kit", species=Species.CAT))
        assert created.name == "Kit" and created.species is Species.CAT
        with pytest.raises(H.ApiError) as info3:
            client.call(CREATE_PET, {}, {"name": "invalid"})
        assert info3.value.status_code == 500

        pets = client.call(LIST_PETS, {"species": [Species.CAT], "ids": [2, created.pet_id]})
        assert sorted(p.pet_id for p in pets) == sorted({2, created.pet_id})
        with pytest.raises(DefaultError):
            client.call(LIST_PETS, {"limit": 0})

        with pytest.warns(DeprecationWarning):
            assert client.call(DELETE_PET, {"petId": created.pet_id}) is None
        assert created.pet_id not in live_impl.pets

        assert (
            client.call(PUT_RAW, {"key": ["x/y", "z;w"]}, io.BytesIO(b"BYTES")) == b"x/y|z;w:BYTES"
        )
        assert client.call(ECHO_TEXT, {}, "shout") == "SHOUT"
        form = client.call(SUBMIT_FORM, {}, NewPet(name="F", tags=[Tag(name="t", color="c")]))
        assert form == NewPet(name="F", tags=[Tag(name="t", color="c")])

        up = client.call(
            UPLOAD,
            {"name": "dir/file name"},
            Upload(
                file=("a.txt", b"hello", "text/plain"),
                attachments=[b"one", ("two.bin", io.BytesIO(b"two"), "application/x-two")],
                meta=Filter(minAge=5),
                labels=["l1", "l 2"],
                count=3,
            ),
        )
        assert up == {
            "name": "dir/file name",
            "file": ["a.txt", "hello", "text/plain"],
            "attachments": [
                ["attachments", "one", "application/octet-stream"],
                ["two.bin", "two", "application/x-two"],
            ],
            "meta": {"minAge": 5},
            "labels": ["l1", "l 2"],
            "count": 3,
        }
        with pytest.raises(H.UnexpectedStatusError) as info4:
            client.call(UNIMPLEMENTED)
        assert info4.value.status_code == 501
        assert info4.value.body == {"detail": "operation unimplemented is not implemented"}


def test_async_client_end_to_end(live_server: LiveServer, live_impl: FakePets) -> None:
    async def main() -> None:
        async with H.AsyncClient(live_server.url, timeout=5) as client:

            async def fetch(pet_id: int) -> tuple[Pet | None, int]:
                try:
                    pet = await client.call(GET_PET, {"pet-id": pet_id, "tags": [str(pet_id)]})
                except GetPetNotFoundError:
                    pet = None
                resp = client.last_response
                assert resp is not None
                return pet, int(resp.request.url.path.rsplit("/", 1)[1])

            results = await asyncio.gather(*(fetch(i) for i in (1, 2, 99, 1)))
            assert [r[1] for r in results] == [1, 2, 99, 1]  # each task saw its own response
            assert results[2][0] is None
            assert results[0][0] is not None and results[0][0].name == "Rex"
            echoed = await client.call(ECHO_TEXT, {}, "async")
            assert echoed == "ASYNC"
            up = await client.call(UPLOAD, {"name": "n"}, {"file": b"data", "count": 1})
            assert up["file"] == ["file", "data", "application/octet-stream"]

    asyncio.run(main())


def test_base_url_with_path_prefix() -> None:
    with LiveServer(make_app(), prefix="/api/v1") as server, H.SyncClient(server.url) as client:
        assert server.url.endswith("/api/v1")
        assert client.call(GET_PET, {"pet-id": 2}).name == "Tom"
        assert client.last_response is not None
        assert client.last_response.request.url.path == "/api/v1/pets/2"
        assert client.call(UPLOAD, {"name": "a/b"}, {"file": b"x"})["name"] == "a/b"
