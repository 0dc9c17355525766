"""docs/diff-rules.md documents every rule and cannot drift from the catalogue or the pairs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from wiregen.diff import RULES
from wiregen.diff.explanations import EXPLANATIONS

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diff_rules_doc", ROOT / "tools" / "diff_rules_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()


def test_every_rule_is_explained_and_nothing_else() -> None:
    assert sorted(EXPLANATIONS) == sorted(RULES)
    for code, explanation in EXPLANATIONS.items():
        assert explanation.meaning.strip() and explanation.why.strip(), code


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_a_section_with_an_example_per_format(code: str) -> None:
    rule = RULES[code]
    section = TOOL._section(rule, EXPLANATIONS[code])
    assert f"### {code} `{rule.slug}`" in section
    assert rule.severity.value in section
    for fmt in rule.formats.split():
        pair = TOOL.primary_pair(code, rule.slug, fmt)
        assert f"**Example ({TOOL.FORMAT_NAMES[fmt]})**" in section, f"{code}: no {fmt} example"
        assert TOOL.pair_diff(pair).strip(), f"{pair}: old and new are the same"


def test_the_committed_document_is_current() -> None:
    committed = (ROOT / "docs" / "diff-rules.md").read_text(encoding="utf-8")
    assert committed == TOOL.render(), "docs/diff-rules.md is stale: run python tools/diff_rules_doc.py"
