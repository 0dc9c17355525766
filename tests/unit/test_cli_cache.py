"""The incremental cache, through the real core: what makes a job run again, and what
does not, and that a cached run prints what a full one would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from wiregen import emit
from wiregen.cli import cli
from wiregen.integrations import cache
from wiregen.pipeline import GenerateRequest
from wiregen.resources import templates_dir

SPEC = """\
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
"""
# A pattern Python cannot compile: accepted with warnings, which a cached run repeats.
WARNED = SCHEMAS + '    tag:\n      type: string\n      pattern: "\\\\p{L}+"\n'
GEN = ("generate", "api.yaml", "-o", "out", "--package", "pets")
CHECK = ("check", *GEN[1:])
CACHED = "wiregen: pets: nothing changed since the last run (cached)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("WIREGEN_NO_CACHE", "WIREGEN_CACHE_DIR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "api.yaml").write_text(SPEC)
    (tmp_path / "schemas.yaml").write_text(SCHEMAS)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This checkout's wiregen in a fresh interpreter."""
    generator = Path(cache.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(generator)}
    command = [sys.executable, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def ran(result: Result) -> bool:
    """Whether the job did the work (rather than the cache answering)."""
    assert result.exit_code in (0, 1), result.output
    return CACHED not in result.stderr


def test_unchanged_inputs_are_answered_from_the_cache(project: Path) -> None:
    first = run(*GEN, "-v")
    assert ran(first) and "running (no cache entry)" in first.stderr
    second = run(*GEN, "-v")
    assert not ran(second)
    files = len(json.loads((project / "out" / emit.MANIFEST_NAME).read_text())["files"])
    assert f"wiregen: pets: 0 written, {files} unchanged, 0 deleted" in second.stderr
    # Without -v a cached run reads exactly as a full run that changed nothing.
    assert run(*GEN).stderr == run(*GEN, "--no-cache").stderr


def test_a_changed_ref_target_runs_the_job(project: Path) -> None:
    run(*GEN)
    (project / "schemas.yaml").write_text(SCHEMAS + "    age:\n      type: integer\n")
    result = run(*GEN, "-v")
    assert ran(result)
    assert f"running ({project / 'schemas.yaml'} changed)" in result.stderr
    assert "age: int | None" in (project / "out/pets/models.py").read_text()
    assert not ran(run(*GEN, "-v"))


def test_hand_edited_or_deleted_output_runs_the_job(project: Path) -> None:
    run(*GEN)
    models = project / "out/pets/models.py"
    original = models.read_text()
    models.write_text(original + "# hand edit\n")
    result = run(*GEN, "-v")
    assert ran(result) and "generated output changed on disk" in result.stderr
    assert models.read_text() == original

    models.unlink()
    assert ran(run(*GEN, "-v"))
    assert models.read_text() == original


def test_check_is_cached_but_catches_hand_edits(project: Path) -> None:
    run(*GEN)
    fresh = run(*CHECK, "-v")
    assert (fresh.exit_code, ran(fresh)) == (0, False)
    assert "wiregen: pets: up to date" in fresh.stderr

    (project / "out/pets/py.typed").write_text("edited\n")
    stale = run(*CHECK, "-v")
    assert stale.exit_code == 1
    assert "--- a/pets/py.typed" in stale.stdout
    assert (project / "out/pets/py.typed").read_text() == "edited\n"  # check writes nothing


def test_check_fills_the_cache_only_when_fresh(project: Path) -> None:
    assert run(*CHECK).exit_code == 1  # nothing generated yet
    assert not (project / ".wiregen_cache").exists()
    run(*GEN, "--no-cache")
    assert ran(run(*CHECK, "-v"))
    assert not ran(run(*GEN, "-v"))


def test_job_settings_are_part_of_the_key(project: Path) -> None:
    run(*GEN)
    assert ran(run(*GEN, "-v", "--target", "models"))
    assert not ran(run(*GEN, "-v", "--target", "models"))


def test_template_overrides_apply_and_are_part_of_the_key(project: Path) -> None:
    overrides = project / "overrides" / "models"
    overrides.mkdir(parents=True)
    template = overrides / "models.py.j2"
    ours = (templates_dir() / "python" / "models" / "models.py.j2").read_text()
    template.write_text(ours + "\n# customised by the user\n")
    run(*GEN)
    result = run(*GEN, "-v", "--templates", "overrides")
    assert ran(result)
    assert "# customised by the user" in (project / "out/pets/models.py").read_text()
    assert not ran(run(*GEN, "-v", "--templates", "overrides"))

    # A fresh process, as every real run is: the renderer keeps compiled templates
    # for the life of the process.
    template.write_text(ours + "\n# customised again\n")
    again = python(project, "-m", "wiregen", *GEN, "-v", "--templates", "overrides")
    assert CACHED not in again.stderr and again.returncode == 0, again.stderr
    assert "# customised again" in (project / "out/pets/models.py").read_text()


def test_warnings_are_repeated_by_a_cached_run(project: Path) -> None:
    (project / "schemas.yaml").write_text(WARNED)

    def warnings(result: Result) -> list[str]:
        return [line for line in result.stderr.splitlines() if not line.startswith("wiregen:")]

    first = run(*GEN)
    assert "warning[WG301]" in first.stderr
    second = run(*GEN, "-v")
    assert not ran(second)
    assert warnings(second) == warnings(first)


def test_a_corrupt_entry_is_ignored_and_replaced(project: Path) -> None:
    run(*GEN)
    (entry,) = (project / ".wiregen_cache").glob("*.json")
    for garbage in ("{not json", '{"format": 1, "key": 3}', "[]", '{"format": 99}'):
        entry.write_text(garbage)
        assert ran(run(*GEN, "-v"))
        assert not ran(run(*GEN, "-v"))


def test_no_cache_flag_and_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(*GEN)
    assert ran(run(*GEN, "-v", "--no-cache"))
    monkeypatch.setenv("WIREGEN_NO_CACHE", "1")
    assert ran(run(*GEN, "-v"))


def test_the_cache_directory_ignores_itself(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(*GEN)
    directory = project / ".wiregen_cache"
    assert (directory / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (directory / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )

    monkeypatch.setenv("WIREGEN_CACHE_DIR", str(project / "elsewhere"))
    assert ran(run(*GEN, "-v"))
    assert list((project / "elsewhere").glob("*.json"))


def test_configured_jobs_keep_the_cache_beside_the_pyproject(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text(
        '[[tool.wiregen.jobs]]\nspec = "api.yaml"\noutput = "out"\npackage = "pets"\n'
    )
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    run("generate")
    assert list((project / ".wiregen_cache").glob("*.json"))
    assert not (project / "sub" / ".wiregen_cache").exists()


def test_inputs_changed_during_the_run_or_not_local_are_not_recorded(project: Path) -> None:
    run(*GEN, "--no-cache")
    request = GenerateRequest(spec=project / "api.yaml", package="pets")
    entry = cache.JobCache(project / "c", request, project / "out")
    spec = project / "api.yaml"
    assert not entry.store([spec], (), before={spec: "0" * 64})
    assert not entry.store([spec, project / "https:/example.com/x.yaml"], (), before={})
    assert isinstance(entry.lookup(), cache.Miss)
    assert entry.store([spec], (), before={})
    assert isinstance(entry.lookup(), cache.Hit)


def test_manifest_name_matches_emit() -> None:
    assert cache.MANIFEST_NAME == emit.MANIFEST_NAME


def test_a_no_op_run_loads_nothing_heavy(project: Path) -> None:
    run(*GEN)
    script = (
        "import sys\n"
        "from wiregen.cli import main\n"
        "try:\n"
        f"    main({list(GEN)!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "heavy = ('jinja2', 'pydantic', 'yaml', 'wiregen.frontends', 'wiregen.load',\n"
        "         'wiregen.validate', 'wiregen.render', 'wiregen.emit')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    done = python(project, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
