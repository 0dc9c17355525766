"""Deciding what a run would change on disk, by reading only.

``emit`` executes a plan and ``stale`` prints one, so ``wiregen check`` passes exactly
when ``wiregen generate`` would write nothing. Every refusal (a symlink leading out
of the output directory, a file where a directory must go, an unreadable file) is
found here, before the first byte is written.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wiregen.diagnostics import Abort, Diagnostic, Severity, error, has_errors, warning
from wiregen.emit import manifest
from wiregen.emit.codes import IO_ERROR, MANIFEST, UNSAFE_PATH
from wiregen.emit.content import HEADER_PREFIX, MANIFEST_NAME, is_python, prepare
from wiregen.emit.paths import path_problem

_MANIFEST_NAME_RE = re.compile(r"\.?[A-Za-z0-9_][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True)
class Change:
    rel: str
    old: bytes | None
    """What is on disk now; None when nothing is."""
    new: bytes | None
    """What should be there; None when the file is to be deleted."""


@dataclass(frozen=True, slots=True)
class Plan:
    root: Path
    """The output directory, resolved: the boundary nothing may cross."""
    writes: tuple[Change, ...]
    deletes: tuple[Change, ...]
    manifest: Change | None
    """None when the manifest on disk is already right."""
    unchanged: int
    warnings: tuple[Diagnostic, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        tail = (self.manifest,) if self.manifest is not None else ()
        return self.writes + self.deletes + tail


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_diagnostic(self, severity: Severity = Severity.ERROR) -> Diagnostic:
        make = error if severity is Severity.ERROR else warning
        return make(self.code, self.message)


def make_plan(
    files: Mapping[str, str], out_dir: Path, *, manifest_name: str = MANIFEST_NAME
) -> Plan:
    """What writing ``files`` into ``out_dir`` would change; raises Abort if it must not."""
    if not _MANIFEST_NAME_RE.fullmatch(manifest_name) or manifest_name in {".", ".."}:
        raise ValueError(f"not a plain file name: {manifest_name!r}")
    encoded, diagnostics = prepare(files, manifest_name=manifest_name)
    if has_errors(diagnostics):
        raise Abort(diagnostics)
    root = _resolve_root(out_dir)

    errors: list[Diagnostic] = []
    writes: list[Change] = []
    unchanged = 0
    for rel, data in encoded.items():
        try:
            old = _read(root, rel, follow_final=True)
        except _Refused as refused:
            errors.append(refused.as_diagnostic())
            continue
        if old == data:
            unchanged += 1
        else:
            writes.append(Change(rel, old, data))

    warnings: list[Diagnostic] = []
    try:
        old_manifest = _read(root, manifest_name, follow_final=True)
    except _Refused as refused:
        errors.append(refused.as_diagnostic())
        old_manifest = None
    if errors:
        raise Abort(errors)

    previous = _previous_files(old_manifest, manifest_name, warnings)
    deletes = _deletions(root, previous, encoded, manifest_name, warnings)
    new_manifest = manifest.render(encoded)
    manifest_change = (
        None if new_manifest == old_manifest else Change(manifest_name, old_manifest, new_manifest)
    )
    return Plan(
        root=root,
        writes=tuple(writes),
        deletes=tuple(deletes),
        manifest=manifest_change,
        unchanged=unchanged,
        warnings=tuple(warnings),
    )


def _resolve_root(out_dir: Path) -> Path:
    try:
        root = out_dir.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before 3.13
        raise Abort(
            [error(IO_ERROR, f"cannot resolve output directory {str(out_dir)!r}: {exc}")]
        ) from exc
    if root.exists() and not root.is_dir():
        raise Abort(
            [error(IO_ERROR, f"output directory {str(out_dir)!r} exists and is not a directory")]
        )
    return root


def _read(root: Path, rel: str, *, follow_final: bool) -> bytes | None:
    """The bytes at ``root/rel``; None when absent. Never reads through a symlink that
    leads outside ``root``: an attacker-planted link must not make us read or write
    anything beyond the output directory."""
    current = root
    parts = rel.split("/")
    for index, part in enumerate(parts):
        current = current / part
        shown = "/".join(parts[: index + 1])
        last = index == len(parts) - 1
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _Refused(
                IO_ERROR, f"cannot inspect {shown!r} in the output directory: {exc.strerror}"
            ) from exc
        if stat.S_ISLNK(info.st_mode):
            if last and not follow_final:
                raise _Refused(IO_ERROR, f"{shown!r} in the output directory is a symlink")
            info = _follow_inside(root, current, shown)
        if not last and not stat.S_ISDIR(info.st_mode):
            raise _Refused(
                IO_ERROR, f"{shown!r} in the output directory is in the way: not a directory"
            )
    if not stat.S_ISREG(info.st_mode):
        raise _Refused(IO_ERROR, f"{rel!r} in the output directory is not a regular file")
    try:
        return current.read_bytes()
    except OSError as exc:
        raise _Refused(
            IO_ERROR, f"cannot read {rel!r} in the output directory: {exc.strerror}"
        ) from exc


def _follow_inside(root: Path, link: Path, shown: str) -> os.stat_result:
    try:
        target = link.resolve()
    except (OSError, RuntimeError) as exc:
        raise _Refused(
            IO_ERROR, f"cannot resolve symlink {shown!r} in the output directory: {exc}"
        ) from exc
    if not target.is_relative_to(root):
        raise _Refused(
            UNSAFE_PATH,
            f"{shown!r} in the output directory is a symlink leading outside it; refusing to follow it",
        )
    try:
        return os.stat(link)
    except OSError as exc:
        raise _Refused(
            IO_ERROR, f"{shown!r} in the output directory is a dangling symlink"
        ) from exc


def _previous_files(
    data: bytes | None, manifest_name: str, warnings: list[Diagnostic]
) -> dict[str, str]:
    if data is None:
        return {}
    files = manifest.parse(data)
    if files is None:
        warnings.append(
            warning(
                MANIFEST,
                f"{manifest_name} is not a wiregen manifest this version understands; "
                "no stale files will be deleted this run",
            )
        )
        return {}
    return files


def _deletions(
    root: Path,
    previous: Mapping[str, str],
    encoded: Mapping[str, bytes],
    manifest_name: str,
    warnings: list[Diagnostic],
) -> list[Change]:
    """Files we generated last time, no longer generate, and that are still ours.

    "Still ours" means byte-identical to what we wrote, or a Python file that still
    carries our header (the DO NOT EDIT contract). Anything else is left alone: the
    manifest alone never authorises deleting a file somebody has taken over.
    """
    deletes: list[Change] = []
    for rel in sorted(previous.keys() - encoded.keys()):
        problem = path_problem(rel)
        if problem is not None or rel == manifest_name:
            warnings.append(
                warning(MANIFEST, f"ignoring manifest entry {rel!r}: {problem or 'reserved'}")
            )
            continue
        try:
            old = _read(root, rel, follow_final=False)
        except _Refused as refused:
            warnings.append(refused.as_diagnostic(Severity.WARNING))
            continue
        if old is None:
            continue
        ours = manifest.digest(old) == previous[rel] or (
            is_python(rel) and old.startswith(HEADER_PREFIX.encode())
        )
        if ours:
            deletes.append(Change(rel, old, None))
        else:
            warnings.append(
                warning(
                    MANIFEST,
                    f"{rel!r} is no longer generated but was modified; leaving it in place",
                )
            )
    return deletes
