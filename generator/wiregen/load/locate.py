"""Line and column of JSON pointers, recovered from the text only when asked.

Positions are needed for the few nodes that get a diagnostic, so loading records
none. A batch of pointers for one document shares the work: one compose for YAML,
one set of scanned containers for JSON.
"""

from __future__ import annotations

from collections.abc import Iterable

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wiregen.load import pointer as jp
from wiregen.load.json_scan import JsonText, line_col
from wiregen.load.yaml_parse import compose_yaml


def _mapping_entry(node: MappingNode, token: str) -> tuple[Node, Node] | None:
    """(key node, value node) for ``token``, looking through ``<<`` merge keys last."""
    merges: list[Node] = []
    for key, value in node.value:
        if isinstance(key, ScalarNode):
            if key.value == token and key.tag != "tag:yaml.org,2002:merge":
                return key, value
            if key.value == "<<":
                merges.extend(value.value if isinstance(value, SequenceNode) else [value])
    for source in merges:
        if isinstance(source, MappingNode):
            entry = _mapping_entry(source, token)
            if entry is not None:
                return entry
    return None


def _yaml_position(root: Node, tokens: list[str]) -> tuple[int, int]:
    at = node = root
    for token in tokens:
        if isinstance(node, MappingNode):
            entry = _mapping_entry(node, token)
            if entry is None:
                break
            at, node = entry  # members are reported at their key
        elif isinstance(node, SequenceNode):
            if not token.isdigit() or int(token) >= len(node.value):
                break
            at = node = node.value[int(token)]
        else:
            break
    return at.start_mark.line + 1, at.start_mark.column + 1


def locate_yaml(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    root = compose_yaml(text)
    if root is None:
        return {}
    found = {}
    for pointer in pointers:
        try:
            found[pointer] = _yaml_position(root, jp.split(pointer))
        except jp.PointerError:
            continue
    return found


def locate_json(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    scanner = JsonText(text)
    found = {}
    for pointer in pointers:
        try:
            found[pointer] = line_col(text, scanner.offset(jp.split(pointer)))
        except (jp.PointerError, ValueError, IndexError):
            continue  # malformed pointer, or text that is not the JSON we loaded
    return found
