"""The proto example's committed output (examples/generated/acme_shop) is what wiregen makes,
byte for byte, whatever the hash seed; ``wiregen check`` in tests/golden covers staleness."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from tests.grpc.support import EXAMPLE_SPEC, REPO

_DUMP = """
import hashlib, json, sys
from pathlib import Path
from wiregen.pipeline import GenerateRequest, Target, generate
result = generate(GenerateRequest(spec=Path(sys.argv[1]), package="acme_shop", targets=(Target.GRPC,),
                                  includes=(Path(sys.argv[2]),), spec_display=sys.argv[3]))
print(json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in result.files.items()}, sort_keys=True))
"""
GOLDEN = REPO / "examples" / "generated" / "acme_shop"


def test_output_is_byte_identical_across_hash_seeds_and_matches_the_golden_tree() -> None:
    shown = EXAMPLE_SPEC.relative_to(REPO).as_posix()
    digests = []
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO / "generator")}
        out = subprocess.run(
            [sys.executable, "-c", _DUMP, str(EXAMPLE_SPEC), str(REPO / "examples" / "proto"), shown],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.append(json.loads(out.stdout))
    assert digests[0] and digests[0] == digests[1] == digests[2]
    committed = {
        path.relative_to(GOLDEN).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in GOLDEN.rglob("*")
        if path.is_file() and path.name != ".wiregen-manifest.json"
    }
    assert committed == digests[0]


def test_the_committed_example_runs_end_to_end() -> None:
    """examples/proto/demo.py: the committed package, served and called for real."""
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "proto" / "demo.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "states ['PENDING', 'PAID', 'SHIPPED']" in done.stdout
