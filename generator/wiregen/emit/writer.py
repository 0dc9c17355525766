"""Carrying out a plan: the only code in wiregen that writes to or deletes from disk."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wiregen.diagnostics import Abort, Diagnostic, error
from wiregen.emit.codes import BUG_HINT, INVALID_CONTENT, IO_ERROR, UNSAFE_PATH
from wiregen.emit.content import MANIFEST_NAME, normalise
from wiregen.emit.plan import Change, Plan, make_plan

_PARTIAL_HINT = "the output directory may be partly updated; run wiregen again once this is fixed"


@dataclass(frozen=True, slots=True)
class EmitResult:
    written: tuple[str, ...]
    """Generated files whose content was (re)written, new ones included."""
    created: tuple[str, ...]
    """The subset of ``written`` that did not exist before."""
    deleted: tuple[str, ...]
    unchanged: int
    manifest_written: bool = False
    """The manifest is not counted in the tuples above: it is bookkeeping, not output."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings (an unreadable old manifest, stale files left in place)."""

    @property
    def changed(self) -> bool:
        return bool(self.written or self.deleted or self.manifest_written)


def emit(
    files: Mapping[str, str], out_dir: Path, *, manifest_name: str = MANIFEST_NAME
) -> EmitResult:
    """Make ``out_dir`` hold exactly ``files``; raises Abort (having written nothing) when
    a file is unsafe or broken, and Abort with WG503 when the disk fails."""
    plan = make_plan(files, out_dir, manifest_name=manifest_name)
    return apply(plan)


def apply(plan: Plan) -> EmitResult:
    created: list[str] = []
    for change in plan.writes:
        if change.old is None:
            created.append(change.rel)
        _write(plan.root, change)
    for change in plan.deletes:
        _delete(plan.root, change.rel)
    # Last, so an interrupted run still has the old manifest naming every file it owns.
    if plan.manifest is not None:
        _write(plan.root, plan.manifest)
    return EmitResult(
        written=tuple(change.rel for change in plan.writes),
        created=tuple(created),
        deleted=tuple(change.rel for change in plan.deletes),
        unchanged=plan.unchanged,
        manifest_written=plan.manifest is not None,
        diagnostics=plan.warnings,
    )


def write_file(path: Path, text: str) -> bool:
    """Write one standalone file (e.g. ``wiregen ir -o FILE``) if its content changed.

    Returns whether it was written. The caller named the path, so no containment
    check applies; the write is still atomic and LF-only.
    """
    try:
        data = normalise(text).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Abort(
            [
                error(
                    INVALID_CONTENT,
                    f"cannot encode {str(path)!r} as UTF-8: {exc.reason}",
                    hint=BUG_HINT,
                )
            ]
        ) from exc
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, data)
    except OSError as exc:
        raise Abort(
            [error(IO_ERROR, f"cannot write {str(path)!r}: {exc.strerror or exc}")]
        ) from exc
    return True


def _write(root: Path, change: Change) -> None:
    assert change.new is not None
    path = root.joinpath(*change.rel.split("/"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Planning checked the links; checking again right before writing narrows the
        # window for a directory swapped for a symlink in between to almost nothing.
        if not path.parent.resolve().is_relative_to(root):
            raise Abort(
                [
                    error(
                        UNSAFE_PATH, f"{change.rel!r} would be written outside the output directory"
                    )
                ]
            )
        _atomic_write(path, change.new)
    except OSError as exc:
        raise Abort(
            [
                error(
                    IO_ERROR,
                    f"cannot write {change.rel!r}: {exc.strerror or exc}",
                    hint=_PARTIAL_HINT,
                )
            ]
        ) from exc


def _atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL|O_NOFOLLOW: never write through something planted at the temporary name.
    # Mode 0o666 lets the umask decide, as for any file the user creates.
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_BINARY", 0)
    )
    fd = os.open(temp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(os.stat(path).st_mode))  # keep a mode the user chose
        # No fsync: generated files can always be regenerated, and syncing every one
        # would make large runs slow for no real safety gain.
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _delete(root: Path, rel: str) -> None:
    path = root.joinpath(*rel.split("/"))
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise Abort(
            [error(IO_ERROR, f"cannot delete {rel!r}: {exc.strerror or exc}", hint=_PARTIAL_HINT)]
        ) from exc
    # Directories left empty by the deletion held only our files, so they go too;
    # rmdir (never a recursive delete) stops at the first one still holding anything.
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = parent.parent
