"""Helpers for tests that drive real tools (git, pre-commit, build) against temporary
projects. The project under test is found from this file, never by a fixed path, so
the tests run from any checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PETSTORE = PROJECT / "examples" / "openapi" / "petstore.yaml"

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "wiregen tests",
    "GIT_AUTHOR_EMAIL": "tests@wiregen.invalid",
    "GIT_COMMITTER_NAME": "wiregen tests",
    "GIT_COMMITTER_EMAIL": "tests@wiregen.invalid",
}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a tool run in a temporary project: no PYTHONPATH or wiregen
    switches leaking in from the test run, a fixed git identity, no user git config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "WIREGEN_NO_CACHE", "WIREGEN_CACHE_DIR", "WIREGEN_DEBUG"}
        and not key.startswith("GIT_")
    }
    env.update(GIT_IDENTITY)
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env.update(extra)
    return env


def run(
    args: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def git(cwd: Path, *args: str) -> str:
    done = run(["git", *args], cwd)
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def wiregen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The wiregen of this checkout, in a child process run from ``cwd``."""
    env = clean_env(PYTHONPATH=str(PROJECT / "generator"))
    return run([sys.executable, "-m", "wiregen", *args], cwd, env)


def make_petstore_project(root: Path, *, output: str = "src") -> Path:
    """A user project: the petstore spec and a [tool.wiregen] job for it."""
    (root / "api").mkdir(parents=True)
    shutil.copyfile(PETSTORE, root / "api" / "petstore.yaml")
    (root / "pyproject.toml").write_text(
        "[tool.wiregen]\n\n"
        "[[tool.wiregen.jobs]]\n"
        'spec = "api/petstore.yaml"\n'
        f'output = "{output}"\n'
        'package = "petstore"\n',
        encoding="utf-8",
    )
    return root
