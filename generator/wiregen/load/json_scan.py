"""Walking JSON *text* (not the parsed tree), for positions and error reports.

Loading never needs positions; diagnostics do, rarely. So instead of recording an
offset for every node while parsing, this module walks the text on demand: it reads
the keys of one object at a time and skips each value with the C decoder's
``raw_decode``, so following a pointer costs about one C parse of the siblings passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from wiregen.gcpause import paused_gc

_WS = re.compile(r"[ \t\n\r]*")
_skipper = json.JSONDecoder()


class _Members:
    """The keys of one object (key -> (key offset, value offset)) or the items of an array."""

    __slots__ = ("items", "keys")

    def __init__(self) -> None:
        self.keys: dict[str, tuple[int, int]] = {}
        self.items: list[int] = []


def _ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()  # type: ignore[union-attr]


def _skip(text: str, pos: int, decoder: json.JSONDecoder = _skipper) -> int:
    return int(decoder.raw_decode(text, pos)[1])


def _members(text: str, pos: int, on_key: Callable[[str, int], None] | None = None) -> _Members:
    """Scan the container starting at ``text[pos]``; keys keep their *first* offset."""
    found = _Members()
    opener = text[pos]
    closer = "}" if opener == "{" else "]"
    pos = _ws(text, pos + 1)
    if text[pos] == closer:
        return found
    while True:
        if opener == "{":
            key_pos = pos
            key, pos = scanstring(text, pos + 1, True)
            if on_key is not None:
                on_key(key, key_pos)
            pos = _ws(text, _ws(text, pos) + 1)  # past the colon
            found.keys.setdefault(key, (key_pos, pos))
        else:
            found.items.append(pos)
        pos = _ws(text, _skip(text, pos))
        if text[pos] == closer:
            return found
        pos = _ws(text, pos + 1)  # past the comma


class JsonText:
    """Pointer lookups in one JSON text, remembering the containers already scanned."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = _ws(text, 0)
        self._scanned: dict[int, _Members] = {}

    def offset(self, tokens: list[str]) -> int:
        """Offset of the node at ``tokens`` (its key, for object members).

        Stops at the deepest node that exists when the pointer cannot be followed.
        """
        value_pos = key_pos = self.root
        for token in tokens:
            opener = self.text[value_pos]
            if opener not in "{[":
                break
            members = self._scanned.get(value_pos)
            if members is None:
                members = self._scanned[value_pos] = _members(self.text, value_pos)
            if opener == "{":
                if token not in members.keys:
                    break
                key_pos, value_pos = members.keys[token]
            else:
                if not token.isdigit() or int(token) >= len(members.items):
                    break
                key_pos = value_pos = members.items[int(token)]
        return key_pos


class _Duplicate(Exception):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Duplicate
    return mapping


_strict = json.JSONDecoder(object_pairs_hook=_reject_duplicates)


class _RepeatWatch:
    """Remembers where each key of one object was first seen, and the first repeat."""

    def __init__(self) -> None:
        self.first_seen: dict[str, int] = {}
        self.repeat: tuple[str, int, int] | None = None

    def __call__(self, key: str, key_pos: int) -> None:
        if key in self.first_seen:
            if self.repeat is None:
                self.repeat = (key, key_pos, self.first_seen[key])
        else:
            self.first_seen[key] = key_pos


def find_duplicate_key(text: str) -> tuple[str, int, int] | None:
    """(key, offset of the repeat, offset of the first) for a duplicate key in ``text``.

    Descends only into the container whose subtree holds a duplicate, testing each
    child with a duplicate-rejecting C parse, so the cost stays near a few full parses.
    """
    pos = _ws(text, 0)
    while text[pos] in "{[":
        watch = _RepeatWatch()
        members = _members(text, pos, watch)
        children = [value for _, value in members.keys.values()] + members.items
        # A bad child before the first repeated key of this object is reported first.
        limit = watch.repeat[1] if watch.repeat else len(text)
        for child in sorted(children):
            if child > limit or text[child] not in "{[":
                continue
            try:
                _strict.raw_decode(text, child)
            except _Duplicate:
                pos = child
                break
        else:
            return watch.repeat
    return None


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def loads(text: str) -> Any:
    """``json.loads`` that raises :class:`DuplicateKey` instead of dropping a value."""
    try:
        with paused_gc():
            return _strict.decode(text)
    except _Duplicate:
        raise DuplicateKey from None


class DuplicateKey(ValueError):
    pass
