"""Every ``$ref`` must resolve: in the document and in each document it reaches."""

from __future__ import annotations

from collections import deque

from wiregen.diagnostics import Abort, Diagnostic, SourceSpan
from wiregen.load import Document, Workspace
from wiregen.load.ids import mentions_ids
from wiregen.validate.walk import scan


def check_documents(root: Document, ws: Workspace) -> list[Diagnostic]:
    """Walk ``root`` and, breadth-first, every document a reference leads to (once each).

    Whole documents are walked rather than just the referenced subtrees: linear
    time, and a broken reference in a shared file is worth knowing about anyway.
    """
    out: list[Diagnostic] = []
    queue = deque([root])
    seen = {root}
    while queue:
        doc = queue.popleft()
        findings = scan(doc)
        out.extend(findings.diagnostics)
        # Below an $id the same text can mean different targets; elsewhere it cannot.
        cacheable = not mentions_ids(doc.text)
        resolved: set[str] = set()
        for pointer, ref in findings.refs:
            if cacheable and ref in resolved:
                continue
            try:
                target = ws.resolve_ref(ref, doc, SourceSpan(file=doc.display, pointer=pointer))
            except Abort as exc:
                out.extend(exc.diagnostics)
                continue
            resolved.add(ref)
            if target.document not in seen:
                seen.add(target.document)
                queue.append(target.document)
    return out
