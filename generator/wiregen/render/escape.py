"""Escaping for every spot where spec text lands in generated source.

Spec strings are untrusted. They reach Python source only through these functions,
each made for one kind of spot; identifiers come from the naming pass instead.
"""

from __future__ import annotations

import re

# Every character some tool treats as a line break (Python's own str.splitlines set).
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Control characters other than tab and newline have no business in a docstring.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def string_literal(value: str) -> str:
    """A Python string literal that evaluates to ``value`` exactly."""
    return repr(value)


def literal(value: object) -> str:
    """A Python literal for a JSON value (str, number, bool, None, list, dict)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "None"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(str(value))


def comment(text: str) -> str:
    """One comment line's worth of text: no line breaks of any kind survive."""
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()


def docstring_lines(text: str, *, width: int = 0) -> list[str]:
    """Lines safe to place between triple double quotes (the quotes are the caller's).

    Backslashes are doubled and quote runs broken up, so neither an escape sequence
    nor a closing ``\"\"\"`` can come from the spec.
    """
    del width
    text = _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n"))
    text = _CONTROL.sub("", text).replace("\\", "\\\\").replace('"', '\\"')
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def docstring_block(lines: list[str], indent: str) -> str:
    """Triple-quoted docstring from lines already escaped by :func:`docstring_lines`."""
    if not lines:
        return ""
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    body = "\n".join(f"{indent}{line}" if line else "" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{body}\n{indent}"""'
