"""The incremental cache: a job whose inputs did not change does no work.

What a job's output depends on, and how each part is checked on the next run:

- the spec and every file its ``$ref``s or imports reached (``GenerateResult.inputs``): by
  content digest. The set of files is the one the last run read; it cannot have
  changed unless one of those files did, since they alone decide which refs exist;
- the job (spec, output, package, targets, options), the working directory (which
  decides how paths in messages read), wiregen's version, the Python version, the
  installed wiregen code and templates (by size and mtime, so an edited checkout or
  a reinstall invalidates) and the template overrides (by content): one key digest;
- the output: the manifest must be the one this cache saw written, and every file it
  lists must still be on disk with the digest the manifest records. A hand-edited or
  deleted generated file therefore makes the next run do the work (and ``check`` fail).

Entries live in ``.wiregen_cache/`` beside the pyproject.toml, not in the output
directory: output is usually committed, and an entry holds machine-specific data
(absolute paths, mtimes) that must never be. The directory ignores itself for git,
as pytest's and ruff's caches do. A missing, unreadable or corrupt entry is a miss:
the cache can only ever save work, never change a result.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wiregen import __version__
from wiregen.diagnostics import Diagnostic
from wiregen.integrations.serial import diagnostic_from_json, diagnostic_to_json

if TYPE_CHECKING:
    from wiregen.pipeline import GenerateRequest

FORMAT = 1
DIR_NAME = ".wiregen_cache"
DIR_ENV = "WIREGEN_CACHE_DIR"
"""Overrides where entries are kept (CI caches, read-only checkouts)."""
MANIFEST_NAME = ".wiregen-manifest.json"
"""emit's manifest file name. Repeated rather than imported: importing ``wiregen.emit``
loads the whole emit stage, which a no-op run never needs."""

_CHUNK = 1 << 20
_GITIGNORE = "# Created by wiregen: the cache is per machine and never committed.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by wiregen.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


@dataclass(frozen=True, slots=True)
class Hit:
    files: tuple[str, ...]
    """The generated files (output-relative), as the manifest lists them."""
    diagnostics: tuple[Diagnostic, ...]
    """The warnings of the run that filled the entry, to be shown again."""


@dataclass(frozen=True, slots=True)
class Miss:
    reason: str
    """Why the work has to be done, for ``--verbose``."""


def default_directory(project_root: Path) -> Path:
    configured = os.environ.get(DIR_ENV)
    return Path(configured) if configured else project_root / DIR_NAME


class JobCache:
    """The cache entry of one job (one output directory)."""

    def __init__(self, directory: Path, request: GenerateRequest, output: Path) -> None:
        self.output = Path(os.path.abspath(output))
        name = hashlib.sha256(os.fsencode(self.output)).hexdigest()[:32]
        self.path = directory / f"{name}.json"
        self._directory = directory
        self._key = job_key(request, self.output)

    def lookup(self) -> Hit | Miss:
        entry = self._read_entry()
        if entry is None:
            return Miss("no cache entry")
        if entry.get("key") != self._key:
            return Miss("job, wiregen or templates changed")
        inputs = entry.get("inputs")
        if not isinstance(inputs, dict) or not inputs:
            return Miss("cache entry is corrupt")
        for name, digest in inputs.items():
            if file_digest(Path(name)) != digest:
                return Miss(f"{name} changed")
        files = _intact_output(self.output, entry.get("manifest"))
        if files is None:
            return Miss("generated output changed on disk")
        raw = entry.get("diagnostics")
        diagnostics = [diagnostic_from_json(d) for d in raw] if isinstance(raw, list) else [None]
        if any(d is None for d in diagnostics):
            return Miss("cache entry is corrupt")
        return Hit(files=files, diagnostics=tuple(d for d in diagnostics if d is not None))

    def store(
        self,
        inputs: Iterable[Path],
        diagnostics: Iterable[Diagnostic],
        *,
        before: Mapping[Path, str | None],
    ) -> bool:
        """Record a run whose output is now on disk; whether an entry was written.

        ``before`` holds digests taken before the run: a file that changed while the
        run read it would otherwise be recorded with content the output does not
        reflect. Inputs that are not local files (remote ``$ref``s) cannot be
        checked cheaply, so such a job is never cached.
        """
        digests: dict[str, str] = {}
        for path in inputs:
            absolute = Path(os.path.abspath(path))
            digest = file_digest(absolute)
            if digest is None or before.get(absolute, digest) != digest:
                self.forget()
                return False
            digests[str(absolute)] = digest
        manifest = file_digest(self.output / MANIFEST_NAME)
        if manifest is None or not digests:
            self.forget()
            return False
        entry = {
            "format": FORMAT,
            "key": self._key,
            "inputs": dict(sorted(digests.items())),
            "manifest": manifest,
            "diagnostics": [diagnostic_to_json(d) for d in diagnostics],
        }
        try:
            _ensure_directory(self._directory)
            _write_atomic(self.path, json.dumps(entry, indent=1, sort_keys=True).encode())
        except OSError:
            return False  # a read-only checkout still works, only without the speed-up
        return True

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _read_entry(self) -> dict[str, Any] | None:
        try:
            entry = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        return entry


def file_digest(path: Path) -> str | None:
    """sha256 of a regular file's bytes; None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            digest = hashlib.sha256()
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def job_key(request: GenerateRequest, output: Path) -> str:
    """One digest of everything but the input files that decides a job's output."""
    templates = request.options.get("templates")
    document = {
        "format": FORMAT,
        "wiregen": __version__,
        "python": sys.version,
        "tool": tool_fingerprint(),
        "cwd": os.getcwd(),
        "job": {
            "spec": os.path.abspath(request.spec),
            "spec_display": request.spec_display,
            "package": request.package,
            "targets": [str(target) for target in request.targets],
            "allow_remote_refs": request.allow_remote_refs,
            "output": str(output),
            "options": _plain(request.options),
            "includes": [os.path.abspath(p) for p in request.includes],
            "specs": [os.path.abspath(p) for p in request.specs],
        },
        "protoc": _protoc_versions() if request.spec.suffix == ".proto" else None,
        "templates": _tree_digest(Path(templates), by_content=True)
        if isinstance(templates, str | Path)
        else None,
    }
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _protoc_versions() -> list[str | None]:
    """protoc (grpcio-tools) and protobuf write part of a .proto job's output, so their
    versions are part of its key. Only asked for .proto jobs: the metadata lookup costs
    a few milliseconds that an OpenAPI no-op run need not pay."""
    from importlib import metadata

    versions: list[str | None] = []
    for name in ("grpcio-tools", "protobuf"):
        try:
            versions.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            versions.append(None)
    return versions


