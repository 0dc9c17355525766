"""Real specs, realistic edits: what a release of Stripe's API or of googleapis might do.

Each edit is made to a copy of a corpus spec; the test names the rule and severity
it must get, and where it must point.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wiregen.diff import DiffReport, Severity, diff_paths

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir() and os.environ.get("CI") != "true", reason="the shared corpus is not next to this checkout"
)


def _codes(report: DiffReport) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for change in report.changes:
        found.setdefault(change.code, []).append(change.message)
    return found


@pytest.fixture(scope="module")
def stripe_report(tmp_path_factory: pytest.TempPathFactory) -> DiffReport:
    source = CORPUS / "openapi" / "stripe-spec3.json"
    spec = json.loads(source.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    del schemas["account"]["properties"]["email"]  # a field of a response
    schemas["account"]["properties"]["type"]["enum"].remove("express")  # a response enum value
    customers = spec["paths"]["/v1/customers"]
    next(p for p in customers["get"]["parameters"] if p["name"] == "email")["required"] = True
    # A request enum value: the `type` a client may create an account with.
    create = spec["paths"]["/v1/accounts"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    create["schema"]["properties"]["type"]["enum"].remove("express")
    new = tmp_path_factory.mktemp("stripe") / "stripe-edited.json"
    new.write_text(json.dumps(spec), encoding="utf-8")
    return diff_paths(source, new)


def test_stripe_removed_response_field_is_breaking(stripe_report: DiffReport) -> None:
    removed = [c for c in stripe_report.changes if c.code == "D202"]
    assert [c.subject for c in removed] == ["account.email"]
    assert removed[0].severity is Severity.BREAKING
    assert removed[0].old is not None and removed[0].old.line > 0
    assert removed[0].path == "/components/schemas/account/properties/email"


def test_stripe_enum_values_by_direction(stripe_report: DiffReport) -> None:
    codes = _codes(stripe_report)
    assert any("'express'" in m for m in codes["D212"]), codes  # a client may no longer send it
    assert any("'express'" in m for m in codes["D213"]), codes  # a client no longer receives it


def test_stripe_parameter_made_required(stripe_report: DiffReport) -> None:
    required = [c for c in stripe_report.changes if c.code == "D304"]
    assert [c.subject for c in required] == ["GET /v1/customers > query email"]


def test_stripe_version_is_a_date_so_the_gate_says_it_cannot_check(stripe_report: DiffReport) -> None:
    assert "D705" in _codes(stripe_report)
    assert stripe_report.failing(Severity.BREAKING)
    assert not {"D101", "D102", "D109", "D110"} & _codes(stripe_report).keys()  # nothing else moved


def test_googleapis_synthetic_break() -> None:
    base = CORPUS / "proto" / "googleapis"
    report = diff_paths(base, CORPUS / "pairs" / "proto" / "googleapis-synthetic-break")
    breaking = {(c.code, c.subject) for c in report.changes if c.severity is Severity.BREAKING}
    assert breaking == {
        ("D404", "google.pubsub.v1.Topic.satisfies_pzs"),
        ("D409", "google.pubsub.v1.PubsubMessage.message_id"),  # number reserved, name not
        ("D101", "google.pubsub.v1.Publisher.DeleteTopic"),
        ("D703", "google.pubsub.v1"),
    }
    assert ("D102", "google.pubsub.v1.Publisher.RemoveTopic") in {(c.code, c.subject) for c in report.changes}


def test_googleapis_one_year_of_history() -> None:
    report = diff_paths(CORPUS / "pairs" / "proto" / "googleapis-2025-07-31", CORPUS / "proto" / "googleapis")
    breaking = sorted((c.code, c.subject) for c in report.changes if c.severity is Severity.BREAKING)
    assert breaking == [
        ("D407", "google.cloud.aiplatform.v1.Part.thought"),
        ("D407", "google.cloud.aiplatform.v1.Part.thought_signature"),
        ("D409", "google.cloud.aiplatform.v1.Tool.url_context"),
        ("D703", "google.cloud.aiplatform.v1"),
    ]
    additions = [c for c in report.changes if c.code in {"D102", "D420"}]
    assert len(additions) > 100  # a year of new RPCs and fields, all non-breaking


@pytest.mark.parametrize("version", ["2.6", "3.0"])
def test_streetlights_modified(version: str) -> None:
    originals = {"2.6": "v2.6/streetlights-mqtt.yml", "3.0": "v3.0/streetlights-mqtt-asyncapi.yml"}
    report = diff_paths(
        CORPUS / "asyncapi" / originals[version],
        CORPUS / "pairs" / "asyncapi" / f"streetlights-mqtt-{version}-modified.yml",
    )
    codes = _codes(report)
    assert any("dimLight" in m for m in codes["D101"])  # the operation is gone
    # lumens: integer -> number widens what the application receives: fine for senders.
    assert any("lumens widened from integer to number" in m for m in codes["D217"])
    if version == "2.6":
        # ... and its minimum 0 -> 10 narrows it: senders of 0..9 now break.
        assert any("lumens" in m and "10" in m for m in codes["D216"]), codes
        # `enum: [on, off]` re-serialised unquoted: YAML 1.1 reads booleans.
        assert any("turnOnOffPayload.command" in m for m in codes["D210"]), codes
    assert "D703" in codes  # breaking, and the version stayed 1.0.0
