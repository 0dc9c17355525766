"""`wiregen init`: a starter [tool.wiregen] that loads, from the specs found here."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from wiregen.cli import cli
from wiregen.config import load_config
from wiregen.integrations.starter import package_for

OPENAPI_YAML = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n"
OPENAPI_JSON = '{"info": {"title": "T", "version": "1"}, "openapi": "3.0.3", "paths": {}}'
EXISTING = '[project]\nname = "svc"  # keep this comment\nversion = "1"'  # no final newline


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["init", *args])


def test_suggests_a_job_per_openapi_spec(workdir: Path) -> None:
    (workdir / "api").mkdir()
    (workdir / "api" / "orders.openapi.yaml").write_text(OPENAPI_YAML)
    (workdir / "api" / "billing.json").write_text(OPENAPI_JSON)
    (workdir / "api" / "not-a-spec.yaml").write_text("name: hello\n")
    (workdir / "events.yaml").write_text("asyncapi: 3.0.0\n")
    (workdir / "node_modules" / "x").mkdir(parents=True)
    (workdir / "node_modules" / "x" / "spec.yaml").write_text(OPENAPI_YAML)
    (workdir / "pyproject.toml").write_text(EXISTING)

    result = run()
    assert result.exit_code == 0, result.output
    text = (workdir / "pyproject.toml").read_text()
    assert text.startswith(EXISTING + "\n\n# wiregen:")  # the rest is untouched
    assert result.stdout in text
    assert "added [tool.wiregen] with 2 jobs" in result.stderr
    jobs = load_config(workdir / "pyproject.toml").jobs
    assert [(j.spec, j.output, j.package) for j in jobs] == [
        (workdir / "api/billing.json", workdir / "generated/billing", "billing"),
        (workdir / "api/orders.openapi.yaml", workdir / "generated/orders", "orders"),
    ]
    assert "#   events.yaml" in text  # found, but not supported yet


def test_one_spec_goes_to_src_when_there_is_one(workdir: Path) -> None:
    (workdir / "src").mkdir()
    (workdir / "openapi.yaml").write_text(OPENAPI_YAML)
    assert run().exit_code == 0
    (job,) = load_config(workdir / "pyproject.toml").jobs
    assert (job.output, job.package) == (workdir / "src", "api")


def test_named_specs_and_no_specs(workdir: Path) -> None:
    (workdir / "a.yaml").write_text(OPENAPI_YAML)
    (workdir / "b.yaml").write_text(OPENAPI_YAML)
    assert run("b.yaml").exit_code == 0
    (job,) = load_config(workdir / "pyproject.toml").jobs
    assert job.package == "b"

    (workdir / "pyproject.toml").unlink()
    (workdir / "a.yaml").unlink()
    (workdir / "b.yaml").unlink()
    result = run()
    assert result.exit_code == 0
    text = (workdir / "pyproject.toml").read_text()
    assert "No OpenAPI spec was found here" in text
    assert tomllib.loads(text)["tool"]["wiregen"]["jobs"][0]["spec"] == "openapi.yaml"


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        ("[tool.wiregen]\njobs = []\n", "already has a [tool.wiregen] table"),
        ("tool.wiregen.jobs = []\n", "already has a [tool.wiregen] table"),
        ("[project\n", "is not valid TOML"),
    ],
)
def test_refuses_to_touch_an_existing_table_or_broken_file(
    workdir: Path, existing: str, message: str
) -> None:
    (workdir / "pyproject.toml").write_text(existing)
    result = run()
    assert result.exit_code == 2
    assert message in result.stderr
    assert (workdir / "pyproject.toml").read_text() == existing


@pytest.mark.parametrize(
    ("spec", "package"),
    [
        ("api/shop.yaml", "shop"),
        ("api/openapi.yaml", "api"),
        ("specs/v2/Order-Service.openapi.json", "order_service"),
        ("3d.yaml", "api_3d"),
        ("class.yaml", "class_api"),
        ("openapi.yaml", "api"),
    ],
)
def test_package_names(spec: str, package: str) -> None:
    assert package_for(spec, set()) == package


def test_package_names_are_unique() -> None:
    taken: set[str] = set()
    assert [package_for(s, taken) for s in ("a/shop.yaml", "b/shop.yaml", "c/shop.json")] == [
        "shop",
        "shop_2",
        "shop_3",
    ]
