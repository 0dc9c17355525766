"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit against a real git
repository, as a user's `git commit` would run them.

pre-commit installs each hook's environment by pip-installing the hooks repository,
which takes a while; so the repository is a commit-pinned copy of this checkout
(tracked and untracked files, as the working tree has them), installed once per
session into a session-wide PRE_COMMIT_HOME and reused by every invocation below.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integrations.helpers import (
    PROJECT,
    clean_env,
    git,
    make_petstore_project,
    run,
    wiregen,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("need_git")]

NEW_SCHEMA = """\
    Toy:
      type: object
      properties:
        name:
          type: string
    NewPet:
"""


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this checkout's files, and its commit."""
    if not (PROJECT / ".git").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs on a clean clone: the project must be a git checkout")
        pytest.skip("the project is not a git checkout")
    listed = git(PROJECT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    repo = tmp_path_factory.mktemp("hooks-repo")
    for rel in filter(None, listed.split("\0")):
        source = PROJECT / rel
        if source.is_file():  # tracked files deleted in the working tree are listed too
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "wiregen under test")
    return repo, git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(
    project: Path, hooks: tuple[Path, str], home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    repo, ref = hooks
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(repo), *args, "--ref", ref]
    return run(command, project, clean_env(PRE_COMMIT_HOME=str(home)))


def test_generate_and_check_hooks(
    tmp_path: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = make_petstore_project(tmp_path / "project")
    git(project, "init", "-q")
    generated = wiregen(project, "generate")
    assert generated.returncode == 0, generated.stderr
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "api and generated client")

    # A fresh checkout: both hooks pass (no hook id: every hook of the repository).
    fresh = try_repo(project, hooks_repo, pre_commit_home, "--all-files")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "wiregen generate" in fresh.stdout
    assert "wiregen check" in fresh.stdout

    # An edited, staged spec: generate rewrites the output, names it, and fails ...
    spec = project / "api" / "petstore.yaml"
    spec.write_text(spec.read_text().replace("    NewPet:\n", NEW_SCHEMA, 1))
    git(project, "add", "api/petstore.yaml")
    changed = try_repo(project, hooks_repo, pre_commit_home, "wiregen-generate")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "updated  src/petstore/models.py" in changed.stdout
    assert "class Toy(" in (project / "src" / "petstore" / "models.py").read_text()

    # ... and passes once the regenerated files are staged.
    git(project, "add", "-A")
    staged = try_repo(project, hooks_repo, pre_commit_home, "wiregen-generate")
    assert staged.returncode == 0, staged.stdout + staged.stderr
    git(project, "commit", "-q", "-m", "toys")

    # A hand edit to a generated file: check fails with a diff and writes nothing.
    models = project / "src" / "petstore" / "models.py"
    edited = models.read_text() + "# hand edit\n"
    models.write_text(edited)
    stale = try_repo(project, hooks_repo, pre_commit_home, "wiregen-check", "--all-files")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "--- a/petstore/models.py" in stale.stdout
    assert "-# hand edit" in stale.stdout
    assert models.read_text() == edited


def test_diff_hook_gates_breaking_changes(
    tmp_path: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = make_petstore_project(tmp_path / "project")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "api")
    spec = project / "api" / "petstore.yaml"
    original = spec.read_text()

    # Removing an operation without a new major version fails the commit ...
    start = original.index("    delete:")
    end = original.index("\n  /", start) if "\n  /" in original[start:] else original.index("\ncomponents:", start)
    broken = original[:start] + original[end + 1:]
    spec.write_text(broken)
    git(project, "add", "api/petstore.yaml")
    gated = try_repo(project, hooks_repo, pre_commit_home, "wiregen-diff")
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert "D101 operation-removed" in gated.stdout
    assert "D703 major-bump-missing" in gated.stdout

    # ... and passes once the version announces it.
    major = int(original.split("version:", 1)[1].split()[0].strip("'\"").split(".")[0])
    spec.write_text(broken.replace(original.split("version:", 1)[1].split("\n")[0], f" {major + 1}.0.0", 1))
    git(project, "add", "api/petstore.yaml")
    announced = try_repo(project, hooks_repo, pre_commit_home, "wiregen-diff")
    assert announced.returncode == 0, announced.stdout + announced.stderr
