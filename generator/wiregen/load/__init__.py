"""Loading specs: YAML/JSON to plain trees, ``$ref`` resolution, positions on demand.

Loading is fast because it records no positions; :meth:`Workspace.locate` recovers
the line and column of a JSON pointer from the text when a diagnostic needs one.
"""

from __future__ import annotations

from wiregen.load.document import Document, Resolved
from wiregen.load.workspace import Workspace

__all__ = ["Document", "Resolved", "Workspace"]
