"""Import a generated package and make pydantic build everything it defers.

Run as ``python exercise_package.py OUT_DIR PACKAGE`` (a separate process, so large
packages do not accumulate in the test process). Prints a one-line summary; exits
non-zero on the first failure.
"""

from __future__ import annotations

import importlib
import sys

import pydantic


def main(out_dir: str, package: str) -> None:
    sys.path.insert(0, out_dir)
    models = importlib.import_module(f"{package}.models")
    endpoints = importlib.import_module(f"{package}._endpoints")
    server = importlib.import_module(f"{package}.server")
    importlib.import_module(f"{package}.client")
    built = 0
    for name in models.__all__:
        cls = getattr(models, name)
        if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel):
            cls.model_rebuild(force=True)
            built += 1
    adapters = 0
    for value in vars(endpoints).values():
        if type(value).__name__ != "Endpoint":
            continue
        specs = [*value.params, *value.responses, *([value.body] if value.body else [])]
        for spec in specs:
            if spec.type is not None:
                pydantic.TypeAdapter(spec.type())
                adapters += 1
    app = server.create_app()
    print(f"{package}: {built} models built, {adapters} adapters, {len(app.routes)} routes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
