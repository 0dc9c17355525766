"""[tool.wiregen]: loading, schema errors with positions, semantic rules, discovery."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from wiregen.config import Job, find_pyproject, key_path_text, load_config
from wiregen.diagnostics import Abort, SourceSpan
from wiregen.pipeline import DEFAULT_TARGETS, Target
from wiregen.resources import schema_path

VALID = """\
[project]
name = "orders-service"

[tool.wiregen]
allow-remote-refs = true

[[tool.wiregen.jobs]]
spec = "api/orders.openapi.yaml"
output = "src/generated"
package = "orders_api"
targets = ["models", "http-client"]

[[tool.wiregen.jobs]]
spec = "api/billing.yaml"
output = "src/billing"
package = "acme.billing"
allow-remote-refs = false
include = ["proto"]

[tool.wiregen.jobs.options]
style = "strict"
nested = { list = [1, 2] }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[str, str, int, int]]:
    with pytest.raises(Abort) as caught:
        load_config(write(tmp_path, text))
    result = []
    for d in caught.value.diagnostics:
        assert d.span is not None
        result.append((d.code, d.message, d.span.line, d.span.col))
    return result


def test_valid_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    first, second = config.jobs
    assert first == Job(
        spec=tmp_path / "api/orders.openapi.yaml",
        spec_display="api/orders.openapi.yaml",
        output=tmp_path / "src/generated",
        package="orders_api",
        targets=(Target.MODELS, Target.HTTP_CLIENT),
        allow_remote_refs=True,
    )
    assert second.targets == DEFAULT_TARGETS
    assert second.allow_remote_refs is False
    assert second.include == (tmp_path / "proto",)
    assert dict(second.options["nested"]) == {"list": (1, 2)}  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        second.options["style"] = "loose"  # type: ignore[index]


def test_to_request(tmp_path: Path) -> None:
    request = load_config(write(tmp_path, VALID)).jobs[1].to_request()
    assert request.spec == tmp_path / "api/billing.yaml"
    assert request.spec_display == "api/billing.yaml"
    assert request.package == "acme.billing"
    assert request.targets == DEFAULT_TARGETS
    assert request.allow_remote_refs is False
    assert request.options["style"] == "strict"


def test_unknown_key_with_suggestion_and_position(tmp_path: Path) -> None:
    text = VALID.replace("allow-remote-refs = true", "allow-remote-ref = true")
    with pytest.raises(Abort) as caught:
        load_config(write(tmp_path, text))
    (d,) = caught.value.diagnostics
    assert d.code == "WG601"
    assert d.message == "tool.wiregen.allow-remote-ref: unknown key 'allow-remote-ref'"
    assert d.hint == "did you mean 'allow-remote-refs'?"
    assert d.span == SourceSpan(
        file=d.span.file if d.span else "", pointer="/tool/wiregen/allow-remote-ref", line=5, col=1
    )
    assert d.span is not None and d.span.file.endswith("pyproject.toml")


def test_errors_in_jobs_point_at_their_keys(tmp_path: Path) -> None:
    text = VALID.replace('targets = ["models", "http-client"]', '  targets = ["models", "soap"]')
    text = text.replace('package = "acme.billing"', 'package = "1billing"')
    assert problems(tmp_path, text) == [
        (
            "WG601",
            "tool.wiregen.jobs[0].targets[1]: 'soap' is not one of: "
            "models, http-client, http-server, ir, grpc, messaging",
            11,
            3,
        ),
        (
            "WG601",
            "tool.wiregen.jobs[1].package: '1billing' is not a valid Python import name",
            16,
            1,
        ),
    ]


def test_missing_required_key_points_at_job_header(tmp_path: Path) -> None:
    text = VALID.replace('package = "orders_api"\n', "")
    assert problems(tmp_path, text) == [
        ("WG601", "tool.wiregen.jobs[0]: missing required key 'package'", 7, 1)
    ]


def test_wrong_types(tmp_path: Path) -> None:
    text = VALID.replace("allow-remote-refs = false", 'allow-remote-refs = "no"').replace(
        'include = ["proto"]', 'include = "proto"'
    )
    assert problems(tmp_path, text) == [
        ("WG601", 'tool.wiregen.jobs[1].allow-remote-refs: "no" is not of type "boolean"', 17, 1),
        ("WG601", 'tool.wiregen.jobs[1].include: "proto" is not of type "array"', 18, 1),
    ]


