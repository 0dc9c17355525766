"""YAML to a plain tree with libyaml, safely and without YAML 1.1 surprises.

Three things differ from ``yaml.load(text, Loader=yaml.CSafeLoader)``:

* Before anything is composed, one pass over libyaml's event stream enforces
  :data:`~wiregen.load.limits.MAX_DEPTH` and
  :data:`~wiregen.load.limits.MAX_ALIAS_NODES`. It has to come first: the C composer
  recurses unguarded and crashes the interpreter on deep input, and alias expansion
  must be refused before anyone walks the tree. The pass costs about a tenth of a load.
* Plain scalars are typed by the YAML 1.2 core schema (what OpenAPI 3.x mandates):
  ``2020-01-01`` stays a string, ``yes``/``on`` are strings, ``012`` is twelve. That
  is also several times faster than PyYAML's regex-per-scalar resolver.
* Mapping keys are the key's source text (``200:`` gives ``"200"``), duplicate keys are
  errors, and tags that would produce non-JSON values (timestamps, binary, sets,
  custom tags) produce plain strings, lists and dicts instead.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wiregen.diagnostics import Abort, SourceSpan, error
from wiregen.gcpause import paused_gc
from wiregen.load import limits

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"

# Only plain scalars starting with one of these can be anything but a string, so the
# common case (words) is settled by one set lookup.
_MAYBE_TYPED = frozenset("-+.0123456789~nNtTfF<")
_NULLS = frozenset({"~", "null", "Null", "NULL"})
_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _span(display: str, mark: Any) -> SourceSpan:
    # libyaml marks are 0-based; ours are 1-based.
    return SourceSpan(file=display, line=mark.line + 1, col=mark.column + 1)


class _Loader(yaml.CSafeLoader):
    """CSafeLoader with the core-schema resolver and strict, string-keyed mappings."""

    def __init__(self, text: str, display: str) -> None:
        super().__init__(text)
        self.display = display
        self.has_merge_keys = False

    # -- resolving tags ---------------------------------------------------------

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                if not value:
                    return _NULL
                if value[0] in _MAYBE_TYPED:
                    return self._resolve_typed(value)
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def _resolve_typed(self, value: str) -> str:
        if value in _NULLS:
            return _NULL
        if value in _BOOLS:
            return _BOOL
        if _INT_RE.fullmatch(value):
            return _INT
        if _FLOAT_RE.fullmatch(value):
            return _FLOAT
        if value == "<<":
            # Merge keys are YAML 1.1, but real specs use them; remember that this
            # document has some so mappings without them skip the merge logic.
            self.has_merge_keys = True
            return _MERGE
        return _STR

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        # Path-based resolvers are unused; skipping the base class saves two calls per node.
        return None

    def ascend_resolver(self) -> None:
        return None

    # -- constructing -----------------------------------------------------------

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        pairs = node.value
        merged = 0
        if self.has_merge_keys and any(key.tag == _MERGE for key, _ in pairs):
            own = sum(1 for key, _ in pairs if key.tag != _MERGE)
            self.flatten_mapping(node)  # puts the merged entries first
            pairs = node.value
            merged = len(pairs) - own
        construct = self.construct_object
        mapping: dict[Hashable, Any] = {}
        # Merged entries may repeat keys (later sources and own keys override them).
        for key_node, value_node in pairs[:merged]:
            mapping[self._key(key_node)] = construct(value_node, deep)
        own_keys: set[str] = set()
        for key_node, value_node in pairs[merged:]:
            key = key_node.value if type(key_node) is ScalarNode else self._key(key_node)
            if key in (own_keys if merged else mapping):
                raise self._duplicate(pairs[merged:], key_node)
            if merged:
                own_keys.add(key)
            mapping[key] = construct(value_node, deep)
        return mapping

    def _key(self, node: Node) -> str:
        if isinstance(node, ScalarNode):
            return str(node.value)
        raise Abort(
            [
                error(
                    "WG101",
                    "mapping keys must be strings, not a "
                    + ("list" if isinstance(node, SequenceNode) else "mapping"),
                    _span(self.display, node.start_mark),
                )
            ]
        )

    def _duplicate(self, pairs: list[tuple[Node, Node]], second: ScalarNode) -> Abort:
        first = next(
            key for key, _ in pairs if isinstance(key, ScalarNode) and key.value == second.value
        )
        return Abort(
            [
                error(
                    "WG102",
                    f"duplicate key {second.value!r}",
                    _span(self.display, second.start_mark),
                    hint=f"first defined at line {first.start_mark.line + 1}; "
                    "YAML keeps only the last one, so remove or rename one of them",
                )
            ]
        )


def _construct_int(loader: _Loader, node: ScalarNode) -> int:
    text = str(node.value).replace("_", "")
    try:
        if text[:2] in ("0o", "0x"):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text)
    except ValueError:  # only reachable through an explicit ``!!int``
        raise ConstructorError(
            None, None, f"{node.value!r} is not an integer", node.start_mark
        ) from None


def _construct_float(loader: _Loader, node: ScalarNode) -> float:
    try:
        return float(loader.construct_yaml_float(node))
    except (ValueError, IndexError):  # only reachable through an explicit ``!!float``
        raise ConstructorError(
            None, None, f"{node.value!r} is not a number", node.start_mark
        ) from None


def _construct_plain(loader: _Loader, node: Node) -> Any:
    """Whatever the tag says, build the JSON-shaped value for the node's kind."""
    if isinstance(node, MappingNode):
        return loader.construct_yaml_map(node)
    if isinstance(node, SequenceNode):
        return loader.construct_yaml_seq(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor(_FLOAT, _construct_float)
for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_plain)
_Loader.add_constructor(None, _construct_plain)


