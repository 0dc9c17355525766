"""The main job, end to end: generate from the bundled examples, then run what came out.

1. ``wiregen generate`` runs every job of this repository's ``[tool.wiregen]``,
   writing into ``examples/generated/`` (a no-op when nothing changed).
2. The generated petstore server is served by uvicorn on 127.0.0.1 with a small
   in-memory implementation, and the generated sync and async clients talk to it.

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
    print("demo finished")


if __name__ == "__main__":
    main()
