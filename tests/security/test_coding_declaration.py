"""A spec whose file name reads as a PEP 263 encoding declaration.

Every generated file starts with a comment naming the spec. Named
``coding:utf-7 api.yaml``, the spec would turn that comment into an encoding
declaration: Python would decode the file as UTF-7 while wiregen's checks read it as
UTF-8, so text that is inert in one reading could be code in the other. The name
must stay visible but inert, and generation must succeed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.generation import EXAMPLES

_PEP263 = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)


def test_spec_named_like_an_encoding_declaration(tmp_path: Path) -> None:
    spec = tmp_path / "coding:utf-7 api.yaml"
    shutil.copyfile(EXAMPLES / "openapi" / "petstore.yaml", spec)
    done = subprocess.run(
        [sys.executable, "-m", "wiregen", "generate", spec.name, "-o", "out", "--package", "pets", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "out").rglob("*.py"))
    assert written
    for path in written:
        first_two = path.read_text(encoding="utf-8").splitlines()[:2]
        assert not any(_PEP263.match(line) for line in first_two), (path, first_two)
    header = (tmp_path / "out" / "pets" / "models.py").read_text(encoding="utf-8").splitlines()[0]
    assert "utf-7 api.yaml" in header  # still names the spec
