"""The README's first command: examples/demo.py generates from every example and runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_main_job_exercises_every_kind_of_generated_package() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "demo.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "fetched: Rex" in out and "typed error: 404 no pet 999" in out  # REST
    assert "get_product -> Teapot" in out and "gRPC server stream: ['Teapot', 'Kettle']" in out  # gRPC
    assert "'order_id': 'eu-tea-2'" in out  # messaging request/reply
    assert "D301 parameter-removed" in out and "D703 major-bump-missing" in out  # diff
    assert out.rstrip().endswith("demo finished")
