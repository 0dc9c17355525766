"""RFC 6901 JSON pointers over plain trees."""

from __future__ import annotations

import difflib
from typing import Any


class PointerError(Exception):
    """A pointer that cannot be followed; ``reached`` is the deepest pointer that exists."""

    def __init__(self, message: str, reached: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reached = reached
        self.hint = hint


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def split(pointer: str) -> list[str]:
    """Unescaped reference tokens; raises :class:`PointerError` if malformed."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"JSON pointer {pointer!r} must start with '/'", "")
    tokens = pointer[1:].split("/")
    for token in tokens:
        # '~' may only start the escapes '~0' and '~1'.
        if "~" in token and token.replace("~0", "").replace("~1", "").count("~"):
            raise PointerError(
                f"bad escape in JSON pointer {pointer!r} (use ~0 for '~', ~1 for '/')", ""
            )
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def join(tokens: list[str]) -> str:
    return "".join("/" + escape(token) for token in tokens)


def _describe(node: Any) -> str:
    if isinstance(node, bool):
        return "a boolean"
    if node is None:
        return "null"
    return {str: "a string", int: "a number", float: "a number"}.get(type(node), "a scalar")


def walk(root: Any, pointer: str) -> Any:
    """The node at ``pointer``; raises :class:`PointerError` with a hint when missing."""
    node = root
    tokens = split(pointer)
    for index, token in enumerate(tokens):
        here = join(tokens[:index]) or "the document root"
        if isinstance(node, dict):
            if token not in node:
                keys = [key for key in node if isinstance(key, str)]
                close = difflib.get_close_matches(token, keys, n=3, cutoff=0.6)
                if not close:
                    folded = {key.casefold(): key for key in keys}
                    close = [folded[token.casefold()]] if token.casefold() in folded else []
                if close:
                    hint = "did you mean " + " or ".join(repr(key) for key in close) + "?"
                elif len(keys) <= 10:
                    hint = "it has " + (", ".join(repr(key) for key in keys) if keys else "no keys")
                else:
                    hint = None
                raise PointerError(f"{here} has no key {token!r}", join(tokens[:index]), hint)
            node = node[token]
        elif isinstance(node, list):
            if not (token.isdigit() and (token == "0" or not token.startswith("0"))):
                raise PointerError(
                    f"{here} is a list; {token!r} is not an index", join(tokens[:index])
                )
            if int(token) >= len(node):
                raise PointerError(
                    f"{here} has {len(node)} items; index {token} is out of range",
                    join(tokens[:index]),
                )
            node = node[int(token)]
        else:
            raise PointerError(
                f"{here} is {_describe(node)}, not an object or list", join(tokens[:index])
            )
    return node
