"""Snapshots of what the CLI prints, in each --output-format, for real diagnostics.

Two scenarios over one project with two jobs, one spec with errors and one with
warnings whose output is committed:
- ``check``: the committed output was edited by hand (a stale file);
- ``generate --fail-on-change``: a `$ref`'d schema file changed (a regenerated file).

The expected output is in snapshots/<scenario>.<format>.txt; the temporary directory
and wiregen's version are normalised. After an intended change of output, rewrite the
snapshots with WIREGEN_UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiregen import __version__
from wiregen.cli import cli

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

BROKEN = """\
openapi: 3.1.0
info:
  title: Broken
  version: 1.0.0
paths:
  /items/{id}:
    get:
      operationId: getItem
      responses:
        "200":
          description: ok
  /other:
    get:
      operationId: getItem
      responses:
        "200":
          description: ok
"""
PETS = """\
openapi: 3.1.0
info: {title: Pets, version: 1.0.0}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: "schemas.yaml#/Pet"
"""
SCHEMAS = """\
Pet:
  type: object
  properties:
    name:
      type: string
    tag:
      type: string
      pattern: "\\\\p{L}+"
"""
CONFIG = """\
[[tool.wiregen.jobs]]
spec = "api/broken.yaml"
output = "gen/broken"
package = "broken"

[[tool.wiregen.jobs]]
spec = "api/pets.yaml"
output = "gen/pets"
package = "pets"
"""

SCENARIOS = {
    "check": ("check",),
    "generate": ("generate", "--fail-on-change"),
}


def make_project(root: Path) -> None:
    (root / "api").mkdir()
    (root / "api" / "broken.yaml").write_text(BROKEN)
    (root / "api" / "pets.yaml").write_text(PETS)
    (root / "api" / "schemas.yaml").write_text(SCHEMAS)
    (root / "pyproject.toml").write_text(CONFIG)


def normalise(text: str, root: Path) -> str:
    text = text.replace(str(root), "<project>").replace(__version__, "<version>")
    # The number of runtime files shipped with every package is not what these
    # snapshots are about, and it grows as the runtime does.
    text = re.sub(r'"files": \d+', '"files": <n>', text)
    return re.sub(r"\b\d+ unchanged\b", "<n> unchanged", text)


@pytest.mark.parametrize("output_format", ["text", "json", "github"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_output_format_snapshot(
    scenario: str, output_format: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WIREGEN_NO_CACHE", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    make_project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["generate"]).exit_code == 1  # broken fails, pets is written
    if scenario == "check":
        (tmp_path / "gen/pets/pets/py.typed").write_text("edited by hand\n")
    else:
        schemas = tmp_path / "api" / "schemas.yaml"
        schemas.write_text(schemas.read_text() + "    age:\n      type: integer\n")

    args = [*SCENARIOS[scenario], "--output-format", output_format]
    result = runner.invoke(cli, args, catch_exceptions=False)
    actual = normalise(
        f"$ wiregen {' '.join(args)}\n"
        f"exit code: {result.exit_code}\n"
        f"--- stdout\n{result.stdout}"
        f"--- stderr\n{result.stderr}",
        tmp_path,
    )
    snapshot = SNAPSHOTS / f"{scenario}.{output_format}.txt"
    if os.environ.get("WIREGEN_UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(actual)
    assert snapshot.exists(), f"no snapshot {snapshot.name}; run with WIREGEN_UPDATE_SNAPSHOTS=1"
    assert actual == snapshot.read_text()
