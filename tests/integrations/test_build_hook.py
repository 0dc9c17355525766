"""The hatchling build hook, run by `python -m build` on a temporary project whose
generated output directory is git-ignored: the wheel and the sdist must carry the
generated package all the same.

`--no-isolation` builds with this interpreter's hatchling and wiregen, so wiregen
must be installed here (CI installs it editable); hatchling finds the hook through
the installed entry point, exactly as in an isolated build.
"""

from __future__ import annotations

import os
import sys
import tarfile
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from tests.integrations.helpers import clean_env, git, make_petstore_project, run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("need_git")]

BUILD_CONFIG = """
[build-system]
requires = ["hatchling", "wiregen"]
build-backend = "hatchling.build"

[project]
name = "petshop"
version = "1.0.0"
requires-python = ">=3.11"

[tool.hatch.build.targets.wheel]
packages = ["src/petshop"]

[tool.hatch.build.hooks.wiregen]
"""


@pytest.fixture(scope="module")
def hook_installed() -> None:
    if not any(ep.name == "wiregen" for ep in entry_points(group="hatch")):
        if os.environ.get("CI") == "true":  # CI installs the project: the hook must be there
            pytest.fail("wiregen's hatch entry point is not installed")
        pytest.skip(
            "wiregen is not installed here (pip install -e .), so hatch cannot find its hook"
        )


@pytest.mark.usefixtures("hook_installed")
def test_wheel_and_sdist_contain_ignored_generated_package(tmp_path: Path) -> None:
    project = make_petstore_project(tmp_path / "petshop")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(BUILD_CONFIG + "\n" + pyproject.read_text())
    (project / "src" / "petshop").mkdir(parents=True)
    (project / "src" / "petshop" / "__init__.py").write_text('"""Hand-written code."""\n')
    # The generated package and its manifest are never committed here.
    (project / ".gitignore").write_text("src/petstore/\nsrc/.wiregen-manifest.json\ndist/\n")
    git(project, "init", "-q")
    git(project, "add", "-A")

    env = clean_env()
    built = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", "dist"], project, env)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "wiregen: petstore:" in built.stdout + built.stderr

    (wheel,) = (project / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"petshop/__init__.py", "petstore/__init__.py", "petstore/models.py"} <= names
    assert "petstore/client.py" in names
    assert any(name.startswith("petstore/_runtime/") for name in names)
    assert not any(name.endswith(".wiregen-manifest.json") for name in names)

    (sdist,) = (project / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"src/petstore/models.py", "api/petstore.yaml", "pyproject.toml"} <= members
    # The project itself is untouched apart from the (ignored) generated output.
    assert (
        git(project, "status", "--porcelain")
        == "A  .gitignore\nA  api/petstore.yaml\nA  pyproject.toml\nA  src/petshop/__init__.py\n"
    )


@pytest.mark.usefixtures("hook_installed")
def test_a_spec_error_fails_the_build_with_its_diagnostics(tmp_path: Path) -> None:
    project = make_petstore_project(tmp_path / "petshop")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(BUILD_CONFIG + "\n" + pyproject.read_text())
    (project / "src" / "petshop").mkdir(parents=True)
    (project / "src" / "petshop" / "__init__.py").write_text("")
    spec = project / "api" / "petstore.yaml"
    spec.write_text(spec.read_text().replace("openapi: 3.", "openapi: 9.", 1))

    command = [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", "dist"]
    built = run(command, project, clean_env())
    assert built.returncode != 0
    output = built.stdout + built.stderr
    assert "error[WG20" in output
    assert "wiregen: generating petstore failed" in output
    assert not (project / "dist").exists() or not list((project / "dist").glob("*.whl"))