def _events(text: str) -> Iterator[Any]:
    parser = yaml.CBaseLoader(text)
    try:
        while True:
            event = parser.get_event()
            yield event
            if event is None or type(event) is StreamEndEvent:
                return
    finally:
        parser.dispose()


def check_limits(text: str, display: str) -> None:
    """Refuse deep nesting and alias bombs by looking at the event stream only."""
    depth = 0
    nodes = 0  # nodes seen so far, aliases counted at their expanded size
    added = 0  # nodes added by aliases
    sizes: dict[str, int] = {}  # anchor -> expanded size of the anchored node
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, nodes before it)
    for event in _events(text):
        kind = type(event)
        if kind is ScalarEvent:
            nodes += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            depth += 1
            if depth > limits.MAX_DEPTH:
                raise Abort(
                    [_limit(f"nesting deeper than {limits.MAX_DEPTH} levels", display, event)]
                )
            if event.anchor:
                # Redefining an anchor: aliases inside now refer to this (open) node.
                sizes.pop(event.anchor, None)
            open_nodes.append((event.anchor, nodes))
            nodes += 1
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            depth -= 1
            anchor, before = open_nodes.pop()
            if anchor:
                sizes[anchor] = nodes - before
        elif kind is AliasEvent:
            size = sizes.get(event.anchor)
            if size is None:
                if any(anchor == event.anchor for anchor, _ in open_nodes):
                    raise Abort(
                        [
                            _limit(
                                f"alias *{event.anchor} refers to a node that contains it",
                                display,
                                event,
                            )
                        ]
                    )
                continue  # undefined alias: the composer reports it with its position
            nodes += size
            added += size
            if added > limits.MAX_ALIAS_NODES:
                raise Abort(
                    [
                        _limit(
                            f"aliases expand to more than {limits.MAX_ALIAS_NODES:,} nodes",
                            display,
                            event,
                        )
                    ]
                )


def _limit(what: str, display: str, event: Any) -> Any:
    return error(
        "WG103",
        f"document too complex: {what}",
        _span(display, event.start_mark),
        hint="this limit protects against malicious documents; simplify the document",
    )


def syntax_error(exc: yaml.YAMLError, text: str, display: str) -> Abort:
    """Turn a PyYAML exception into WG101 with a 1-based position."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        span = _span(display, mark) if mark is not None else SourceSpan(file=display)
        message = f"invalid YAML: {exc.problem or exc.context}"
        hint = None
        if exc.context and exc.problem and exc.context_mark is not None:
            hint = f"{exc.context} at line {exc.context_mark.line + 1}"
        return Abort([error("WG101", message, span, hint)])
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset into the UTF-8 it was given.
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        return Abort(
            [
                error(
                    "WG101",
                    f"invalid YAML: {exc.reason}",
                    SourceSpan(file=display, line=line, col=col),
                )
            ]
        )
    return Abort([error("WG101", f"invalid YAML: {exc}", SourceSpan(file=display))])


def parse_yaml(text: str, display: str) -> Any:
    """The plain tree of a single-document YAML text; raises :class:`Abort`."""
    try:
        check_limits(text, display)
        loader = _Loader(text, display)
        try:
            with paused_gc():
                return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise syntax_error(exc, text, display) from None
    except (ValueError, OverflowError) as exc:  # should not happen: constructors mark their errors
        raise Abort(
            [error("WG101", f"invalid YAML value: {exc}", SourceSpan(file=display))]
        ) from None


def compose_yaml(text: str) -> Node | None:
    """The node graph with positions (for locating pointers); text already loaded once."""
    loader = _Loader(text, "")
    try:
        with paused_gc():
            return loader.get_single_node()
    finally:
        loader.dispose()
