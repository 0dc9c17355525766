"""Corpus sweep: every proto set of the shared corpus through the grpc target.

Per set (``corpus/proto/sets/*.txt``, include roots googleapis, wkt,
opentelemetry-proto, grpc-proto): generate, import every module and build every
message, client and servicer (in a subprocess), ``mypy --strict`` and ``ruff
check --isolated``. Sets run as separate tests, so ``-n 2`` spreads them over both
cores; the whole sweep takes well under a minute there.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.corpus.conftest import CORPUS, require_corpus
from tests.grpc.support import write_tree

from wiregen.diagnostics import Severity
from wiregen.pipeline import GenerateRequest, Target, generate

pytestmark = pytest.mark.slow

PROTO = CORPUS / "proto"
ROOTS = ("googleapis", "wkt", "opentelemetry-proto", "grpc-proto")
HERE = Path(__file__).parent
SETS = sorted(p.stem for p in (PROTO / "sets").glob("*.txt")) if (PROTO / "sets").is_dir() else []
# Files whose imports the corpus does not carry: they must fail with a located
# diagnostic; the rest of their set is swept without them.
UNRESOLVABLE = {
    "grpc/service_config/service_config.proto": "google/rpc/code.proto",
}


def _files(name: str) -> list[str]:
    return [line.strip() for line in (PROTO / "sets" / f"{name}.txt").read_text().splitlines() if line.strip()]


def _locate(file: str) -> Path | None:
    for root in ROOTS:
        if (PROTO / root / file).is_file():
            return PROTO / root / file
    return None


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("name", SETS)
def test_proto_set_generates_imports_and_type_checks(name: str, tmp_path: Path) -> None:
    require_corpus()
    found = {f: _locate(f) for f in _files(name) if f not in UNRESOLVABLE}
    absent = sorted(f for f, path in found.items() if path is None)
    if absent:
        pytest.skip(f"set {name}: {len(absent)} of its files are not in the corpus (e.g. {absent[0]})")
    specs = [path for path in found.values() if path is not None]
    package = "corpus_" + re.sub(r"\W", "_", name)
    result = generate(
        GenerateRequest(
            spec=specs[0],
            specs=tuple(specs[1:]),
            package=package,
            targets=(Target.GRPC,),
            includes=tuple(PROTO / root for root in ROOTS),
        )
    )
    errors = [d.format() for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors, "\n".join(errors[:20])
    write_tree(dict(result.files), tmp_path)

    exercised = _run(sys.executable, str(HERE / "exercise_grpc_package.py"), str(tmp_path), package, cwd=tmp_path)
    assert exercised.returncode == 0, exercised.stderr[-4000:]

    mypy = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), package, cwd=tmp_path)
    assert mypy.returncode == 0, mypy.stdout[-4000:]

    ruff = _run(sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", package, cwd=tmp_path)
    assert ruff.returncode == 0, ruff.stdout[-4000:]


@pytest.mark.parametrize("file", sorted(UNRESOLVABLE))
def test_files_with_imports_missing_from_the_corpus_fail_with_a_location(file: str) -> None:
    require_corpus()
    spec = _locate(file)
    assert spec is not None
    result = generate(
        GenerateRequest(spec=spec, package="p", targets=(Target.GRPC,), includes=tuple(PROTO / root for root in ROOTS))
    )
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors and not result.files
    missing = next(d for d in errors if d.span is not None and d.span.line and UNRESOLVABLE[file] in d.message)
    assert missing.code == "WG402"


def test_proto_corpus_is_present_under_ci() -> None:
    require_corpus()
    assert SETS, "no proto sets found in the corpus"
