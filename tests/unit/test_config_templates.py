"""The `templates` key of [tool.wiregen]: template overrides per job or for all jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiregen.config import load_config
from wiregen.diagnostics import Abort

CONFIG = """\
[tool.wiregen]
templates = "overrides"

[[tool.wiregen.jobs]]
spec = "a.yaml"
output = "gen/a"
package = "a"

[[tool.wiregen.jobs]]
spec = "b.yaml"
output = "gen/b"
package = "b"
templates = "b-templates"

[tool.wiregen.jobs.options]
templates = "ignored-when-templates-is-set"
"""


def test_templates_resolve_against_the_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    first, second = load_config(tmp_path / "pyproject.toml").jobs
    assert first.templates == tmp_path / "overrides"
    assert second.templates == tmp_path / "b-templates"
    # The pipeline reads overrides from options["templates"].
    assert first.to_request().options["templates"] == tmp_path / "overrides"
    assert second.to_request().options["templates"] == tmp_path / "b-templates"


def test_no_templates_leaves_options_alone(tmp_path: Path) -> None:
    text = CONFIG.replace('templates = "overrides"\n', "").replace(
        'templates = "b-templates"\n', ""
    )
    (tmp_path / "pyproject.toml").write_text(text)
    first, second = load_config(tmp_path / "pyproject.toml").jobs
    assert first.templates is None
    assert "templates" not in first.to_request().options
    assert second.to_request().options["templates"] == "ignored-when-templates-is-set"


def test_templates_must_be_a_path(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG.replace('"b-templates"', "3"))
    with pytest.raises(Abort) as caught:
        load_config(tmp_path / "pyproject.toml")
    (problem,) = caught.value.diagnostics
    assert problem.code == "WG601"
    assert "tool.wiregen.jobs[1].templates" in problem.message
    assert problem.span is not None and problem.span.line == 13
