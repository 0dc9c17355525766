"""Printing a :class:`~wiregen.diff.engine.DiffReport`: text, JSON, Markdown, GitHub.

Formatting only: which changes fail is decided by the caller (``--fail-on``) and
passed in, so every format says the same thing.
"""

from __future__ import annotations

import json
from typing import Any

from wiregen.diagnostics import Diagnostic, SourceSpan
from wiregen.diagnostics import Severity as DiagnosticSeverity
from wiregen.diff.changes import Change
from wiregen.diff.engine import DiffReport
from wiregen.diff.rules import Severity
from wiregen.diff.versions import Bump

FORMATS = ("text", "json", "markdown", "github")

_HEADINGS = {
    Severity.BREAKING: "Breaking changes",
    Severity.WARNING: "Warnings",
    Severity.NON_BREAKING: "Non-breaking changes",
}


def render(report: DiffReport, output_format: str, fail_on: Severity) -> str:
    if output_format == "json":
        return json.dumps(as_json(report, fail_on), indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return markdown(report, fail_on)
    if output_format == "github":
        return github(report, fail_on)
    return text(report, fail_on)


def visible(text: str) -> str:
    """Spec text made safe for a terminal or a log: control and bidi-override characters
    (an ANSI escape, U+202E in a property name) shown as escapes, not obeyed."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _where(span: SourceSpan | None) -> str:
    return "-" if span is None else visible(str(span))


def _verdict(report: DiffReport, fail_on: Severity) -> str:
    return "FAIL" if report.failing(fail_on) else "PASS"


def summary(report: DiffReport, fail_on: Severity) -> str:
    counts = ", ".join(
        f"{report.count(severity)} {severity.value}" for severity in (Severity.BREAKING, Severity.WARNING, Severity.NON_BREAKING)
    )
    parts = [counts]
    if report.family == "proto":
        pass  # versions live in package names: the D703/D706 findings say what is needed
    elif report.old_version or report.new_version:
        parts.append(f"version {report.old_version or '?'} -> {report.new_version or '?'}")
    if report.required_bump is not Bump.NONE and report.family != "proto":
        bump = f"needs a {report.required_bump.label} bump"
        if report.expected_version:
            bump += f" ({report.expected_version} or later)"
        parts.append(bump)
    if any(report.is_accepted(c) for c in report.changes):
        parts.append("breaking changes announced by the version")
    parts.append(f"{_verdict(report, fail_on)} (--fail-on {fail_on.value})")
    return "; ".join(parts)


def text(report: DiffReport, fail_on: Severity) -> str:
    lines = [f"wiregen diff {report.old} -> {report.new}"]
    for change in report.changes:
        lines.append(f"{change.severity.value:<12} {change.code} {change.rule.slug}: {visible(change.message)}")
        path = f"  {visible(change.path)}" if change.path else ""
        if change.old is not None:
            lines.append(f"    old: {_where(change.old)}{path}")
        if change.new is not None:
            lines.append(f"    new: {_where(change.new)}{path if change.old is None else ''}")
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"


def _span_json(span: SourceSpan | None, path: str) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line or None, "col": span.col or None, "pointer": span.pointer, "path": path}


def change_json(change: Change) -> dict[str, Any]:
    return {
        "code": change.code,
        "rule": change.rule.slug,
        "severity": change.severity.value,
        "kind": change.rule.kind.value,
        "subject": change.subject,
        "message": change.message,
        "old": _span_json(change.old, change.path),
        "new": _span_json(change.new, change.path),
        "scope": change.scope or None,
    }


def as_json(report: DiffReport, fail_on: Severity) -> dict[str, Any]:
    return {
        "old": report.old,
        "new": report.new,
        "format": report.family or None,
        "old_version": report.old_version,
        "new_version": report.new_version,
        "required_bump": report.required_bump.label,
        "expected_version": report.expected_version or None,
        "fail_on": fail_on.value,
        "result": "fail" if report.failing(fail_on) else "pass",
        "summary": {severity.value: report.count(severity) for severity in Severity},
        "changes": [{**change_json(change), "accepted": report.is_accepted(change)} for change in report.changes],
        "diagnostics": [
            {"severity": d.severity.value, "code": d.code, "message": d.message, "where": str(d.span) if d.span else None}
            for d in report.diagnostics
        ],
    }


def _md(text: str) -> str:
    """Markdown-inert text: spec strings must not become links, HTML or emphasis."""
    out = []
    for char in text:
        out.append("\\" + char if char in "\\`*_{}[]<>()#+!|~" else char)
    return visible("".join(out).replace("\n", " "))


def markdown(report: DiffReport, fail_on: Severity) -> str:
    versions = ""
    if report.old_version or report.new_version:
        versions = f": {_md(report.old_version or '?')} → {_md(report.new_version or '?')}"
    lines = [f"## API changes{versions}", ""]
    for severity in (Severity.BREAKING, Severity.WARNING, Severity.NON_BREAKING):
        found = [c for c in report.changes if c.severity is severity]
        if not found:
            continue
        lines += [f"### {_HEADINGS[severity]} ({len(found)})", ""]
        for change in found:
            where = change.new or change.old
            lines.append(f"- **{change.code}** {change.rule.slug}: {_md(change.message)} (`{_where(where)}`)")
        lines.append("")
    if not report.changes:
        lines += ["No changes.", ""]
    lines.append(f"**{_verdict(report, fail_on)}**: {_md(summary(report, fail_on))}")
    return "\n".join(lines) + "\n"


_LEVEL = {
    Severity.BREAKING: DiagnosticSeverity.ERROR,
    Severity.WARNING: DiagnosticSeverity.WARNING,
    Severity.NON_BREAKING: DiagnosticSeverity.INFO,
}


def github(report: DiffReport, fail_on: Severity) -> str:
    from wiregen.integrations.report import github_annotation

    lines = []
    for change in report.changes:
        # An annotation must point into the checkout: the new revision where it exists.
        span = change.new or change.old
        failing = change.severity.rank >= fail_on.rank and not report.is_accepted(change)
        level = DiagnosticSeverity.ERROR if failing else _LEVEL[change.severity]
        if not failing and level is DiagnosticSeverity.ERROR:
            level = DiagnosticSeverity.WARNING
        diagnostic = Diagnostic(
            severity=level, code=f"{change.code} {change.rule.slug}", message=visible(change.message), span=span
        )
        lines.append(github_annotation(diagnostic))
    lines.append(summary(report, fail_on))
    return "\n".join(lines) + "\n"
