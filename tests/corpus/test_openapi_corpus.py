"""Corpus sweep: every OpenAPI spec in the shared corpus, all three HTTP targets.

For each spec: generate, import the package and build every model and endpoint
adapter (in a subprocess), then run ``mypy --strict`` and ``ruff check`` on it.

Two specs are invalid and must be rejected with located diagnostics:
``petstore-3.1.yaml`` (an unquoted ``$ref: #/...`` is a YAML comment, so the ref is
null) and ``petstore-3.1-quoted.yaml`` (its ``$vocabulary`` is a string where JSON
Schema 2020-12 requires an object, and ``#/components/schemas/petdetails`` names a
key that does not exist: the schema is ``PetDetails``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.corpus.conftest import corpus_files, require_corpus

from wiregen.diagnostics import Severity
from wiregen.emit import emit
from wiregen.pipeline import GenerateRequest, generate

pytestmark = pytest.mark.slow

SPECS = corpus_files("openapi", "*.json", "*.yaml")
KNOWN_BAD = {"petstore-3.1.yaml", "petstore-3.1-quoted.yaml"}
HERE = Path(__file__).parent


def _package(spec: Path) -> str:
    return "corpus_" + re.sub(r"\W", "_", spec.stem).lower()


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name not in KNOWN_BAD], ids=lambda p: p.name)
def test_corpus_spec_generates_imports_and_type_checks(spec: Path, tmp_path: Path) -> None:
    require_corpus()
    package = _package(spec)
    result = generate(GenerateRequest(spec=spec, package=package))
    errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, "\n".join(errors)
    emit(result.files, tmp_path)

    exercised = _run(sys.executable, str(HERE / "exercise_package.py"), str(tmp_path), package, cwd=tmp_path)
    assert exercised.returncode == 0, exercised.stderr[-4000:]

    mypy = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), package, cwd=tmp_path)
    assert mypy.returncode == 0, mypy.stdout[-4000:]

    ruff = _run(sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", package, cwd=tmp_path)
    assert ruff.returncode == 0, ruff.stdout[-4000:]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.name in KNOWN_BAD], ids=lambda p: p.name)
def test_known_bad_corpus_spec_is_rejected_with_a_location(spec: Path) -> None:
    require_corpus()
    result = generate(GenerateRequest(spec=spec, package=_package(spec)))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors and not result.files
    assert all(d.span is not None and d.span.line > 0 for d in errors), [d.format() for d in errors]


def test_corpus_is_present_under_ci() -> None:
    require_corpus()
    assert SPECS, "no OpenAPI specs found in the corpus"