@functools.cache
def tool_fingerprint() -> str:
    """The installed wiregen: its code, templates and schemas, by size and mtime.

    The version alone would miss an edited source checkout or editable install,
    where the code changes and the version does not. Stat is enough here (these are
    not user inputs) and costs about a millisecond for the whole tree.
    """
    from wiregen import resources

    roots = [Path(__file__).resolve().parent.parent]
    for locate in (resources.templates_dir, resources.schemas_dir):
        try:
            located = locate()
        except FileNotFoundError:
            continue
        if not located.is_relative_to(roots[0]):
            roots.append(located)
    digest = hashlib.sha256(__version__.encode())
    for root in roots:
        digest.update(_tree_digest(root, by_content=False).encode())
    return digest.hexdigest()


def _tree_digest(root: Path, *, by_content: bool) -> str:
    digest = hashlib.sha256(os.fsencode(root))
    for rel, entry in _walk(root):
        digest.update(os.fsencode(rel) + b"\0")
        if by_content:
            digest.update((file_digest(Path(entry.path)) or "-").encode())
        else:
            info = entry.stat(follow_symlinks=True)
            digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def _walk(root: Path, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Files below ``root`` in a stable order, bytecode caches left out."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__" or entry.name.endswith(".pyc"):
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _walk(Path(entry.path), rel + "/")
        elif entry.is_file():
            yield rel, entry


def _intact_output(output: Path, recorded: object) -> tuple[str, ...] | None:
    """The files of the manifest when it and they are exactly as last recorded."""
    try:
        data = (output / MANIFEST_NAME).read_bytes()
    except OSError:
        return None
    if not isinstance(recorded, str) or hashlib.sha256(data).hexdigest() != recorded:
        return None
    try:
        files = json.loads(data)["files"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(files, dict):
        return None
    # Only real files reached without symlinks count: whatever emit would have to
    # look at more carefully is left to a full run.
    present = {rel: entry for rel, entry in _walk_no_links(output)}
    for rel, digest in files.items():
        entry = present.get(rel)
        if entry is None or file_digest(Path(entry)) != digest:
            return None
    return tuple(sorted(files))


def _walk_no_links(root: Path, prefix: str = "") -> Iterator[tuple[str, str]]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        rel = f"{prefix}{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_no_links(Path(entry.path), rel + "/")
        elif entry.is_file(follow_symlinks=False):
            yield rel, entry.path


def _plain(value: object) -> object:
    """Options (frozen mappings and tuples) as JSON values, for the key."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return os.path.abspath(value)
    return value


def _ensure_directory(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
        marker = directory / name
        if not marker.exists():
            _write_atomic(marker, text.encode())


def _write_atomic(path: Path, data: bytes) -> None:
    # Two runs (pytest -n, parallel hooks) may write one entry at once; each reader
    # sees a whole entry, and the last writer wins, which is as good as the first.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
