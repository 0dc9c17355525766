"""Import every module of a generated gRPC package and touch what it defines (run as a script).

Usage: ``python exercise_grpc_package.py OUT_DIR PACKAGE``. Every public module is
imported, every message class instantiated and serialised, every client built on
a channel that is never used and closed again, every servicer instantiated.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from pathlib import Path

from google.protobuf.message import Message


async def _open_and_close(client_class: type) -> None:
    client = client_class("127.0.0.1:9")  # grpc.aio channels belong to a running loop
    await client.close()


def main(out: Path, package: str) -> int:
    sys.path.insert(0, str(out))
    root = out / package.replace(".", "/")
    counts = {"modules": 0, "messages": 0, "clients": 0, "servicers": 0}
    for init in sorted(root.rglob("__init__.py")):
        parts = init.parent.relative_to(out).parts
        if any(p.startswith("_") for p in parts[1:]):
            continue
        module = importlib.import_module(".".join(parts))
        counts["modules"] += 1
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, Message):
                value.FromString(value().SerializeToString())
                counts["messages"] += 1
            elif inspect.isclass(value) and name.endswith("Servicer"):
                value()
                counts["servicers"] += 1
            elif inspect.isclass(value) and name.endswith("Client"):
                if name.startswith("Async"):
                    asyncio.run(_open_and_close(value))
                else:
                    value("127.0.0.1:9").close()
                counts["clients"] += 1
    print(counts)
    return 0 if counts["modules"] else 1


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), sys.argv[2]))
