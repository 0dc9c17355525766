"""Shared fixtures: the example AsyncAPI specs generated (messaging target) and imported."""

from __future__ import annotations

import importlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from wiregen.pipeline import GenerateRequest, Target, generate

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "asyncapi"


def write_package(spec: Path, out: Path, package: str) -> dict[str, str]:
    result = generate(GenerateRequest(spec=spec, package=package, targets=(Target.MESSAGING,)))
    assert result.ok, [str(d) for d in result.diagnostics]
    for name, text in result.files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return dict(result.files)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("messaging")
    write_package(EXAMPLES / "streetlights.yaml", out, "wg_streetlights")
    write_package(EXAMPLES / "orders.yaml", out, "wg_orders")
    sys.path.insert(0, str(out))
    try:
        yield out
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="session")
def streetlights(generated: Path) -> ModuleType:
    importlib.import_module("wg_streetlights.models")
    importlib.import_module("wg_streetlights.app")
    return importlib.import_module("wg_streetlights")


@pytest.fixture(scope="session")
def orders(generated: Path) -> ModuleType:
    importlib.import_module("wg_orders.models")
    importlib.import_module("wg_orders.app")
    return importlib.import_module("wg_orders")


def broker_available(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def require_broker(name: str, port: int) -> None:
    """Skip when the broker is down; under CI=true a missing broker is a failure."""
    if broker_available(port):
        return
    message = f"{name} is not reachable on 127.0.0.1:{port}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: brokers are required)")
    pytest.skip(message)
