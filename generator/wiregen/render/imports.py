"""Import blocks and name lists in the order linters expect (isort / ruff defaults).

Generated code must pass ``ruff check`` with its default rules, which include import
sorting (I001) and sorted ``__all__`` (RUF022); computing the order here keeps the
templates free of logic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_THIRD_PARTY = ("fastapi", "httpx", "pydantic", "grpc", "google", "faststream")
_DIGITS = re.compile(r"(\d+)")


def import_block(lines: Iterable[str]) -> list[str]:
    """Group ``import x as _y`` / ``from .a import b`` lines: stdlib, third party, local.

    Returns the lines with a blank line (``""``) between groups.
    """
    stdlib: list[str] = []
    third: list[str] = []
    local: list[str] = []
    for line in set(lines):
        module = line.split()[1]
        if module.startswith("."):
            local.append(line)
        elif module.split(".")[0] in _THIRD_PARTY:
            third.append(line)
        else:
            stdlib.append(line)
    groups = [sorted(g, key=_import_key) for g in (stdlib, third, local) if g]
    result: list[str] = []
    for group in groups:
        if result:
            result.append("")
        result.extend(group)
    return result


def _import_key(line: str) -> tuple[int, str, list[object]]:
    # Within a group ruff's default puts `import x` lines before `from x import y` lines,
    # orders by module, and several imports from one module by what they import.
    parts = line.split()
    imported = line.partition(" import ")[2]
    names = " ".join(imported.replace("(", " ").replace(")", " ").replace(",", " ").split())
    return (0 if parts[0] == "import" else 1, parts[1].lower(), _natural(names.lower()))


def sort_all(names: Iterable[str]) -> list[str]:
    """Order of ruff's RUF022: CONSTANTS, then Classes, then the rest; natural sort within."""
    return sorted(set(names), key=_member_key)


def sort_imported(names: Iterable[str]) -> list[str]:
    """Order of names inside ``from x import (...)``: by type, then case-insensitive natural."""
    return sorted(set(names), key=lambda n: (_category(n), _natural(n.lower()), n))


def _category(name: str) -> int:
    if len(name) > 1 and name.isupper():
        return 0
    if name[:1].isupper():
        return 1
    return 2


def _member_key(name: str) -> tuple[int, list[object]]:
    return (_category(name), _natural(name))


def _natural(text: str) -> list[object]:
    """``Get2`` before ``Get10``: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(text)]


def from_import(module: str, names: Iterable[str], *, indent: str = "", line_length: int = 88) -> str:
    """``from module import a, b`` on one line when it fits, else one name per line.

    ``indent`` is where the statement stands (inside a function body, say); it is part
    of the line length and of the continuation lines, but not of the returned first line.
    """
    ordered = sort_imported(names)
    single = f"from {module} import {', '.join(ordered)}"
    if len(indent) + len(single) <= line_length:
        return single
    return f"from {module} import (\n" + "".join(f"{indent}    {n},\n" for n in ordered) + f"{indent})"
