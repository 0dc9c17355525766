"""Where the shared corpus lives; the sweep needs it and says so when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("WIREGEN_CORPUS", REPO.parent / "shared" / "corpus"))


def corpus_files(kind: str, *patterns: str) -> list[Path]:
    base = CORPUS / kind
    return sorted(p for pattern in patterns for p in base.glob(pattern)) if base.is_dir() else []


def require_corpus() -> None:
    if CORPUS.is_dir():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the shared corpus is missing at {CORPUS}; CI must have it")
    pytest.skip(f"the shared corpus is not at {CORPUS} (set WIREGEN_CORPUS to run the sweep)")
