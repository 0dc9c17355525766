"""diff and the generator agree: a change diff calls non-breaking leaves the generated
package's public API intact (nothing removed, nothing newly required).

Checked on every rule pair whose report holds only non-breaking changes, and on
realistic edits of corpus specs. The surface comparison itself is tested first, so a
bug there cannot make the agreement pass vacuously.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.support.api_surface import Member, Parameter, losses, surface

from wiregen.diagnostics import has_errors
from wiregen.diff import Severity, diff_paths
from wiregen.diff.rules import RULES, Kind
from wiregen.pipeline import GenerateRequest, Target, generate

PAIRS = Path(__file__).parent / "pairs"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

_TARGETS = {
    "openapi": (Target.MODELS, Target.HTTP_CLIENT, Target.HTTP_SERVER),
    "asyncapi": (Target.MESSAGING,),
    "proto": (Target.GRPC,),
}


def _generated(revision: Path, family: str) -> dict[str, str]:
    if revision.is_dir():
        specs = sorted(revision.rglob("*.proto"))
        request = GenerateRequest(
            spec=specs[0], specs=tuple(specs), includes=(revision,), package="api", targets=_TARGETS[family]
        )
    else:
        request = GenerateRequest(spec=revision, package="api", targets=_TARGETS[family])
    result = generate(request)
    assert not has_errors(result.diagnostics), [d.format() for d in result.diagnostics]
    return dict(result.files)


def _only_non_breaking(old: Path, new: Path) -> bool:
    report = diff_paths(old, new)
    assert report.ok, [d.format() for d in report.diagnostics]
    return bool(report.changes) and all(
        c.severity is Severity.NON_BREAKING or c.rule.kind is Kind.VERSION for c in report.changes
    )


def _revisions(pair: Path) -> tuple[Path, Path]:
    if (pair / "old").is_dir():
        return pair / "old", pair / "new"
    old = next(pair.glob("old.*"))
    return old, next(pair.glob(f"new{old.suffix}"))


def _non_breaking_pairs() -> list[Path]:
    """Pairs whose expected codes are all non-breaking (read from expected.json: cheap)."""
    found = []
    for expected in sorted(PAIRS.glob("*/*/expected.json")):
        data = json.loads(expected.read_text(encoding="utf-8"))
        rules = [RULES[code] for code in data.get("codes", ())]
        if not data.get("breaking") and rules and all(
            r.severity is Severity.NON_BREAKING or r.kind is Kind.VERSION for r in rules
        ):
            found.append(expected.parent)
    return found


# ------------------------------------------------------------- the comparison itself


def test_surface_reads_classes_methods_parameters_and_fields() -> None:
    found = surface(
        {
            "api/models.py": "class Pet(Base):\n    name: str\n    tag: str | None = None\n    _private: int\n",
            "api/client.py": "class Client:\n    def get(self, *, pet_id: int, verbose: bool = False) -> None: ...\n",
            "api/_runtime/http.py": "class Hidden: ...\n",
        }
    )
    assert found["api.models:Pet.name"] == Member("field", required=True)
    assert found["api.models:Pet.tag"] == Member("field", required=False)
    assert found["api.client:Client.get"].parameters == (
        Parameter("pet_id", True, True),
        Parameter("verbose", False, True),
    )
    assert not any("Hidden" in key or "_private" in key for key in found)


def test_losses_name_every_way_an_api_can_break() -> None:
    old = surface(
        {
            "m.py": "class A:\n    x: int\n    y: int | None = None\n"
            "class B:\n    def f(self, *, a: int, b: int = 0) -> None: ...\n"
            "class C: ...\n"
        }
    )
    new = surface(
        {
            "m.py": "class A:\n    x: int\n    y: int\n    z: int\n"
            "class B:\n    def f(self, *, b: int, c: int) -> None: ...\n"
        }
    )
    assert sorted(losses(old, new)) == sorted(
        [
            "field m:A.y became required",
            "m:A gained the required field 'z'",
            "parameter 'a' of m:B.f was removed",
            "parameter 'b' of m:B.f became required",
            "m:B.f gained the required parameter 'c'",
            "class m:C was removed",
        ]
    )
    assert losses(old, old) == []


# ------------------------------------------------------------- rule pairs


@pytest.mark.parametrize("pair", _non_breaking_pairs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_non_breaking_pairs_keep_the_generated_api(pair: Path) -> None:
    old, new = _revisions(pair)
    assert _only_non_breaking(old, new), "the pair expects only non-breaking changes"
    family = pair.parent.name
    lost = losses(surface(_generated(old, family)), surface(_generated(new, family)))
    assert lost == [], f"diff calls {pair.name} non-breaking, but the generated API lost: {lost}"


def test_enough_non_breaking_pairs_are_checked() -> None:
    checked = _non_breaking_pairs()
    families = {p.parent.name for p in checked}
    assert len(checked) >= 10, checked
    assert families >= {"openapi", "asyncapi", "proto"}, families


# ------------------------------------------------------------- realistic edits


def _petstore_additions(tmp_path: Path) -> tuple[Path, Path]:
    """The swagger petstore with what a minor release adds: an optional query parameter,
    an optional property, a new operation, a request enum value."""
    import yaml

    source = CORPUS / "openapi" / "petstore-3.0.yaml"
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps(spec), encoding="utf-8")
    spec["info"]["version"] = _minor_bump(spec["info"]["version"])
    spec["paths"]["/pet/findByStatus"]["get"]["parameters"].append(
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
    )
    spec["components"]["schemas"]["Pet"]["properties"]["nickname"] = {"type": "string"}
    spec["paths"]["/pet/{petId}/photos"] = {
        "get": {
            "operationId": "listPhotos",
            "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}}},
        }
    }
    status = spec["paths"]["/pet/findByStatus"]["get"]["parameters"][0]["schema"]
    status["enum"] = [*status["enum"], "reserved"]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(spec), encoding="utf-8")
    return old, new


def _minor_bump(version: str) -> str:
    major, minor, *_ = ([*version.split("."), "0", "0"])[:3]
    return f"{major}.{int(minor) + 1}.0"


@pytest.mark.skipif(
    not CORPUS.is_dir() and os.environ.get("CI") != "true",  # under CI a missing corpus fails
    reason="the shared corpus is not next to this checkout",
)
def test_a_realistic_minor_release_is_non_breaking_in_diff_and_in_code(tmp_path: Path) -> None:
    old, new = _petstore_additions(tmp_path)
    report = diff_paths(old, new)
    codes = {c.code for c in report.changes}
    assert {"D102", "D303", "D214"} <= codes, codes
    assert not report.failing(Severity.WARNING), [c.message for c in report.failing(Severity.WARNING)]
    lost = losses(surface(_generated(old, "openapi")), surface(_generated(new, "openapi")))
    assert lost == []
