"""`wiregen diff` from the command line: formats, exit codes, the gate, git, config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiregen.cli import cli

PETS_V1 = """\
openapi: 3.1.0
info: {title: Pets, version: 1.0.0}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: string}
        name: {type: string}
        tag: {type: string}
"""


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# The response loses `tag`: breaking for readers of the response.
PETS_TAG_REMOVED = _edit(PETS_V1, "        tag: {type: string}\n", "")


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
    here = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, ["diff", *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(here)
    return result.exit_code, result.stdout, result.stderr


def test_breaking_change_without_major_bump_fails_with_locations(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", PETS_TAG_REMOVED)
    code, out, _ = _run(old, new)
    assert code == 1
    assert "D202 response-property-removed" in out
    assert "old.yaml:24:9" in out  # where `tag:` was
    assert "D703 major-bump-missing" in out
    assert "expected 2.0.0" in out
    assert out.rstrip().endswith("FAIL (--fail-on breaking)")


def test_major_bump_announces_the_breaking_change(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", _edit(PETS_TAG_REMOVED, "version: 1.0.0", "version: 2.0.0"))
    code, out, _ = _run(old, new)
    assert code == 0, out
    assert "D202" in out and "D703" not in out
    assert "announced by the version" in out


def test_additions_without_minor_bump_warn_and_fail_only_on_warning(tmp_path: Path) -> None:
    added = _edit(PETS_V1, "        tag: {type: string}\n", "        tag: {type: string}\n        age: {type: integer}\n")
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", added)
    code, out, _ = _run(old, new)
    assert code == 0
    assert "D205 response-property-added" in out and "D704 minor-bump-missing" in out
    code, _, _ = _run(old, new, "--fail-on", "warning")
    assert code == 1
    bumped = _write(tmp_path, "bumped.yaml", _edit(added, "version: 1.0.0", "version: 1.1.0"))
    code, out, _ = _run(old, bumped, "--fail-on", "warning")
    assert code == 0 and "D704" not in out


def test_json_output_is_one_document_with_both_locations(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", _edit(PETS_V1, "{name: verbose, in: query,", "{name: verbose, in: query, required: true,"))
    code, out, _ = _run(old, new, "--output-format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["result"] == "fail"
    assert document["required_bump"] == "major" and document["expected_version"] == "2.0.0"
    change = next(c for c in document["changes"] if c["code"] == "D304")
    assert change["severity"] == "breaking" and change["rule"] == "parameter-became-required"
    assert change["old"]["file"].endswith("old.yaml") and change["old"]["line"] == 9
    assert change["new"]["file"].endswith("new.yaml") and change["new"]["line"] == 9
    assert change["new"]["pointer"] == "/paths/~1pets~1{id}/get/parameters/1"


def test_github_annotations_point_into_the_new_revision(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", _edit(PETS_V1, "        name: {type: string}\n", "        name: {type: integer}\n"))
    code, out, _ = _run(old, new, "--output-format", "github")
    assert code == 1
    line = next(line for line in out.splitlines() if "D210" in line)
    assert line.startswith("::error file=")
    assert "new.yaml,line=23,col=9,title=D210 type-changed::" in line


def test_markdown_changelog_keeps_hostile_names_inert(tmp_path: Path) -> None:
    hostile = "[click](https://evil.example)<script>"
    old = _write(tmp_path, "old.yaml", _edit(PETS_V1, "        tag: {type: string}\n", f"        '{hostile}': {{type: string}}\n"))
    new = _write(tmp_path, "new.yaml", PETS_TAG_REMOVED)
    code, out, _ = _run(old, new, "--output-format", "markdown")
    assert code == 1
    assert "### Breaking changes" in out
    assert hostile not in out
    assert "\\[click\\]" in out and "\\<script" in out


def test_unreadable_revision_is_a_located_error_not_a_traceback(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(tmp_path, "new.yaml", PETS_V1.replace("paths:", "paths: [", 1))
    code, out, err = _run(old, new)
    assert code == 1
    assert "Traceback" not in err + out
    assert "new.yaml:" in err and "error[" in err


def test_different_kinds_of_contract_cannot_be_compared(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    new = _write(
        tmp_path,
        "new.yaml",
        "asyncapi: 3.0.0\ninfo: {title: Pets, version: 1.0.0}\nchannels: {}\n",
    )
    code, _, err = _run(old, new)
    assert code == 1
    assert "WG802" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    old = _write(tmp_path, "old.yaml", PETS_V1)
    code, _, _ = _run(old)  # one SPEC needs --against
    assert code == 2
    code, _, _ = _run(old, old, "--against", "HEAD")
    assert code == 2


# ----------------------------------------------------------------------- git


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


needs_git = pytest.mark.skipif(
    shutil.which("git") is None and os.environ.get("CI") != "true",  # under CI a missing git fails
    reason="git is not installed",
)


@needs_git
def test_against_a_git_revision_reads_every_file_as_it_was(tmp_path: Path) -> None:
    # The schema lives in a second file: the old revision must use the old one too.
    main = _edit(PETS_V1, "schema: {$ref: '#/components/schemas/Pet'}", "schema: {$ref: 'pet.yaml'}")
    main = main[: main.index("components:")]
    pet = "type: object\nrequired: [id]\nproperties:\n  id: {type: string}\n  name: {type: string}\n"
    _write(tmp_path, "api/pets.yaml", main)
    _write(tmp_path, "api/pet.yaml", pet)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v1")
    _write(tmp_path, "api/pet.yaml", pet.replace("required: [id]", "required: [id, name]"))
    code, out, err = _run("api/pets.yaml", "--against", "HEAD", cwd=tmp_path)
    assert code == 0, err  # a returned property became required: not breaking
    assert "D209 response-property-became-required" in out
    assert "HEAD:api/pet.yaml" in out
    code, _, err = _run("api/pets.yaml", "--against", "no-such-ref", cwd=tmp_path)
    assert code == 1 and "WG801" in err


@needs_git
def test_configured_jobs_are_diffed_against_the_configured_revision(tmp_path: Path) -> None:
    _write(tmp_path, "api/pets.yaml", PETS_V1)
    _write(
        tmp_path,
        "pyproject.toml",
        '[tool.wiregen]\njobs = [{spec = "api/pets.yaml", output = "out", package = "pets"}]\n'
        '[tool.wiregen.diff]\nagainst = "HEAD"\n',
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v1")
    code, out, _ = _run(cwd=tmp_path)
    assert code == 0 and "0 breaking" in out
    _write(tmp_path, "api/pets.yaml", PETS_TAG_REMOVED)
    code, out, _ = _run(cwd=tmp_path)
    assert code == 1 and "D202" in out


# ----------------------------------------------------------------------- proto


def test_proto_directories_are_compared_as_a_whole(tmp_path: Path) -> None:
    source = (
        'syntax = "proto3";\npackage shop.v1;\n'
        "message Item {\n  string id = 1;\n  int64 count = 2;\n}\n"
        "service Shop {\n  rpc Get(Item) returns (Item);\n}\n"
    )
    _write(tmp_path, "old/shop/v1/shop.proto", source)
    _write(tmp_path, "new/shop/v1/shop.proto", source.replace("int64 count", "int32 count"))
    code, out, _ = _run(tmp_path / "old", tmp_path / "new")
    assert code == 1
    assert "D404 field-type-changed" in out and "shop.v1.Item.count" in out
    assert "new/shop/v1/shop.proto:5:3" in out
    assert "package shop.v1: 1 breaking change needs a new major version (a new package shop.v2)" in out


@pytest.mark.parametrize("output_format", ["text", "markdown", "github"])
def test_control_characters_from_the_spec_are_shown_not_obeyed(tmp_path: Path, output_format: str) -> None:
    hostile = "\x1b[31mred\u202e"
    escaped = hostile.encode("unicode_escape").decode("ascii")  # YAML's double quotes decode it
    prop = f'        "{escaped}": {{type: %s}}\n        tag: {{type: string}}\n'
    old = _write(tmp_path, "old.yaml", _edit(PETS_V1, "        tag: {type: string}\n", prop % "string"))
    new = _write(tmp_path, "new.yaml", _edit(PETS_V1, "        tag: {type: string}\n", prop % "integer"))
    code, out, _ = _run(old, new, "--output-format", output_format)
    assert code == 1 and "D210" in out  # the message names the property: `type of Pet.<name> changed`
    assert "\x1b" not in out and "\u202e" not in out
    assert "x1b" in out and "u202e" in out  # still visible, as escapes


@needs_git
def test_a_proto_tree_against_a_git_revision(tmp_path: Path) -> None:
    source = 'syntax = "proto3";\npackage shop.v1;\nmessage Item {\n  string id = 1;\n  int64 count = 2;\n}\n'
    _write(tmp_path, "proto/shop/v1/shop.proto", source)
    _write(tmp_path, "proto/shop/v1/other.proto", 'syntax = "proto3";\npackage shop.v1;\nmessage Other {}\n')
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v1")
    code, out, err = _run("proto", "--against", "HEAD", cwd=tmp_path)
    assert code == 0 and "0 breaking, 0 warning, 0 non-breaking" in out, err
    _write(tmp_path, "proto/shop/v1/shop.proto", source.replace("int64 count", "int32 count"))
    code, out, _ = _run("proto", "--against", "HEAD", cwd=tmp_path)
    assert code == 1
    assert "D404 field-type-changed" in out
    assert "old: HEAD:proto/shop/v1/shop.proto:5:3" in out and "new: proto/shop/v1/shop.proto:5:3" in out
