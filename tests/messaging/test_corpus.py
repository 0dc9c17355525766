"""Corpus sweep: every AsyncAPI document of the shared corpus generates, imports and
passes ``mypy --strict`` and ``ruff check --isolated``.

The corpus is ``$WIREGEN_CORPUS`` or ``<repo>/../shared/corpus``; its ``asyncapi/``
folder is swept. Without it the tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wiregen.pipeline import GenerateRequest, Target, generate

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("WIREGEN_CORPUS") or REPO.parent / "shared" / "corpus") / "asyncapi"
KNOWN_BAD = {
    # A $ref to '#/components/messages/UserSignedUp/...' where the messages are named
    # 'Json-UserSignedUp' / 'Avro-UserSignedUp': the document itself is broken.
    "realworld/streetlights-all-bindings-3.0.json": "WG110",
}


def is_document(path: Path) -> bool:
    """An AsyncAPI document (top-level ``asyncapi`` key), not a file of ``$ref`` targets.

    Decided on the parsed file: a long comment header (v2.6/websocket-gemini.yml) must
    not hide a document from the sweep."""
    if path.suffix not in (".yml", ".yaml", ".json"):
        return False
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(loaded, dict) and "asyncapi" in loaded


def _specs() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return [p.relative_to(CORPUS).as_posix() for p in sorted(CORPUS.rglob("*")) if is_document(p)]


SPECS = _specs()


def _need_corpus() -> None:
    if SPECS:
        return
    message = f"no AsyncAPI corpus at {CORPUS} (set WIREGEN_CORPUS)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _package(name: str) -> str:
    return "corpus_" + re.sub(r"\W", "_", name.rsplit(".", 1)[0]).lower()


def _generate(name: str, out: Path) -> list[str]:
    result = generate(
        GenerateRequest(
            spec=CORPUS / name, package=_package(name), targets=(Target.MESSAGING,), options={"ref_root": str(CORPUS)}
        )
    )
    for path, text in result.files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return [d.code for d in result.diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize("name", SPECS or ["(none)"])
def test_generates_and_imports(name: str, tmp_path: Path) -> None:
    _need_corpus()
    errors = _generate(name, tmp_path)
    if name in KNOWN_BAD:
        assert KNOWN_BAD[name] in errors
        return
    assert errors == []
    sys.path.insert(0, str(tmp_path))
    try:
        app = importlib.import_module(f"{_package(name)}.app")
        instance = app.create_app()
        assert instance.api_version
    finally:
        sys.path.remove(str(tmp_path))


def test_all_pass_mypy_strict_and_ruff(tmp_path: Path) -> None:
    _need_corpus()
    packages = [_package(n) for n in SPECS if n not in KNOWN_BAD and not _generate(n, tmp_path)]
    assert len(packages) == len([n for n in SPECS if n not in KNOWN_BAD])
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), *packages],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout[-5000:]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", *packages], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert ruff.returncode == 0, ruff.stdout[-5000:]


def test_documents_are_recognised_by_their_asyncapi_key(tmp_path: Path) -> None:
    header = "#\n" * 40 + "# a long comment header\n"
    (tmp_path / "doc.yml").write_text(header + "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\n")
    (tmp_path / "schemas.yaml").write_text("Thing:\n  type: object  # asyncapi\n")
    (tmp_path / "notes.txt").write_text("asyncapi: 2.6.0\n")
    assert is_document(tmp_path / "doc.yml")
    assert not is_document(tmp_path / "schemas.yaml")
    assert not is_document(tmp_path / "notes.txt")
