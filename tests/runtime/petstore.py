"""A tiny hand-written "petstore" endpoint table (what ``_endpoints.py`` would hold),
its models, and a fake implementation (what a generated service subclass would be)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, cast

from pydantic import ConfigDict, Field

from wiregen.runtime import http as H
from wiregen.runtime.files import Binary
from wiregen.runtime.model import WireModel
from wiregen.runtime.server import NotImplementedOperation, ServiceError, build_app


class Species(StrEnum):
    DOG = "dog"
    CAT = "cat"


class Tag(WireModel):
    name: str
    color: str | None = None


class Pet(WireModel):
    model_config = ConfigDict(extra="allow")
    pet_id: int = Field(alias="petId")
    name: str
    species: Species | None = None
    tags: list[Tag] | None = None
    born: date | None = None


class NewPet(WireModel):
    name: str
    species: Species | None = None
    tags: list[Tag] | None = None


class Filter(WireModel):
    color: str | None = None
    min_age: int | None = Field(default=None, alias="minAge")


class Error(WireModel):
    code: int
    message: str


class Upload(WireModel):
    file: Binary
    attachments: list[Binary] | None = None
    meta: Filter | None = None
    labels: list[str] | None = None
    count: int | None = None


class GetPetNotFoundError(H.ApiError):
    body: Error


class ServerError(H.ApiError):
    pass


class DefaultError(H.ApiError):
    pass


SECURITY_SCHEMES = (
    H.SecurityScheme(name="bearer", py_name="bearer", kind="http", scheme="bearer"),
    H.SecurityScheme(name="basic", py_name="basic", kind="http", scheme="basic"),
    H.SecurityScheme(
        name="api_key", py_name="api_key", kind="apiKey", location="header", param_name="X-API-Key"
    ),
    H.SecurityScheme(
        name="query_key", py_name="query_key", kind="apiKey", location="query", param_name="key"
    ),
    H.SecurityScheme(
        name="session_cookie",
        py_name="session_cookie",
        kind="apiKey",
        location="cookie",
        param_name="SESSION",
    ),
    H.SecurityScheme(name="oauth", py_name="oauth", kind="oauth2"),
)

GET_PET = H.Endpoint(
    name="get_pet",
    method="GET",
    path="/pets/{pet-id}",
    params=(
        H.Param(name="pet-id", py_name="pet_id", location="path", required=True, type=lambda: int),
        H.Param(name="tags", py_name="tags", location="query", type=lambda: list[str]),
        H.Param(
            name="filter",
            py_name="filter_",
            location="query",
            style="deepObject",
            explode=True,
            type=lambda: Filter,
        ),
        H.Param(name="X-Request-Id", py_name="x_request_id", location="header", type=lambda: str),
        H.Param(name="session", py_name="session", location="cookie", type=lambda: str),
    ),
    responses=(
        H.ResponseSpec(status="200", kind="json", media_type="application/json", type=lambda: Pet),
        H.ResponseSpec(
            status="404",
            kind="json",
            media_type="application/json",
            type=lambda: Error,
            error=lambda: GetPetNotFoundError,
        ),
        H.ResponseSpec(
            status="5XX",
            kind="json",
            media_type="application/json",
            type=lambda: Error,
            error=lambda: ServerError,
        ),
    ),
    security=(("bearer",), ("api_key", "session_cookie"), ()),
)

LIST_PETS = H.Endpoint(
    name="list_pets",
    method="GET",
    path="/pets",
    params=(
        H.Param(name="limit", py_name="limit", location="query", type=lambda: int),
        H.Param(name="species", py_name="species", location="query", type=lambda: list[Species]),
        H.Param(
            name="ids",
            py_name="ids",
            location="query",
            style="pipeDelimited",
            explode=False,
            type=lambda: list[int],
        ),
    ),
    responses=(
        H.ResponseSpec(
            status="200", kind="json", media_type="application/json", type=lambda: list[Pet]
        ),
        H.ResponseSpec(
            status="default",
            kind="json",
            media_type="application/json",
            type=lambda: Error,
            error=lambda: DefaultError,
        ),
    ),
)

CREATE_PET = H.Endpoint(
    name="create_pet",
    method="POST",
    path="/pets",
    body=H.Body(media_type="application/json", kind="json", required=True, type=lambda: NewPet),
    responses=(
        H.ResponseSpec(status="201", kind="json", media_type="application/json", type=lambda: Pet),
        H.ResponseSpec(
            status="4XX",
            kind="json",
            media_type="application/json",
            type=lambda: Error,
            error=lambda: DefaultError,
        ),
    ),
    security=(("bearer",),),
)

DELETE_PET = H.Endpoint(
    name="delete_pet",
    method="DELETE",
    path="/pets/{petId}",
    params=(
        H.Param(name="petId", py_name="pet_id", location="path", required=True, type=lambda: int),
    ),
    responses=(H.ResponseSpec(status="204", kind="empty"),),
    deprecated=True,
)

UPLOAD = H.Endpoint(
    name="upload",
    method="POST",
    path="/files/{name}",
    params=(
        H.Param(name="name", py_name="name", location="path", required=True, type=lambda: str),
    ),
    body=H.Body(media_type="multipart/form-data", kind="multipart", type=lambda: Upload),
    responses=(
        H.ResponseSpec(
            status="200", kind="json", media_type="application/json", type=lambda: dict[str, Any]
        ),
    ),
)

PUT_RAW = H.Endpoint(
    name="put_raw",
    method="PUT",
    path="/raw/{key}",
    params=(
        H.Param(
            name="key",
            py_name="key",
            location="path",
            style="matrix",
            explode=True,
            required=True,
            type=lambda: list[str],
        ),
    ),
    body=H.Body(media_type="application/octet-stream", kind="binary", type=lambda: bytes),
    responses=(
        H.ResponseSpec(
            status="200", kind="binary", media_type="application/octet-stream", type=lambda: bytes
        ),
    ),
)

ECHO_TEXT = H.Endpoint(
    name="echo_text",
    method="POST",
    path="/echo",
    body=H.Body(media_type="text/plain", kind="text", type=lambda: str),
    responses=(
        H.ResponseSpec(status="200", kind="text", media_type="text/plain", type=lambda: str),
    ),
)

SUBMIT_FORM = H.Endpoint(
    name="submit_form",
    method="POST",
    path="/form",
    body=H.Body(media_type="application/x-www-form-urlencoded", kind="form", type=lambda: NewPet),
    responses=(
        H.ResponseSpec(
            status="200", kind="json", media_type="application/json", type=lambda: NewPet
        ),
    ),
)

UNIMPLEMENTED = H.Endpoint(
    name="unimplemented",
    method="GET",
    path="/nothing",
    responses=(H.ResponseSpec(status="200", kind="json", media_type="application/json"),),
)

ENDPOINTS = (
    GET_PET,
    LIST_PETS,
    CREATE_PET,
    DELETE_PET,
    UPLOAD,
    PUT_RAW,
    ECHO_TEXT,
    SUBMIT_FORM,
    UNIMPLEMENTED,
)


class FakePets:
    """The implementation the generated service class would be subclassed into."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pets: dict[int, Pet] = {
            1: Pet(petId=1, name="Rex", species=Species.DOG, tags=[Tag(name="good")]),
            2: Pet(petId=2, name="Tom", species=Species.CAT),
        }

    async def get_pet(
        self,
        *,
        pet_id: int,
        tags: list[str] | None = None,
        filter_: Filter | None = None,
        x_request_id: str | None = None,
        session: str | None = None,
    ) -> Pet:
        self.calls.append(
            (
                "get_pet",
                {
                    "pet_id": pet_id,
                    "tags": tags,
                    "filter_": filter_,
                    "x_request_id": x_request_id,
                    "session": session,
                },
            )
        )
        if pet_id == 500:
            raise ServiceError(503, Error(code=503, message="try later"))
        if pet_id not in self.pets:
            raise ServiceError(404, {"code": 404, "message": f"pet {pet_id} not found"})
        return self.pets[pet_id]

    async def list_pets(
        self,
        *,
        limit: int | None = None,
        species: list[Species] | None = None,
        ids: list[int] | None = None,
    ) -> list[Pet]:
        self.calls.append(("list_pets", {"limit": limit, "species": species, "ids": ids}))
        if limit == 0:
            raise ServiceError(400, {"code": 400, "message": "limit must be positive"})
        pets = list(self.pets.values())
        if species:
            pets = [p for p in pets if p.species in species]
        if ids:
            pets = [p for p in pets if p.pet_id in ids]
        return pets[: limit or None]

    async def create_pet(self, *, body: NewPet) -> Pet:
        self.calls.append(("create_pet", {"body": body}))
        if body.name == "invalid":
            raise ServiceError(422, {"not": "an Error"})
        pet = Pet(petId=len(self.pets) + 1, name=body.name, species=body.species, tags=body.tags)
        self.pets[pet.pet_id] = pet
        return pet

    def delete_pet(self, *, pet_id: int) -> None:  # a sync method runs in the threadpool
        self.calls.append(("delete_pet", {"pet_id": pet_id}))
        self.pets.pop(pet_id, None)

    async def upload(self, *, name: str, body: Upload) -> dict[str, Any]:
        self.calls.append(("upload", {"name": name, "body": body}))
        # the server hands file parts over as (filename, bytes, content type)
        filename, content, ctype = cast("tuple[str, bytes, str]", body.file)
        attachments = cast("list[tuple[str, bytes, str]]", body.attachments or [])
        return {
            "name": name,
            "file": [filename, content.decode(), ctype],
            "attachments": [[a[0], a[1].decode(), a[2]] for a in attachments],
            "meta": body.meta,
            "labels": body.labels,
            "count": body.count,
        }

    async def put_raw(self, *, key: list[str], body: bytes | None) -> bytes:
        self.calls.append(("put_raw", {"key": key, "body": body}))
        return "|".join(key).encode() + b":" + (body or b"")

    async def echo_text(self, *, body: str | None) -> str:
        return (body or "").upper()

    async def submit_form(self, *, body: NewPet) -> NewPet:
        self.calls.append(("submit_form", {"body": body}))
        return body

    async def unimplemented(self) -> Any:
        raise NotImplementedOperation


def make_app(impl: object | None = None) -> Any:
    impl = impl if impl is not None else FakePets()
    return build_app(
        title="Pets",
        version="1.2.0",
        routes=[(ep, impl, ep.name) for ep in ENDPOINTS],
        openapi_document=lambda: {
            "openapi": "3.1.0",
            "info": {"title": "Pets", "version": "1.2.0"},
        },
    )
