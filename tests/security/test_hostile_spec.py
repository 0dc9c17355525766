"""A spec written to break out of every spot its text reaches in generated code.

Each hostile string tries a different escape: closing a docstring or a string
literal, a line break Python or an editor honours (``\\r``, ``\\x0c``, ``\\u2028``…),
a comment, a Jinja expression. The generated package must parse, pass mypy and ruff,
import and serve without ever running the payload, and keep every string verbatim
as data.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.generation import generate_into, import_generated

TRIPWIRE = "wiregen_pwned_marker"
PAYLOAD = f"__import__('pathlib').Path('{TRIPWIRE}').touch()"
HOSTILE = [
    f'"""; {PAYLOAD}; """',
    f"'''; {PAYLOAD}; '''",
    f"\\\"; {PAYLOAD} #",
    f"x\n{PAYLOAD}\n",
    f"x\r{PAYLOAD}",
    f"x\u2028{PAYLOAD}",
    f"x\x0c{PAYLOAD}",
    "{{ 7 * 7 }}{% raw %}",
    f"') or {PAYLOAD} or ('",
]


def _spec() -> dict[str, object]:
    text = " ".join(HOSTILE)
    props = {h: {"type": "string", "description": h, "default": h} for h in HOSTILE}
    props["kind"] = {"type": "string", "enum": HOSTILE}
    return {
        "openapi": "3.0.3",
        "info": {"title": text, "version": HOSTILE[0], "description": text},
        "servers": [{"url": "http://localhost/" + HOSTILE[1].replace("\n", "")}],
        "tags": [{"name": h, "description": h} for h in HOSTILE[:3]],
        "paths": {
            f"/items{i}/{{id}}": {
                "get": {
                    "operationId": h,
                    "tags": [HOSTILE[i % 3]],
                    "summary": h,
                    "description": h,
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": h},
                        {"name": "q" + h, "in": "query", "schema": {"type": "string", "pattern": h, "default": h}},
                        {"name": "X-" + str(i), "in": "header", "schema": {"type": "string"}, "description": h},
                    ],
                    "responses": {
                        "200": {"description": h, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Evil"}}}},
                        "404": {"description": h},
                    },
                    "security": [{h: []}],
                }
            }
            for i, h in enumerate(HOSTILE)
        },
        "components": {
            "schemas": {"Evil": {"type": "object", "description": text, "properties": props, "required": [HOSTILE[0]]}},
            "securitySchemes": {h: {"type": "apiKey", "in": "header", "name": "X-Key-" + str(i), "description": h} for i, h in enumerate(HOSTILE)},
        },
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("hostile")
    spec = work / "evil.json"
    spec.write_text(json.dumps(_spec()))
    out = generate_into(spec, work / "out", "evil_pkg")
    return work, out


def test_nothing_runs_and_text_stays_data(hostile: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    work, out = hostile
    monkeypatch.chdir(work)
    models = import_generated(out, "evil_pkg", "models")
    client = import_generated(out, "evil_pkg", "client")
    server = import_generated(out, "evil_pkg", "server")
    server.create_app()
    evil = models.Evil.model_validate({HOSTILE[0]: "v"})
    dumped = evil.model_dump(by_alias=True, mode="json")
    assert set(HOSTILE) <= set(dumped)  # every hostile name survives as a wire name, with its default
    assert dumped[HOSTILE[3]] == HOSTILE[3]
    assert {m.value for m in models.EvilKind} == set(HOSTILE)
    assert client.Client("http://127.0.0.1:1") is not None
    assert not (work / TRIPWIRE).exists()


def test_payload_is_never_code_and_templates_never_evaluate_spec_text(hostile: tuple[Path, Path]) -> None:
    _, out = hostile
    for path in (out / "evil_pkg").rglob("*.py"):
        source = path.read_text()
        names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
        assert "__import__" not in names, path  # the payload only ever appears inside string constants
        assert "\u2028" not in source and "\x0c" not in source and "\r" not in source, path
    # Spec text is data to the templates, never template source: it arrives verbatim.
    assert "{{ 7 * 7 }}{% raw %}" in (out / "evil_pkg" / "models.py").read_text()


def test_generated_hostile_package_type_checks_and_lints(hostile: tuple[Path, Path]) -> None:
    _, out = hostile
    mypy = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(out / ".mypy"), "evil_pkg"], cwd=out, capture_output=True, text=True, check=False)
    assert mypy.returncode == 0, mypy.stdout[-3000:]
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "evil_pkg"], cwd=out, capture_output=True, text=True, check=False)
    assert ruff.returncode == 0, ruff.stdout[-3000:]
