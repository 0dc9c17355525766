"""The values the loader hands out: parsed documents and resolved references."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wiregen.diagnostics import SourceSpan


# eq=False: a document is unique per path (the workspace caches it), so identity is the
# right equality, and it keeps Document hashable although ``data`` is a dict.
@dataclass(frozen=True, slots=True, eq=False)
class Document:
    path: Path
    """Resolved absolute path (for remote documents: the URL as a Path); never emitted."""
    display: str
    """How messages name the file: POSIX, relative to the display base where possible."""
    text: str = field(repr=False)
    data: Any = field(repr=False)
    """Plain tree: dict / list / str / int / float / bool / None."""
    format: Literal["json", "yaml"]


@dataclass(frozen=True, slots=True)
class Resolved:
    document: Document
    pointer: str
    """RFC 6901 pointer of the target inside ``document`` ("" is the root)."""
    node: Any
    span: SourceSpan
