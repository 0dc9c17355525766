"""Running one job to a result: the shared step under the CLI and the build hook.

A job is looked up in the cache first; only a miss imports and runs the core, so a
no-op run never loads the frontends, jinja2 or the validators. The result is a value
(:class:`Outcome`); printing it is the caller's business.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wiregen.diagnostics import Abort, Diagnostic

if TYPE_CHECKING:
    from wiregen.config import Job
    from wiregen.integrations.cache import JobCache

EXIT_OK = 0
EXIT_FAILED = 1
"""Errors in the spec, stale output (check), or changed output (--fail-on-change)."""
EXIT_USAGE = 2
"""Usage, configuration or I/O problems: the user's to fix, not the spec's."""
EXIT_INTERNAL = 70
"""EX_SOFTWARE from sysexits.h: a bug in wiregen."""

_INVALID_CONTENT = "WG501"  # emit's code for output that does not parse: always our bug


class Mode(enum.StrEnum):
    GENERATE = "generate"
    CHECK = "check"


class Status(enum.StrEnum):
    FAILED = "failed"
    """The spec had errors, or emit refused (nothing was written)."""
    CHANGED = "changed"
    """generate wrote, created or deleted files."""
    UNCHANGED = "unchanged"
    """generate found the output already right."""
    STALE = "stale"
    """check found output that generate would change."""
    FRESH = "fresh"
    """check found the output up to date."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    package: str
    output: Path
    status: Status
    exit_code: int
    diagnostics: tuple[Diagnostic, ...] = ()
    files: tuple[str, ...] = ()
    """Every generated file, relative to ``output`` (empty when the job failed)."""
    written: tuple[str, ...] = ()
    created: tuple[str, ...] = ()
    """The subset of ``written`` that did not exist before."""
    deleted: tuple[str, ...] = ()
    unchanged: int = 0
    stale: tuple[str, ...] = ()
    """check: the files generate would write or delete (the manifest included)."""
    diff: str = ""
    cached: bool = False
    """True when the cache answered and no work was done."""
    cache_note: str | None = None
    """Why the cache did not answer (None when it was not asked)."""


def run_job(job: Job, mode: Mode, *, cache: JobCache | None = None) -> Outcome:
    """Generate (or check) one job; never raises for problems with the spec or disk."""
    from wiregen.integrations.cache import Hit, file_digest

    note = None
    if cache is not None:
        found = cache.lookup()
        if isinstance(found, Hit):
            return Outcome(
                package=job.package,
                output=job.output,
                status=Status.UNCHANGED if mode is Mode.GENERATE else Status.FRESH,
                exit_code=EXIT_OK,
                diagnostics=found.diagnostics,
                files=found.files,
                unchanged=len(found.files),
                cached=True,
            )
        note = found.reason
    spec = Path(os.path.abspath(job.spec))
    before = {spec: file_digest(spec)} if cache is not None else {}

    # Looked up at call time so tests (and embedders) can substitute the core.
    from wiregen import pipeline

    request = job.to_request()
    try:
        result = pipeline.generate(request)
    except Abort as exc:
        return _failed(job, exc.diagnostics, EXIT_FAILED, note)
    if not result.ok:
        # Emitting an empty result would delete every previously generated file.
        return _failed(job, result.diagnostics, EXIT_FAILED, note)

    from wiregen import emit

    files = tuple(sorted(result.files))
    try:
        if mode is Mode.GENERATE:
            emitted = emit.emit(result.files, job.output)
        else:
            is_stale, diff = emit.stale(result.files, job.output)
    except Abort as exc:
        return _failed(
            job, (*result.diagnostics, *exc.diagnostics), _emit_code(exc.diagnostics), note
        )

    if mode is Mode.CHECK:
        stale = _stale_files(diff) if is_stale else ()
        if cache is not None and not is_stale:
            cache.store([spec, *result.inputs], result.diagnostics, before=before)
        return Outcome(
            package=job.package,
            output=job.output,
            status=Status.STALE if is_stale else Status.FRESH,
            exit_code=EXIT_FAILED if is_stale else EXIT_OK,
            diagnostics=result.diagnostics,
            files=files,
            unchanged=len(files) - len([s for s in stale if s in result.files]),
            stale=stale,
            diff=diff,
            cache_note=note,
        )

    if cache is not None:
        cache.store([spec, *result.inputs], result.diagnostics, before=before)
    return Outcome(
        package=job.package,
        output=job.output,
        status=Status.CHANGED if emitted.changed else Status.UNCHANGED,
        exit_code=EXIT_OK,
        diagnostics=(*result.diagnostics, *emitted.diagnostics),
        files=files,
        written=emitted.written,
        created=emitted.created,
        deleted=emitted.deleted,
        unchanged=emitted.unchanged,
        cache_note=note,
    )


def _failed(job: Job, diagnostics: Iterable[Diagnostic], code: int, note: str | None) -> Outcome:
    return Outcome(
        package=job.package,
        output=job.output,
        status=Status.FAILED,
        exit_code=code,
        diagnostics=tuple(diagnostics),
        cache_note=note,
    )


def _emit_code(diagnostics: Iterable[Diagnostic]) -> int:
    # Output that does not parse is our bug; anything else emit refuses is about the
    # output directory (unsafe paths, I/O), which the user has to sort out.
    if any(d.code == _INVALID_CONTENT for d in diagnostics):
        return EXIT_INTERNAL
    return EXIT_USAGE


def _stale_files(diff: str) -> tuple[str, ...]:
    """The files a unified diff from ``emit.stale`` touches, in its order.

    emit reports staleness as one diff; the per-file list (for annotations) is read
    back from its headers. ``--- a/x``, ``+++ b/x``, ``@@`` in a row cannot come from
    inside a hunk: that would need a hunk without trailing context, which difflib
    writes only at the end of a file, where the next line is a header, not ``@@``.
    """
    found: list[str] = []
    lines = diff.split("\n")
    for first, second, third in zip(lines, lines[1:], lines[2:], strict=False):
        if first.startswith("--- a/") and second.startswith("+++ b/") and third.startswith("@@ "):
            rel = second[len("+++ b/") :]
            if rel not in found:
                found.append(rel)
    return tuple(found)
