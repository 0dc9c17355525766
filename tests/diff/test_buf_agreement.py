"""wiregen diff's proto rules against `buf breaking` in its WIRE_JSON category.

On every proto pair (the rule pairs of tests/diff/pairs/proto, the corpus's
synthetic break and its year of real googleapis history) the breaking changes buf
reports, mapped to wiregen's codes, must be exactly the breaking changes wiregen
reports, compared per (rule, file). Where the two disagree by design, the
difference is listed below with its reason; anything else fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from wiregen.diff import Severity, diff_paths
from wiregen.diff.rules import Kind

PAIRS = Path(__file__).parent / "pairs" / "proto"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

# buf rule -> the wiregen rule that reports the same change.
BUF_TO_WIREGEN = {
    "FIELD_WIRE_JSON_COMPATIBLE_TYPE": "D404",
    "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY": "D406",
    "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED": "D409",
    "FIELD_NO_DELETE_UNLESS_NAME_RESERVED": "D409",
    "FIELD_SAME_NAME": "D402",
    "FIELD_SAME_JSON_NAME": "D402",  # a rename changes both; wiregen reports the rename once
    "FIELD_SAME_ONEOF": "D407",
    "FIELD_SAME_DEFAULT": "-",  # not checked by wiregen (proto2 defaults; see docs/diff-rules.md)
    "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED": "D411",
    "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED": "D411",
    "ENUM_VALUE_SAME_NAME": "D413",
    "RESERVED_MESSAGE_NO_DELETE": "D408",
    "RESERVED_ENUM_NO_DELETE": "D408",
    "RPC_SAME_CLIENT_STREAMING": "D414",
    "RPC_SAME_SERVER_STREAMING": "D414",
    "RPC_SAME_REQUEST_TYPE": "D415",
    "RPC_SAME_RESPONSE_TYPE": "D415",
    "RPC_SAME_IDEMPOTENCY_LEVEL": "D417",
    "FILE_SAME_PACKAGE": "D416",
    "MESSAGE_SAME_REQUIRED_FIELDS": "D419",
    "MESSAGE_SAME_JSON_FORMAT": "-",
    "ENUM_SAME_JSON_FORMAT": "-",
}
# json_name changes alone are D403 in wiregen; buf's FIELD_SAME_JSON_NAME covers both.
EQUIVALENT = {"D403": "D402"}

# buf reports some single edits under two rules, wiregen under one; per file:
# (wiregen's code, buf's second code it covers, why).
COVERS = (
    ("D406", "D404", "a field turned into or out of a map changes both cardinality and element "
     "type (the map entry message); wiregen reports it once, as the cardinality change"),
    ("D419", "D406", "a proto2 required field made optional (or the reverse) is a label change; "
     "buf calls it cardinality, wiregen names it what it is: a required-ness change"),
)

WIREGEN_ONLY = {
    "D101": "an RPC removed: every generated client loses a method and every caller fails "
    "with UNIMPLEMENTED; buf checks RPC deletion only in its FILE and PACKAGE categories",
    "D103": "a service removed: as D101, for all its RPCs at once",
    "D401": "a number or name that was reserved is used again: buf reports the removed "
    "reservation (RESERVED_*_NO_DELETE, wiregen's D408 too); wiregen also names the reuse",
}


def _buf() -> str | None:
    # The environment's own scripts directory first: a venv that is not activated
    # (CI runs .venv/bin/python -m pytest) has buf there, not on PATH.
    candidate = Path(sysconfig.get_path("scripts")) / "buf"
    return str(candidate) if candidate.is_file() else shutil.which("buf")


BUF = _buf()
pytestmark = pytest.mark.skipif(
    BUF is None and os.environ.get("CI") != "true", reason="buf (PyPI buf-bin, a test dependency) is not installed"
)


def _buf_breaking(old: Path, new: Path, tmp_path: Path) -> set[tuple[str, str]]:
    assert BUF is not None, "buf (PyPI buf-bin) must be installed under CI"
    config = json.dumps({"version": "v2", "breaking": {"use": ["WIRE_JSON"]}})
    done = subprocess.run(
        [BUF, "breaking", str(new), "--against", str(old), "--config", config, "--error-format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode in (0, 100), done.stderr
    found = set()
    for line in done.stdout.splitlines():
        record = json.loads(line)
        code = BUF_TO_WIREGEN[record["type"]]  # a KeyError here is a buf rule nobody mapped
        if code != "-":
            found.add((code, Path(record["path"]).name))
    return found


def _wiregen_breaking(old: Path, new: Path) -> set[tuple[str, str]]:
    report = diff_paths(old, new)
    assert report.ok, [d.format() for d in report.diagnostics]
    found = set()
    for change in report.changes:
        if change.severity is not Severity.BREAKING or change.rule.kind is Kind.VERSION:
            continue
        span = change.new or change.old
        assert span is not None
        found.add((EQUIVALENT.get(change.code, change.code), Path(span.file).name))
    return found


def _pairs() -> list[tuple[str, Path, Path]]:
    found = [(p.name, p / "old", p / "new") for p in sorted(PAIRS.glob("*")) if (p / "old").is_dir()]
    corpus = CORPUS / "proto" / "googleapis"
    pairs = CORPUS / "pairs" / "proto"
    if corpus.is_dir():
        found.append(("googleapis-synthetic-break", corpus, pairs / "googleapis-synthetic-break"))
        found.append(("googleapis-one-year", pairs / "googleapis-2025-07-31", corpus))
    return found


@pytest.mark.parametrize(("name", "old", "new"), _pairs(), ids=[p[0] for p in _pairs()])
def test_breaking_changes_agree_with_buf_wire_json(name: str, old: Path, new: Path, tmp_path: Path) -> None:
    theirs = _buf_breaking(old, new, tmp_path)
    ours = _wiregen_breaking(old, new)
    for code, covered, _why in COVERS:
        theirs -= {(covered, file) for (found, file) in ours if found == code}
    missing = theirs - ours
    extra = {item for item in ours - theirs if item[0] not in WIREGEN_ONLY}
    assert not missing, f"{name}: buf reports, wiregen does not: {sorted(missing)}"
    assert not extra, f"{name}: wiregen reports, buf does not (and no reason is recorded): {sorted(extra)}"


def test_the_corpus_pairs_are_compared() -> None:
    names = [p[0] for p in _pairs()]
    assert len(names) >= 10, names
    if os.environ.get("CI") == "true":
        assert "googleapis-one-year" in names, "the shared corpus must be present under CI"
