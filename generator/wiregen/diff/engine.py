"""Two revisions in, one report out: compare, gate the version, locate, sort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from wiregen.diagnostics import Diagnostic, SourceSpan, error, has_errors
from wiregen.diff.changes import Change, Findings, Site
from wiregen.diff.revision import (
    MISMATCH,
    GitProblem,
    Revision,
    at_ref,
    checkout,
    git_error,
    is_proto,
    read_at_ref,
    read_revision,
)
from wiregen.diff.rules import Kind, Severity
from wiregen.diff.versions import Bump, Verdict, gate_packages, gate_version
from wiregen.ir.model import Api


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffReport:
    old: str
    new: str
    """Labels of the two revisions (paths, or ``REF:path``)."""
    family: str
    """``openapi``, ``asyncapi`` or ``proto``; empty when a revision could not be read."""
    old_version: str = ""
    new_version: str = ""
    changes: tuple[Change, ...] = ()
    """Most severe first."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Problems reading the revisions; with errors there are no changes."""
    required_bump: Bump = Bump.NONE
    expected_version: str = ""
    accepted: frozenset[str] = frozenset()
    """Scopes whose breaking changes the version accounts for: ``""`` (the spec) after a
    major bump, a proto package that is alpha or beta."""

    @property
    def ok(self) -> bool:
        """Both revisions could be read and compared."""
        return not has_errors(self.diagnostics)

    def is_accepted(self, change: Change) -> bool:
        """A breaking change the version bump announces: reported, but not a failure."""
        return (
            change.severity is Severity.BREAKING
            and change.rule.kind is not Kind.VERSION
            and change.scope in self.accepted
        )

    def failing(self, fail_on: Severity) -> list[Change]:
        return [c for c in self.changes if c.severity.rank >= fail_on.rank and not self.is_accepted(c)]

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity is severity)


def family(api: Api) -> str:
    fmt = api.source_format
    if fmt.startswith("openapi"):
        return "openapi"
    if fmt.startswith("asyncapi"):
        return "asyncapi"
    return "proto"


def accepted_scopes(changes: Sequence[Change], verdict: Verdict) -> frozenset[str]:
    """Where breaking changes come with the version that announces them."""
    gate = {c.code: c for c in changes if c.rule.kind is Kind.VERSION}
    scopes = {c.scope for c in changes if c.code == "D706"}
    if verdict.required is Bump.MAJOR and not gate.keys() & {"D703", "D705", "D707"} and verdict.expected:
        scopes.add("")
    return frozenset(scopes)


def compare_apis(old: Api, new: Api) -> tuple[list[Change], Verdict]:
    """Every change from ``old`` to ``new``, the version gate's findings included."""
    findings = Findings()
    kind = family(old)
    if kind == "openapi":
        from wiregen.diff.http import compare_http

        compare_http(old, new, findings)
    elif kind == "asyncapi":
        from wiregen.diff.messaging import compare_messaging

        compare_messaging(old, new, findings)
    else:
        from wiregen.diff.proto import compare_proto

        compare_proto(old, new, findings)
    changes = list(findings.changes)
    gate = Findings()
    if kind == "proto":
        verdict = gate_packages(changes, gate)
    else:
        where = Site("info.version", _version_span(old), _version_span(new))
        verdict = gate_version(old.version, new.version, changes, where, gate)
    return changes + gate.changes, verdict


def _version_span(api: Api) -> SourceSpan:
    return SourceSpan(file=api.span.file, pointer="/info/version")


def diff_revisions(old: Revision, new: Revision) -> DiffReport:
    diagnostics = (*old.diagnostics, *new.diagnostics)
    if old.api is None or new.api is None or has_errors(diagnostics):
        return DiffReport(old=old.label, new=new.label, family="", diagnostics=diagnostics)
    if family(old.api) != family(new.api):
        problem = error(
            MISMATCH,
            f"cannot compare {old.api.source_format} with {new.api.source_format}",
            SourceSpan(file=new.label),
        )
        return DiffReport(old=old.label, new=new.label, family="", diagnostics=(*diagnostics, problem))
    changes, verdict = compare_apis(old.api, new.api)
    changes = _located(changes, old, new)
    return DiffReport(
        old=old.label,
        new=new.label,
        family=family(new.api),
        old_version=old.api.version,
        new_version=new.api.version,
        changes=tuple(_ordered(changes)),
        diagnostics=diagnostics,
        required_bump=verdict.required,
        expected_version=verdict.expected,
        accepted=accepted_scopes(changes, verdict),
    )


def diff_paths(
    old: Path,
    new: Path,
    *,
    includes: Sequence[Path] = (),
    allow_remote_refs: bool = False,
) -> DiffReport:
    """Compare two spec files (or two .proto include directories)."""
    if is_proto(old) != is_proto(new):
        problem = error(MISMATCH, "cannot compare .proto files with an OpenAPI or AsyncAPI spec", SourceSpan(file=new.as_posix()))
        return DiffReport(old=old.as_posix(), new=new.as_posix(), family="", diagnostics=(problem,))
    if is_proto(old):
        from wiregen.diff.proto_pair import read_proto_pair

        return diff_revisions(*read_proto_pair(old, new, includes=includes))
    old_revision = read_revision(old, allow_remote_refs=allow_remote_refs)
    new_revision = read_revision(new, allow_remote_refs=allow_remote_refs)
    return diff_revisions(old_revision, new_revision)


def diff_against(
    spec: Path, ref: str, *, includes: Sequence[Path] = (), allow_remote_refs: bool = False
) -> DiffReport:
    """Compare ``spec`` at git revision ``ref`` with the working tree."""
    if is_proto(spec):  # .proto: both sides together, compiling only what changed
        from wiregen.diff.proto_pair import read_proto_pair

        try:
            with checkout(spec, ref, includes) as (old_path, old_includes, root):
                old_revision, new_revision = read_proto_pair(
                    old_path,
                    spec,
                    includes=includes,
                    old_includes=old_includes,
                    display_bases=(root, Path.cwd()),
                    labels=(f"{ref}:{spec.as_posix()}", spec.as_posix()),
                )
        except (GitProblem, ValueError) as problem:
            failed = git_error(spec, ref, problem)
            return DiffReport(old=failed.label, new=spec.as_posix(), family="", diagnostics=failed.diagnostics)
        return diff_revisions(at_ref(old_revision, ref), new_revision)
    old = read_at_ref(spec, ref, allow_remote_refs=allow_remote_refs)
    new = read_revision(spec, allow_remote_refs=allow_remote_refs)
    return diff_revisions(old, new)


def _located(changes: list[Change], old: Revision, new: Revision) -> list[Change]:
    """Line and column for every span shown (positions are recovered only for these)."""
    old_spans = old.locate([c.old for c in changes if c.old is not None])
    new_spans = new.locate([c.new for c in changes if c.new is not None])
    old_iter, new_iter = iter(old_spans), iter(new_spans)
    located = []
    for change in changes:
        located.append(
            replace(
                change,
                old=next(old_iter) if change.old is not None else None,
                new=next(new_iter) if change.new is not None else None,
            )
        )
    return located


def _ordered(changes: list[Change]) -> list[Change]:
    """Most severe first, then by rule and subject; exact repeats dropped."""
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for change in changes:
        key = (change.code, change.subject, change.message)
        if key not in seen:
            seen.add(key)
            unique.append(change)
    return sorted(unique, key=lambda c: (-c.severity.rank, c.code, c.subject, c.message))
