"""The rule corpus: a minimal before/after pair for every rule, in every format it applies to.

``tests/diff/pairs/<format>/<code>-<slug>[-<variant>]/`` holds ``old.yaml`` and
``new.yaml`` (OpenAPI, AsyncAPI) or ``old/`` and ``new/`` trees of .proto files, and
``expected.json``::

    {"codes": [...],      every code the diff reports, and nothing else
     "absent": [...],     codes that must not be reported (the rule's mirror image, ...)
     "counts": {...},     optional: how many times a code is reported
     "breaking": bool}    whether the report holds a breaking change

``none-<slug>`` pairs are edits that must report nothing of the kind listed in
``absent`` (e.g. a renamed AsyncAPI channel key). The first pair of a rule, named
exactly ``<code>-<slug>``, is the example in docs/diff-rules.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from wiregen.diff import RULES, Severity, diff_paths
from wiregen.diff.rules import Kind

PAIRS = Path(__file__).parent / "pairs"
FORMATS = ("openapi", "asyncapi", "proto")
_NAME = re.compile(r"^(?:(D\d{3})-([a-z0-9.-]+)|none-[a-z0-9.-]+)$")
_KEYS = {"codes", "absent", "counts", "breaking"}


def _pairs() -> list[Path]:
    return sorted(p for fmt in FORMATS for p in (PAIRS / fmt).iterdir() if p.is_dir())


def _revisions(pair: Path) -> tuple[Path, Path]:
    if (pair / "old").is_dir():
        return pair / "old", pair / "new"
    return pair / "old.yaml", pair / "new.yaml"


def _expected(pair: Path) -> dict[str, object]:
    data = json.loads((pair / "expected.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _codes(value: object) -> list[str]:
    assert isinstance(value, list) and all(isinstance(c, str) for c in value), value
    return list(value)


PAIR_LIST = _pairs()


@pytest.mark.parametrize("pair", PAIR_LIST, ids=[f"{p.parent.name}/{p.name}" for p in PAIR_LIST])
def test_pair_is_classified_as_expected(pair: Path) -> None:
    expected = _expected(pair)
    old, new = _revisions(pair)
    report = diff_paths(old, new)
    assert report.ok, [d.format() for d in report.diagnostics]
    assert report.family == pair.parent.name
    found = Counter(change.code for change in report.changes)
    shown = "\n".join(f"  {c.code} {c.severity.value}: {c.message}" for c in report.changes) or "  (nothing)"
    codes = _codes(expected["codes"])
    assert sorted(found) == sorted(codes), f"reported:\n{shown}"
    absent = set(_codes(expected.get("absent", []))) & set(found)
    assert not absent, f"must not be reported: {sorted(absent)}\nreported:\n{shown}"
    counts = expected.get("counts", {})
    assert isinstance(counts, dict)
    for code, count in counts.items():
        assert found[code] == count, f"{code} reported {found[code]} times, expected {count}\n{shown}"
    breaking = any(change.severity is Severity.BREAKING for change in report.changes)
    assert breaking is expected["breaking"], f"reported:\n{shown}"


@pytest.mark.parametrize("pair", PAIR_LIST, ids=[f"{p.parent.name}/{p.name}" for p in PAIR_LIST])
def test_pair_is_well_formed(pair: Path) -> None:
    """Names, codes and formats agree with the catalogue; nothing machine-specific inside."""
    fmt = pair.parent.name
    name = _NAME.match(pair.name)
    assert name is not None, f"{pair.name}: expected <code>-<slug>[-<variant>] or none-<slug>"
    expected = _expected(pair)
    assert set(expected) <= _KEYS and {"codes", "breaking"} <= set(expected), sorted(expected)
    codes = _codes(expected["codes"])
    for code in (*codes, *_codes(expected.get("absent", []))):
        assert code in RULES, f"unknown rule {code}"
        assert fmt in RULES[code].formats.split(), f"{code} does not apply to {fmt}"
    if name.group(1):
        code = name.group(1)
        assert code in codes, f"the pair of {code} must report {code}"
        slug = RULES[code].slug
        assert name.group(2) == slug or name.group(2).startswith(f"{slug}-"), f"slug of {code} is {slug}"
    # The flag follows from the codes: one breaking rule makes the report breaking.
    assert expected["breaking"] is any(RULES[c].severity is Severity.BREAKING for c in codes)
    # The version gate fires only in its own pairs, and there always with its change.
    gate = [c for c in codes if RULES[c].kind is Kind.VERSION]
    if gate and name.group(1) not in gate:
        assert fmt == "proto" and gate in (["D703"], ["D706"]), (
            f"{pair.name}: bump the version so that only the gate's own pairs report {gate}"
        )
    old, new = _revisions(pair)
    assert old.exists() and new.exists()
    files = [p for side in (old, new) for p in ([side] if side.is_file() else sorted(side.rglob("*")))]
    for file in files:
        if file.is_file():
            text = file.read_text(encoding="utf-8")
            assert not re.search(r"(?<![\w.])/(?:tmp|home|work|Users)/", text), f"{file}: absolute path"


def test_every_rule_has_a_pair_in_each_of_its_formats() -> None:
    """Adding a rule without its pairs (or a format to a rule) fails here."""
    missing = [
        f"{fmt}/{rule.code}-{rule.slug}"
        for rule in RULES.values()
        for fmt in rule.formats.split()
        if not (PAIRS / fmt / f"{rule.code}-{rule.slug}" / "expected.json").is_file()
    ]
    assert not missing, f"rules without a pair: {missing}"


def test_the_corpus_uses_every_spec_version() -> None:
    """Both OpenAPI (3.0, 3.1) and both AsyncAPI (2.6, 3.0) versions have pairs."""
    seen: set[str] = set()
    for pair in PAIR_LIST:
        if pair.parent.name == "proto":
            for file in (pair / "old").rglob("*.proto"):
                found = re.search(r'^syntax = "(proto[23])";', file.read_text(encoding="utf-8"), re.M)
                assert found is not None, file
                seen.add(found.group(1))
            continue
        header = (pair / "old.yaml").read_text(encoding="utf-8").split("\n", 1)[0]
        seen.add(header.rsplit(".", 1)[0])
    assert {"openapi: 3.0", "openapi: 3.1", "asyncapi: 2.6", "asyncapi: 3.0", "proto2", "proto3"} <= seen, seen
