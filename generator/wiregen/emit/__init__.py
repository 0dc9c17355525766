"""The emit stage: the only part of wiregen that touches the output directory.

Nothing is written until every file passed every check (safe relative path, parses,
encodes); then only changed files are written, atomically, and only files our
previous manifest lists and that are still ours are deleted.
"""

from __future__ import annotations

from wiregen.emit.content import HEADER_PREFIX, MANIFEST_NAME, check_files
from wiregen.emit.diff import stale
from wiregen.emit.writer import EmitResult, emit, write_file

__all__ = [
    "HEADER_PREFIX",
    "MANIFEST_NAME",
    "EmitResult",
    "check_files",
    "emit",
    "stale",
    "write_file",
]
