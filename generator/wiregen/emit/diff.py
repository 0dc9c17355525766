"""``wiregen check``: what a run would change, as a unified diff, without writing."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path

from wiregen.emit.content import MANIFEST_NAME
from wiregen.emit.plan import Change, make_plan

_NO_NEWLINE = "\\ No newline at end of file\n"


def stale(
    files: Mapping[str, str], out_dir: Path, *, manifest_name: str = MANIFEST_NAME
) -> tuple[bool, str]:
    """(whether ``emit`` would change anything, the unified diff of those changes).

    The manifest counts: output committed without it (or with an old one) is stale,
    so that ``check`` passes exactly when ``generate`` would write nothing.
    """
    plan = make_plan(files, out_dir, manifest_name=manifest_name)
    text = "".join(line for change in plan.changes for line in _diff(change))
    return bool(plan.changes), text


def _diff(change: Change) -> Iterator[str]:
    lines = difflib.unified_diff(
        _lines(change.old),
        _lines(change.new),
        fromfile=f"a/{change.rel}",
        tofile=f"b/{change.rel}",
    )
    for line in lines:
        if line.endswith("\n"):
            yield line
        else:
            # As git shows it; otherwise the last line would run into the next header.
            yield line + "\n" + _NO_NEWLINE


def _lines(data: bytes | None) -> list[str]:
    """Lines split on LF only: str.splitlines would also split on form feeds and
    Unicode separators, showing lines that do not exist in the file."""
    if not data:
        return []
    # Files on disk may be anything a user put there; show them, do not crash on them.
    text = data.decode("utf-8", errors="replace")
    lines = [line + "\n" for line in text.split("\n")]
    last = lines.pop()[:-1]
    if last:
        lines.append(last)
    return lines
