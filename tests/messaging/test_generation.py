"""The frontend and the messaging target: IR mapping, diagnostics, mypy --strict, ruff, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wiregen.pipeline import GenerateRequest, Target, generate

from .conftest import EXAMPLES, write_package


def ir_of(spec: Path) -> dict[str, object]:
    result = generate(GenerateRequest(spec=spec, package="p", targets=(Target.IR,)))
    assert result.ok, [str(d) for d in result.diagnostics]
    loaded: dict[str, object] = json.loads(result.files["ir.json"])
    return loaded


def test_asyncapi_2_operations_are_mapped_to_the_applications_view() -> None:
    ir = ir_of(EXAMPLES / "streetlights.yaml")
    ops = {o["id"]: o for o in ir["message_operations"]}  # type: ignore[attr-defined, index]
    # 2.x: `subscribe` = the application sends, `publish` = it receives
    assert ops["publishLightMeasurement"]["action"] == "send"
    assert ops["receiveLightMeasurement"]["action"] == "receive"
    assert ops["receiveLightMeasurement"]["bindings"] == '{"amqp":{"ack":true}}'
    channel = ir["channels"][0]  # type: ignore[index]
    assert [p["name"] for p in channel["parameters"]] == ["streetlightId"]
    message = channel["messages"][0]
    assert message["correlation_id"] == "$message.header#/correlation-id"
    assert message["headers"] is not None  # from the trait
    assert ir["source_format"] == "asyncapi-2.6"
    assert ir["servers"][0]["url"] == "amqp://localhost:5672"  # type: ignore[index]


def test_asyncapi_3_reply_and_traits() -> None:
    ir = ir_of(EXAMPLES / "orders.yaml")
    ops = {o["id"]: o for o in ir["message_operations"]}  # type: ignore[attr-defined, index]
    assert ops["placeOrder"]["action"] == "send" and ops["placeOrder"]["has_reply"] is True
    assert ops["placeOrder"]["reply_messages"] == ["OrderPlaced"]
    assert ops["onOrderEvent"]["doc"] == "Order lifecycle events."  # from the operation trait
    assert ir["source_format"] == "asyncapi-3.0"


def test_invalid_document_gets_located_diagnostics(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("asyncapi: 3.0.0\ninfo:\n  title: x\n  version: 1.0.0\noperations:\n  a:\n    action: shout\n")
    result = generate(GenerateRequest(spec=spec, package="p", targets=(Target.MESSAGING,)))
    assert not result.ok
    found = [d for d in result.diagnostics if d.code == "WG201"]
    assert found and found[0].span is not None and found[0].span.pointer.startswith("/operations/a")
    assert found[0].span.line is not None and found[0].span.line > 1


@pytest.mark.parametrize("version", ["1.2.0", "2.5.0", 3])
def test_unsupported_versions_are_reported(tmp_path: Path, version: object) -> None:
    spec = tmp_path / "old.yaml"
    spec.write_text(f"asyncapi: {version}\ninfo:\n  title: x\n  version: 1.0.0\n")
    result = generate(GenerateRequest(spec=spec, package="p", targets=(Target.MESSAGING,)))
    assert [d.code for d in result.diagnostics] == ["WG202"]


def test_output_is_deterministic() -> None:
    for name in ("streetlights", "orders"):
        first = generate(GenerateRequest(spec=EXAMPLES / f"{name}.yaml", package="p", targets=(Target.MESSAGING,)))
        second = generate(GenerateRequest(spec=EXAMPLES / f"{name}.yaml", package="p", targets=(Target.MESSAGING,)))
        assert first.files == second.files


def test_other_targets_do_not_get_the_messaging_runtime() -> None:
    spec = Path(__file__).resolve().parents[2] / "examples" / "openapi" / "petstore.yaml"
    result = generate(GenerateRequest(spec=spec, package="p", targets=(Target.MODELS,)))
    assert result.ok
    assert not [n for n in result.files if "messaging_" in n]


def test_generated_code_passes_mypy_strict_and_ruff(tmp_path: Path) -> None:
    for name in ("streetlights", "orders"):
        write_package(EXAMPLES / f"{name}.yaml", tmp_path, f"gen_{name}")
    packages = ["gen_streetlights", "gen_orders"]
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), *packages],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", *packages],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_typed_handlers_are_checked_by_mypy(tmp_path: Path) -> None:
    write_package(EXAMPLES / "orders.yaml", tmp_path, "gen_orders")
    (tmp_path / "use.py").write_text(
        "from gen_orders import models\n"
        "from gen_orders.app import create_app\n"
        "app = create_app()\n"
        "@app.handle_place_order\n"
        "async def ok(payload: models.Order, *, region: str, headers: dict[str, str]) -> models.OrderPlacedPayload:\n"
        "    return models.OrderPlacedPayload(order_id=payload.sku, status=models.OrderPlacedPayloadStatus.ACCEPTED)\n"
        "@app.handle_place_order\n"
        "async def bad(payload: models.OrderPlacedPayload, *, region: str, headers: dict[str, str]) -> None:\n"
        "    return None\n"
        "async def send() -> models.OrderPlacedPayload:\n"
        "    return await app.place_order(models.Order(sku='a', quantity=1), region='eu')\n"
    )
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), "use.py"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    errors = [line for line in mypy.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "use.py:7:" in errors[0], mypy.stdout
