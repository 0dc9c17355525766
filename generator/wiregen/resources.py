"""Where wiregen's data files live: one locator for a wheel and for a source checkout.

``templates/`` and ``schemas/`` sit at the top of the repository, outside the package.
A built wheel maps them into ``wiregen/_data/`` (hatch ``force-include``), but an
editable install or a plain ``PYTHONPATH=generator`` run only sees the checkout, so
both places are tried, the wheel's first: when ``_data`` exists it is the copy that
was shipped with this very version of the code.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_DATA_DIR = _PACKAGE_DIR / "_data"


def _source_root() -> Path | None:
    """The repository root, but only when this file really sits in ``generator/wiregen``.

    Without the check a broken install would happily pick up an unrelated
    ``templates/`` two levels above ``site-packages/wiregen``.
    """
    if _PACKAGE_DIR.parent.name != "generator":
        return None
    return _PACKAGE_DIR.parent.parent


def _locate(name: str) -> Path:
    candidates = [_DATA_DIR / name]
    root = _source_root()
    if root is not None:
        candidates.append(root / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    # A missing data directory is a packaging bug, not a user error: say where we looked.
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"wiregen data directory {name!r} not found (looked in {looked})")


def templates_dir() -> Path:
    """The top-level ``templates/`` directory (one folder per target inside)."""
    return _locate("templates")


def schemas_dir() -> Path:
    """The top-level ``schemas/`` directory (AsyncAPI, config and IR JSON Schemas)."""
    return _locate("schemas")


def schema_path(name: str) -> Path:
    """The path of one schema file, e.g. ``schema_path("config.schema.json")``."""
    # Callers pass literals, but a name with a separator would quietly reach outside
    # schemas/; refusing it keeps this function a lookup, not a path join.
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise ValueError(f"not a schema file name: {name!r}")
    path = schemas_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"wiregen schema {name!r} not found in {path.parent}")
    return path


def runtime_dir() -> Path:
    """The ``wiregen.runtime`` package, copied verbatim into every output as ``_runtime/``."""
    return _PACKAGE_DIR / "runtime"
