"""``wiregen diff``: breaking changes and the version gate, on the IR of two revisions.

Public API::

    from wiregen.diff import diff_paths, diff_against, DiffReport, Severity

    report = diff_paths(Path("old.yaml"), Path("new.yaml"))   # or two .proto directories
    report = diff_against(Path("api/shop.yaml"), "origin/main")
    for change in report.changes:          # most severe first
        print(change.code, change.severity, change.message, change.old, change.new)
    report.failing(Severity.BREAKING)      # what fails the gate

Rules and their codes: :mod:`wiregen.diff.rules` (documented in docs/diff-rules.md).
"""

from __future__ import annotations

from wiregen.diff.changes import Change
from wiregen.diff.engine import DiffReport, compare_apis, diff_against, diff_paths, diff_revisions
from wiregen.diff.rules import RULES, Rule, Severity

__all__ = [
    "RULES",
    "Change",
    "DiffReport",
    "Rule",
    "Severity",
    "compare_apis",
    "diff_against",
    "diff_paths",
    "diff_revisions",
]
