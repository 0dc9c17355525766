"""JSON Schema identifiers (``$id``, ``$anchor``) inside a document.

OpenAPI 3.1 schemas may name themselves with ``$id`` and be referenced by that name
(``$ref: /schemas/pet`` or ``$ref: '#pet'`` via ``$anchor``), and a ``$ref`` below an
``$id`` is relative to that ``$id``. Most documents have neither keyword, so the
index is built only when the text mentions one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin

from wiregen.load.pointer import escape

# Values under these keys are data, not schemas; an "$id" there names nothing.
_DATA_KEYS = frozenset({"enum", "const", "default", "example", "examples"})
_ANCHOR_KEYS = ("$anchor", "$dynamicAnchor")


@dataclass(slots=True)
class IdIndex:
    resources: dict[str, str] = field(default_factory=dict)
    """Absolute URI (no fragment) -> pointer of the schema it names."""
    anchors: dict[tuple[str, str], str] = field(default_factory=dict)
    """(resource URI, anchor name) -> pointer."""
    empty: bool = True


def mentions_ids(text: str) -> bool:
    return "$id" in text or "$anchor" in text or "$dynamicAnchor" in text


def build(data: Any, doc_uri: str) -> IdIndex:
    index = IdIndex(resources={doc_uri: ""})
    stack: list[tuple[Any, str, str]] = [(data, "", doc_uri)]
    while stack:
        node, pointer, base = stack.pop()
        if isinstance(node, dict):
            ident = node.get("$id")
            if isinstance(ident, str):
                base = urldefrag(urljoin(base, ident))[0]
                index.resources.setdefault(base, pointer)
                index.empty = False
            for key in _ANCHOR_KEYS:
                name = node.get(key)
                if isinstance(name, str):
                    index.anchors.setdefault((base, name), pointer)
                    index.empty = False
            for key, value in node.items():
                if isinstance(value, (dict, list)) and key not in _DATA_KEYS:
                    stack.append((value, f"{pointer}/{escape(str(key))}", base))
        elif isinstance(node, list):
            for position, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, f"{pointer}/{position}", base))
    return index


def base_at(data: Any, tokens: list[str], doc_uri: str) -> str:
    """The base URI in effect at ``tokens``: the document's, changed by each ``$id`` passed."""
    base = doc_uri
    node = data
    for token in [*tokens, None]:
        if isinstance(node, dict):
            ident = node.get("$id")
            if isinstance(ident, str):
                base = urldefrag(urljoin(base, ident))[0]
        if token is None:
            break
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            break
    return base
