"""Bad input: a located diagnostic with a stable code, exit 1, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wiregen.cli import cli

VALID_HEAD = """\
openapi: 3.0.3
info: {title: Bad, version: 1.0.0}
"""

CASES = {
    # The parser notices the unclosed sequence at end of input (its hint names line 5).
    "invalid_yaml": (VALID_HEAD + "paths:\n  /a:\n    get: [unclosed\n", "WG101", 6),
    "duplicate_key": (VALID_HEAD + "paths: {}\npaths: {}\n", "WG102", 4),
    "schema_violation": (VALID_HEAD + "paths:\n  /a:\n    get:\n      responses: 12\n", "WG201", 6),
    "broken_ref": (
        VALID_HEAD
        + "paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        + "          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Nope'}\n",
        "WG110",
        11,
    ),
    "unknown_version": ("openapi: 4.0.0\ninfo: {title: Bad, version: 1.0.0}\npaths: {}\n", "WG202", 1),
    "swagger_2": ("swagger: '2.0'\ninfo: {title: Bad, version: 1.0.0}\npaths: {}\n", "WG202", 0),
    "remote_ref": (
        VALID_HEAD + "paths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: 'https://example.invalid/r.yaml'}\n",
        "WG111",
        7,
    ),
    "ref_escaping_root": (
        VALID_HEAD + "paths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '../../../etc/passwd'}\n",
        "WG112",
        7,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_a_located_diagnostic_and_writes_nothing(case: str, tmp_path: Path) -> None:
    text, code, line = CASES[case]
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    spec = project / "bad.yaml"
    spec.write_text(text)
    out = project / "out"
    out.mkdir()
    (out / "keep.txt").write_text("user file")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    result = CliRunner().invoke(cli, ["generate", str(spec), "-o", str(out), "--package", "bad"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"[{code}]" in result.output, result.output
    if line:
        assert f"bad.yaml:{line}:" in result.output, result.output
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "keep.txt").read_text() == "user file"


def test_invalid_package_name_is_a_usage_error(tmp_path: Path) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(VALID_HEAD + "paths: {}\n")
    result = CliRunner().invoke(cli, ["generate", str(spec), "-o", str(tmp_path / "out"), "--package", "../evil"])
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil").exists()


def test_missing_spec_file_is_an_error_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["generate", str(tmp_path / "absent.yaml"), "-o", str(tmp_path / "o"), "--package", "p"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
