"""A gRPC-only package needs no HTTP stack: its copied runtime never imports httpx."""

from __future__ import annotations

from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "examples" / "generated" / "acme_shop" / "acme_shop" / "_runtime"


def test_grpc_runtime_does_not_import_httpx() -> None:
    modules = sorted(RUNTIME.glob("*.py"))
    assert modules, f"no runtime under {RUNTIME}"
    assert (RUNTIME / "resilience_errors.py").exists()
    offenders = [m.name for m in modules if "import httpx" in m.read_text(encoding="utf-8")]
    assert offenders == []
