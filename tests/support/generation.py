"""Generate a package into a directory and import it, as a user of wiregen would."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from wiregen.diagnostics import has_errors
from wiregen.emit import emit
from wiregen.pipeline import DEFAULT_TARGETS, GenerateRequest, Target, generate

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def generate_into(
    spec: Path, out: Path, package: str, targets: tuple[Target, ...] = DEFAULT_TARGETS
) -> Path:
    result = generate(GenerateRequest(spec=spec, package=package, targets=targets))
    problems = [d.format() for d in result.diagnostics if has_errors([d])]
    assert not problems, "\n".join(problems)
    emit(result.files, out)
    return out


def import_generated(out: Path, package: str, module: str) -> ModuleType:
    """Import ``package.module`` from ``out`` (added to sys.path once)."""
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    return importlib.import_module(f"{package}.{module}")


def write_spec(tmp: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path
