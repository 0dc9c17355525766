"""wiregen runtime: transport, codecs and model base shared by generated packages.

This package is copied verbatim into every generated package as ``_runtime``.
It uses relative imports only and never imports ``wiregen``.  Importing it (or
``_runtime.http``) is cheap: FastAPI is imported only by ``server`` and
pydantic ``TypeAdapter`` objects are built lazily, on first use of a spec.
"""
