"""Which output paths are acceptable, decided from the names alone (no disk access).

Output names are derived from spec text, and path traversal through generated file
names is a recurring CVE in code generators. So instead of listing what is
dangerous, this allows only what is plainly safe on every platform we target:
relative POSIX paths whose segments are ASCII letters, digits, ``_``, ``.`` and ``-``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wiregen.diagnostics import Diagnostic, error
from wiregen.emit.codes import UNSAFE_PATH

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Windows opens a device instead of a file for these, whatever the extension.
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
_MAX_SEGMENT = 255  # the common file-name limit (ext4, APFS, NTFS)


def path_problem(rel: str) -> str | None:
    """Why ``rel`` is not an acceptable output path, or None when it is."""
    if not rel:
        return "is empty"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in rel):
        return "contains a control character"
    if "\\" in rel:
        return "contains a backslash"
    if rel.startswith("/"):
        return "is absolute"
    if _DRIVE.match(rel):
        return "starts with a drive letter"
    for segment in rel.split("/"):
        problem = _segment_problem(segment)
        if problem:
            return problem
    return None


def _segment_problem(segment: str) -> str | None:
    if not segment:
        return "has an empty segment"
    if segment in {".", ".."}:
        return f"contains a {segment!r} segment"
    if not _PLAIN_SEGMENT.fullmatch(segment):
        return (
            f"segment {segment!r} is not a plain name "
            "(allowed: A-Z a-z 0-9 _ . -, not starting with '.' or '-')"
        )
    if segment.endswith("."):
        # Windows drops trailing dots, so "a." and "a" would be one file there.
        return f"segment {segment!r} ends with a dot"
    if segment.split(".", 1)[0].lower() in _WINDOWS_DEVICES:
        return f"segment {segment!r} is a reserved device name on Windows"
    if len(segment) > _MAX_SEGMENT:
        return f"segment {segment[:20]!r}... is longer than {_MAX_SEGMENT} characters"
    return None


def check_paths(paths: Iterable[str], *, manifest_name: str) -> list[Diagnostic]:
    """WG502 for every unsafe path, plus clashes between otherwise fine paths."""
    diagnostics: list[Diagnostic] = []
    good: list[str] = []
    for rel in sorted(paths):
        if rel == manifest_name:
            problem: str | None = "is reserved for wiregen's manifest"
        else:
            problem = path_problem(rel)
        if problem is not None:
            # repr() so a hostile name cannot put escape sequences on the user's terminal.
            diagnostics.append(error(UNSAFE_PATH, f"unsafe output path {rel!r}: {problem}"))
        else:
            good.append(rel)
    diagnostics.extend(_clashes(good))
    return diagnostics


def _clashes(paths: list[str]) -> list[Diagnostic]:
    """Paths that cannot coexist: a file that is also a directory, or names that differ
    only in case (one file on macOS and Windows, so output would differ by platform)."""
    problems: dict[str, None] = {}  # insertion-ordered set: one message per clash
    files = set(paths)
    seen: dict[str, str] = {}  # casefolded path or directory -> the spelling seen first
    for rel in paths:
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if depth < len(parts) and prefix in files:
                problems[f"output path {prefix!r} is both a file and a directory"] = None
            first = seen.setdefault(prefix.casefold(), prefix)
            if first != prefix:
                problems[f"output paths {first!r} and {prefix!r} differ only in case"] = None
    return [error(UNSAFE_PATH, message) for message in problems]
