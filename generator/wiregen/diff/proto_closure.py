"""Which .proto files of two revisions can differ at all, before running protoc.

A file's descriptors depend on its own text and on the files it imports (their
declarations decide what its type names resolve to), so a file can only differ
between two revisions when its text, or the text of a file it imports directly or
indirectly, differs. Import statements are found with a regular expression over the
raw text: an import inside a comment counts too, which can only make more files
count as changed, never fewer. Nothing else is parsed here; protoc still checks and
compiles every file that may have changed (and, as imports, what those need).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

_IMPORT = re.compile(rb'\bimport\s+(?:public\s+|weak\s+)?"([^"\r\n]+)"\s*;')


class ClosureDigests:
    """Digest of each file's text together with everything it imports."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self._roots = roots
        self._memo: dict[str, bytes] = {}

    def __call__(self, name: str) -> bytes:
        found = self._memo.get(name)
        if found is not None:
            return found
        self._memo[name] = b"cycle"  # protoc rejects import cycles; this only ends the walk
        text = self._read(name)
        digest = hashlib.blake2b(text, digest_size=16)
        for imported in sorted(set(_IMPORT.findall(text))):
            dependency = imported.decode("utf-8", "replace")
            digest.update(b"\0" + imported + b"\0" + self(dependency))
        self._memo[name] = digest.digest()
        return self._memo[name]

    def _read(self, name: str) -> bytes:
        for root in self._roots:
            candidate = root / name
            if candidate.is_file():
                try:
                    return candidate.read_bytes()
                except OSError:
                    break
        return b"\0missing\0" + name.encode("utf-8", "replace")  # protoc will say what is wrong


def changed_files(
    old: Iterable[str], old_roots: Sequence[Path], new: Iterable[str], new_roots: Sequence[Path]
) -> frozenset[str]:
    """Import names of the files that may differ (or exist in one revision only)."""
    old_digest, new_digest = ClosureDigests(old_roots), ClosureDigests(new_roots)
    old_names, new_names = set(old), set(new)
    return frozenset(
        name
        for name in old_names | new_names
        if name not in old_names or name not in new_names or old_digest(name) != new_digest(name)
    )
