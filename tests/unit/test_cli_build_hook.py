"""The hatchling build hook called directly (the real `python -m build` run is in
tests/integrations/test_build_hook.py): what it includes for each target, its
`config` setting, and how it fails."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import pytest

from wiregen.integrations.hatch import WiregenBuildHook, hatch_register_build_hook

PETSTORE = Path(__file__).resolve().parents[2] / "examples" / "openapi" / "petstore.yaml"
JOB = '[[tool.wiregen.jobs]]\nspec = "api.yaml"\noutput = "gen"\npackage = "pets"\n'


class App:
    """Records what the hook shows; abort exits as hatchling's does."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def display_info(self, message: str = "") -> None:
        self.lines.append(message)

    display_warning = display_error = display_info

    def abort(self, message: str = "", code: int = 1) -> None:
        self.lines.append(message)
        raise SystemExit(code)


def hook(
    root: Path, target: str, config: dict[str, Any] | None = None
) -> tuple[WiregenBuildHook, App]:
    app = App()
    unused: Any = None  # build config and metadata: the hook never reads them
    directory = str(root / "dist")
    instance = WiregenBuildHook(
        str(root), config or {}, unused, unused, directory, target, cast(Any, app)
    )
    return instance, app


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(PETSTORE, tmp_path / "api.yaml")
    (tmp_path / "pyproject.toml").write_text(JOB)
    return tmp_path


def test_registered_under_its_plugin_name() -> None:
    assert hatch_register_build_hook() is WiregenBuildHook
    assert WiregenBuildHook.PLUGIN_NAME == "wiregen"


def test_wheel_maps_files_to_import_paths_and_sdist_to_project_paths(project: Path) -> None:
    wheel: dict[str, Any] = {}
    instance, app = hook(project, "wheel")
    instance.initialize("standard", wheel)
    assert wheel["force_include"][str(project / "gen/pets/models.py")] == "pets/models.py"
    assert app.lines[-1].startswith("wiregen: pets: ")

    sdist: dict[str, Any] = {}
    hook(project, "sdist")[0].initialize("standard", sdist)
    assert sdist["force_include"][str(project / "gen/pets/models.py")] == "gen/pets/models.py"
    assert set(sdist["force_include"]) == set(wheel["force_include"])


def test_editable_and_other_targets_include_nothing(project: Path) -> None:
    editable: dict[str, Any] = {}
    hook(project, "wheel")[0].initialize("editable", editable)
    assert editable["force_include"] == {}
    assert (project / "gen/pets/models.py").exists()  # generated all the same

    other: dict[str, Any] = {}
    hook(project, "custom")[0].initialize("standard", other)
    assert other == {}


def test_config_setting_names_another_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "codegen.toml").write_text(JOB)
    data: dict[str, Any] = {}
    hook(project, "wheel", {"config": "codegen.toml"})[0].initialize("standard", data)
    assert str(project / "gen/pets/models.py") in data["force_include"]

    instance, app = hook(project, "wheel", {"config": 3})
    with pytest.raises(SystemExit):
        instance.initialize("standard", {})
    assert "must be a path" in app.lines[-1]


def test_problems_abort_the_build_with_diagnostics(project: Path) -> None:
    (project / "pyproject.toml").write_text(JOB.replace('"pets"', '"1pets"'))
    instance, app = hook(project, "wheel")
    with pytest.raises(SystemExit) as caught:
        instance.initialize("standard", {})
    assert caught.value.code == 1
    assert any("error[WG601]" in line for line in app.lines)
    assert app.lines[-1] == "wiregen: cannot read the wiregen configuration"

    (project / "pyproject.toml").write_text(JOB)
    (project / "api.yaml").write_text("openapi: 3.0.3\ninfo: {}\n")
    instance, app = hook(project, "sdist")
    with pytest.raises(SystemExit):
        instance.initialize("standard", {})
    assert app.lines[-1] == "wiregen: generating pets failed"