def test_toml_dates_are_rejected_outside_options(tmp_path: Path) -> None:
    text = VALID.replace('spec = "api/billing.yaml"', "spec = 2024-01-01")
    text += "when = 2024-01-01\n"  # inside options: fine
    assert problems(tmp_path, text) == [
        ("WG601", "tool.wiregen.jobs[1].spec: a TOML date or time is not allowed here", 14, 1)
    ]


def test_semantic_rules(tmp_path: Path) -> None:
    text = VALID.replace('package = "acme.billing"', 'package = "acme.class"')
    text = text.replace('output = "src/billing"', 'output = "src/generated/"')
    text = text.replace('["models", "http-client"]', '["models", "messaging"]')  # available now
    assert problems(tmp_path, text) == [
        (
            "WG601",
            "tool.wiregen.jobs[1].output: output directory is the same as that of jobs[0]",
            15,
            1,
        ),
        (
            "WG601",
            "tool.wiregen.jobs[1].package: 'acme.class' uses the Python keyword 'class'",
            16,
            1,
        ),
    ]


def test_toml_syntax_error_has_position(tmp_path: Path) -> None:
    assert problems(tmp_path, '[tool.wiregen]\njobs = [\n  {spec = "a"\n') == [
        ("WG601", "invalid TOML: Unclosed inline table", 3, 14)
    ]


def test_missing_table(tmp_path: Path) -> None:
    (d,) = problems(tmp_path, '[project]\nname = "x"\n')
    assert d[0] == "WG601"
    assert "has no [tool.wiregen] table" in d[1]


def test_empty_jobs(tmp_path: Path) -> None:
    assert problems(tmp_path, "[tool.wiregen]\njobs = []\n") == [
        ("WG601", "tool.wiregen.jobs: [] has less than 1 item", 2, 1)
    ]


def test_absolute_spec_is_not_shown_absolute(tmp_path: Path) -> None:
    text = VALID.replace('spec = "api/billing.yaml"', f'spec = "{tmp_path}/contracts/b.yaml"')
    assert load_config(write(tmp_path, text)).jobs[1].spec_display == "contracts/b.yaml"


def test_find_pyproject_skips_ones_without_the_table(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    member = tmp_path / "packages" / "member"
    (member / "src").mkdir(parents=True)
    (member / "pyproject.toml").write_text('[project]\nname = "member"\n')
    assert find_pyproject(member / "src") == tmp_path / "pyproject.toml"
    (member / "pyproject.toml").write_text("[tool.wiregen]\njobs = []\n")
    assert find_pyproject(member / "src") == member / "pyproject.toml"


def test_find_pyproject_picks_a_broken_wiregen_config(tmp_path: Path) -> None:
    write(tmp_path, "[tool.wiregen\njobs = 1\n")
    assert find_pyproject(tmp_path) == tmp_path / "pyproject.toml"


def test_find_pyproject_none(tmp_path: Path) -> None:
    assert find_pyproject(tmp_path) is None


def test_key_path_text() -> None:
    assert key_path_text(("jobs", 0, "targets", 1)) == "tool.wiregen.jobs[0].targets[1]"
    assert key_path_text(("odd key",)) == 'tool.wiregen."odd key"'


def test_schema_is_draft_2020_12_with_descriptions() -> None:
    schema = json.loads(schema_path("config.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.Draft202012Validator(schema)  # compiles

    def walk(node: dict[str, object], where: str) -> None:
        properties = node.get("properties")
        if isinstance(properties, dict):
            assert node.get("additionalProperties") is False, where
            for name, child in properties.items():
                assert isinstance(child, dict) and child.get("description"), f"{where}.{name}"

    walk(schema, "root")
    walk(schema["$defs"]["job"], "job")
    targets = schema["$defs"]["job"]["properties"]["targets"]["items"]["enum"]
    assert set(targets) >= {t.value for t in Target} | {"grpc", "messaging"}
