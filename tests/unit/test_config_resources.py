"""The data-file locator: a wheel's _data first, the source checkout otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiregen import resources

REPO = Path(__file__).resolve().parents[2]


def test_source_checkout_is_found() -> None:
    assert resources.templates_dir() == REPO / "templates"
    assert resources.schemas_dir() == REPO / "schemas"
    assert resources.schema_path("config.schema.json") == REPO / "schemas/config.schema.json"
    assert resources.runtime_dir() == REPO / "generator/wiregen/runtime"


def test_wheel_data_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "templates").mkdir()
    monkeypatch.setattr(resources, "_DATA_DIR", tmp_path)
    assert resources.templates_dir() == tmp_path / "templates"
    assert resources.schemas_dir() == REPO / "schemas"  # not shipped there: falls back


def test_missing_data_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_DATA_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", tmp_path / "site-packages" / "wiregen")
    with pytest.raises(FileNotFoundError, match="'templates' not found"):
        resources.templates_dir()


@pytest.mark.parametrize("name", ["../pyproject.toml", "a/b.json", "", ".."])
def test_schema_names_are_plain(name: str) -> None:
    with pytest.raises(ValueError):
        resources.schema_path(name)


def test_missing_schema(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        resources.schema_path("nope.schema.json")
