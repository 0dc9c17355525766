"""The committed output under ``examples/generated/`` is exactly what wiregen generates.

``wiregen check`` (the same command a user's CI runs) must find nothing stale, and
generating in fresh interpreters with different hash seeds must give identical bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from tests.support.generation import REPO

from wiregen.cli import cli

_DUMP = """
import hashlib, json, sys
from pathlib import Path
from wiregen.pipeline import GenerateRequest, generate
result = generate(GenerateRequest(spec=Path(sys.argv[1]), package="shop"))
print(json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in result.files.items()}, sort_keys=True))
"""


def test_committed_examples_are_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(cli, ["check", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0, f"examples/generated is stale; run `wiregen generate`:\n{result.output}"


def test_output_is_byte_identical_across_hash_seeds() -> None:
    spec = REPO / "examples" / "openapi" / "shop.yaml"
    digests = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO / "generator")}
        out = subprocess.run([sys.executable, "-c", _DUMP, str(spec)], env=env, cwd=REPO, capture_output=True, text=True, check=True)
        digests.append(json.loads(out.stdout))
    assert digests[0] and digests[0] == digests[1] == digests[2]
