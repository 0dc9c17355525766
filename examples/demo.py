"""The main job, end to end: generate from the bundled examples, then run what came out.

1. ``wiregen generate`` runs every job of this repository's ``[tool.wiregen]``,
   writing into ``examples/generated/`` (a no-op when nothing changed).
2. The generated petstore server is served by uvicorn on 127.0.0.1 with a small
   in-memory implementation, and the generated sync and async clients talk to it.
3. The generated gRPC servicer (acme.catalog.v1) is served by ``grpc.aio`` on
   127.0.0.1, and the generated async client calls it, a server stream included.
4. The generated AsyncAPI app (orders) runs on its in-memory broker: a typed
   request/reply round trip through a typed handler.
5. ``wiregen diff`` compares the petstore spec with an edited copy and shows the
   breaking change it finds and the version bump it would take.

Run it from the repository root: ``python examples/demo.py``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[1]


def generate() -> None:
    subprocess.run([sys.executable, "-m", "wiregen", "generate"], cwd=ROOT, check=True)


def serve(app: Any) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    generate()
    sys.path.insert(0, str(ROOT / "examples" / "generated" / "petstore"))
    from petstore import __api_version__, models
    from petstore.client import AsyncClient, Client, GetPetNotFoundError
    from petstore.server import PetsService, ServiceError, create_app

    class InMemoryPets(PetsService):
        def __init__(self) -> None:
            self.pets: dict[int, models.Pet] = {}

        async def list_pets(self, *, limit: int | None = None, cursor: str | None = None) -> list[models.Pet]:
            return list(self.pets.values())[: limit or None]

        async def create_pet(self, *, body: models.NewPet) -> models.Pet:
            pet = models.Pet(**body.model_dump(exclude_unset=True), id=len(self.pets) + 1)
            self.pets[pet.id or 0] = pet
            return pet

        async def get_pet(self, *, pet_id: int) -> models.Pet:
            if pet_id not in self.pets:
                raise ServiceError(404, body={"code": 404, "message": f"no pet {pet_id}"})
            return self.pets[pet_id]

    server, url = serve(create_app(pets=InMemoryPets()))
    print(f"petstore API {__api_version__} served at {url}")
    with Client(url, api_key="demo-key") as client:
        rex = client.pets.create_pet(body=models.NewPet(name="Rex", species=models.NewPetSpecies.DOG))
        print("created:", rex.model_dump(by_alias=True, mode="json"))
        print("fetched:", client.pets.get_pet(pet_id=rex.id or 0).name)
        try:
            client.pets.get_pet(pet_id=999)
        except GetPetNotFoundError as error:
            print("typed error:", error.status_code, error.body.message)

    async def with_async_client() -> None:
        async with AsyncClient(url, api_key="demo-key") as client:
            pets = await asyncio.gather(*(client.pets.list_pets(limit=10) for _ in range(3)))
            print("async list (3 concurrent calls):", [len(p) for p in pets])

    asyncio.run(with_async_client())
    server.should_exit = True
    asyncio.run(grpc_demo())
    asyncio.run(messaging_demo())
    diff_demo()
    print("demo finished")


async def grpc_demo() -> None:
    import grpc

    sys.path.insert(0, str(ROOT / "examples" / "generated" / "acme_shop"))
    from acme_shop.acme.catalog import v1 as catalog

    products = {
        "p1": catalog.Product(id="p1", name="Teapot", tags=["kitchen"]),
        "p2": catalog.Product(id="p2", name="Kettle", tags=["kitchen"]),
    }

    class Catalog(catalog.CatalogServiceServicer):
        async def get_product(self, request: Any, context: Any) -> Any:
            if request.id not in products:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no product {request.id}")
            return products[request.id]

        async def list_products(self, request: Any, context: Any) -> Any:
            for product in products.values():
                yield product

    server = grpc.aio.server()
    Catalog().add_to_server(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with catalog.AsyncCatalogServiceClient(f"127.0.0.1:{port}", timeout=5) as client:
            product = await client.get_product(catalog.GetProductRequest(id="p1"))
            print(f"gRPC {catalog.__proto_package__} on 127.0.0.1:{port}: get_product ->", product.name)
            names = [p.name async for p in client.list_products(catalog.ListProductsRequest())]
            print("gRPC server stream:", names)
    finally:
        await server.stop(None)


async def messaging_demo() -> None:
    sys.path.insert(0, str(ROOT / "examples" / "generated" / "orders"))
    from orders import models
    from orders.app import create_app

    app = create_app()  # no broker URL: the in-memory broker

    @app.handle_place_order
    async def place(payload: models.Order, *, region: str, headers: Any) -> models.OrderPlacedPayload:
        return models.OrderPlacedPayload(order_id=f"{region}-{payload.sku}-{payload.quantity}", status="accepted")

    async with app:
        reply = await app.place_order(
            models.Order(sku="tea", quantity=2), region="eu", headers=models.PlaceOrderHeaders(tenant="acme")
        )
    print("messaging request/reply (in memory):", reply.model_dump(mode="json"))


def diff_demo() -> None:
    import tempfile

    spec = ROOT / "examples" / "openapi" / "petstore.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        edited = Path(tmp) / "petstore-next.yaml"
        # The next release drops the `limit` parameter of listPets without a new major version.
        text = spec.read_text(encoding="utf-8")
        start = text.index("        - name: limit")
        end = text.index("        - name:", start + 1)
        edited.write_text(text[:start] + text[end:], encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "wiregen", "diff", str(spec.relative_to(ROOT)), str(edited)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    print(f"wiregen diff (exit {done.returncode}):")
    for line in done.stdout.splitlines():
        if not line.startswith("    "):
            print("  " + line.replace(tmp, "<tmp>"))


if __name__ == "__main__":
    main()
