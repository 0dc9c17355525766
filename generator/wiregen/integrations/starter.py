"""``wiregen init``: a starter ``[tool.wiregen]`` table, appended to pyproject.toml.

It suggests one job per spec it finds below the working directory (OpenAPI
documents, recognised by their ``openapi:`` field rather than their name) and never
rewrites anything already in the file: the table is appended as text, so comments
and formatting of the rest stay byte for byte as they were.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_SKIP_DIRS = frozenset({"node_modules", "venv", "build", "dist", "site-packages", "__pycache__"})
_MAX_DEPTH = 4
_MAX_SPECS = 20
_HEAD_BYTES = 4096
# The version field sits near the top of nearly every spec; reading only the head
# keeps a scan of a large repository cheap.
_OPENAPI = re.compile(rb"""(?m)^\s*["']?openapi["']?\s*:\s*["']?3\.|"openapi"\s*:\s*"3\.""")
_OTHER = re.compile(rb"""(?m)^\s*["']?(asyncapi|swagger)["']?\s*:|"(asyncapi|swagger)"\s*:""")
_GENERIC_NAMES = frozenset({"openapi", "swagger", "spec", "api", "schema", "index", "main"})


class StarterError(Exception):
    """Why init refused; the file was left untouched."""


@dataclass(frozen=True, slots=True)
class Found:
    specs: tuple[str, ...]
    """OpenAPI specs, POSIX paths relative to the project root."""
    unsupported: tuple[str, ...]
    """Specs wiregen cannot read yet (AsyncAPI, Swagger 2, .proto)."""


def find_specs(root: Path) -> Found:
    specs: list[str] = []
    unsupported: list[str] = []
    for path in _candidates(root, 0):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".proto":
            unsupported.append(rel)
            continue
        try:
            with path.open("rb") as handle:
                head = handle.read(_HEAD_BYTES)
        except OSError:
            continue
        if _OPENAPI.search(head):
            specs.append(rel)
        elif _OTHER.search(head):
            unsupported.append(rel)
        if len(specs) >= _MAX_SPECS:
            break
    return Found(tuple(specs), tuple(unsupported))


def _candidates(directory: Path, depth: int) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # .git, .venv, caches: never where a project keeps its contracts
        if entry.is_dir(follow_symlinks=False):
            if depth < _MAX_DEPTH and entry.name not in _SKIP_DIRS:
                yield from _candidates(Path(entry.path), depth + 1)
        elif entry.is_file() and entry.name.endswith((*_SPEC_SUFFIXES, ".proto")):
            yield Path(entry.path)


def package_for(spec: str, taken: set[str]) -> str:
    """An import name from the spec's file name (its directory's for generic names)."""
    path = Path(spec)
    stem = path.name.split(".", 1)[0]
    if stem.lower() in _GENERIC_NAMES:
        stem = path.parent.name or "api"
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "api"
    if name[0].isdigit():
        name = f"api_{name}"
    if keyword.iskeyword(name):
        name = f"{name}_api"
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name}_{number}", number + 1
    taken.add(unique)
    return unique


def starter_table(found: Found, *, has_src: bool) -> str:
    """The TOML text to append (starting with a blank line)."""
    lines = [
        "",
        "# wiregen: typed Python packages from API contracts. `wiregen generate` runs every",
        "# job below; `wiregen check` exits 1 when the committed output is stale.",
        "# Keys: spec, output, package, targets (models, http-client, http-server, ir),",
        "# templates (a directory of template overrides), allow-remote-refs, options.",
        "[tool.wiregen]",
    ]
    specs = found.specs
    if not specs:
        lines.append("# No OpenAPI spec was found here: point `spec` at yours.")
        specs = ("openapi.yaml",)
    taken: set[str] = set()
    for spec in specs:
        package = package_for(spec, taken)
        # Every job needs its own output directory (each keeps its own manifest).
        output = ("src" if has_src else "generated") if len(specs) == 1 else f"generated/{package}"
        lines += [
            "",
            "[[tool.wiregen.jobs]]",
            f"spec = {_toml_string(spec)}",
            f"output = {_toml_string(output)}",
            f"package = {_toml_string(package)}",
            'targets = ["models", "http-client", "http-server"]',
        ]
    if found.unsupported:
        lines += ["", "# Found, but not readable by this wiregen version yet:"]
        lines += [f"#   {rel}" for rel in found.unsupported]
    return "\n".join(lines) + "\n"


def add_to_pyproject(pyproject: Path, table: str) -> None:
    """Append ``table``; refuses (StarterError) when the file already configures wiregen."""
    try:
        text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise StarterError(f"cannot read {pyproject.name}: {exc}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StarterError(f"{pyproject.name} is not valid TOML ({exc}); fix it first") from exc
    tool = document.get("tool")
    if isinstance(tool, dict) and "wiregen" in tool:
        raise StarterError(f"{pyproject.name} already has a [tool.wiregen] table; leaving it alone")
    if text and not text.endswith("\n"):
        text += "\n"
    combined = text + (table if text else table.lstrip("\n"))
    tomllib.loads(combined)  # our own text must parse: a bug here must not break the file
    try:
        pyproject.write_text(combined, encoding="utf-8")
    except OSError as exc:
        raise StarterError(f"cannot write {pyproject.name}: {exc}") from exc


def _toml_string(value: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def relative_specs(specs: Sequence[Path], root: Path) -> tuple[str, ...]:
    """Specs named on the command line, as paths relative to the project root."""
    shown = []
    for spec in specs:
        absolute = Path(os.path.abspath(spec))
        try:
            shown.append(absolute.relative_to(root).as_posix())
        except ValueError:
            shown.append(absolute.as_posix())
    return tuple(shown)
