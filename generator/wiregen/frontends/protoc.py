"""Running protoc (the one bundled in grpcio-tools) in-process, and reading what it says.

One compilation parses the given ``.proto`` files and everything they import into a
``FileDescriptorSet`` with source info (so comments and positions survive), then
lets protoc's own Python generator write the ``_pb2.py`` modules of every file in
that closure from the very same descriptors. protoc reports problems on the
process's standard error (file descriptor 2, not ``sys.stderr``), so that is where
they are read from; each becomes a located diagnostic. For large inputs the Python
generator runs in a child process instead, alongside the rest (:class:`PythonJob`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan

SYNTAX = "WG401"
"""The text is not valid protobuf (protoc's parser gave up)."""
IMPORT = "WG402"
"""A file or an import cannot be found (under the include directories)."""
SEMANTIC = "WG403"
"""Valid syntax, invalid meaning: unknown types, duplicate names or numbers, bad options."""
PROTOC_WARNING = "WG404"
"""Something protoc accepts but warns about (an unused import, …)."""
UNSUPPORTED = "WG405"
"""A construct the grpc target cannot turn into Python (a keyword in a file path, …)."""

RUNTIME_PROVIDED = frozenset(
    f"google/protobuf/{name}.proto"
    for name in (
        "any", "api", "descriptor", "duration", "empty", "field_mask", "source_context",
        "struct", "timestamp", "type", "wrappers", "compiler/plugin",
    )
)
"""Well-known types whose ``_pb2`` modules ship with the protobuf runtime itself.
Generated code imports them from ``google.protobuf`` instead of carrying a copy."""

_LOCK = threading.Lock()
_LOCATED = re.compile(r"^(?P<file>[^:\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
_FILE_ONLY = re.compile(r"^(?P<file>[^:\n]+?): (?P<message>.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Compilation:
    files: tuple[descriptor_pb2.FileDescriptorProto, ...]
    """Every file of the closure, dependencies before dependents."""
    targets: tuple[str, ...]
    """Import names of the files asked for (the rest came in through imports)."""
    python: dict[str, str]
    """Import name -> protoc's ``_pb2.py`` text, for every file not provided by the runtime."""
    display: dict[str, str]
    """Import name -> how to show the file in messages (relative, never absolute)."""
    diagnostics: tuple[Diagnostic, ...]


def bundled_include() -> Path:
    """The well-known ``.proto`` files that come with grpcio-tools."""
    spec = importlib.util.find_spec("grpc_tools")
    if spec is None or spec.origin is None:
        raise RuntimeError("grpcio-tools is not installed; wiregen needs it to read .proto files")
    return Path(spec.origin).resolve().parent / "_proto"


def import_name(spec: Path, includes: Sequence[Path]) -> tuple[str, Path] | None:
    """The name protoc knows ``spec`` by (``a/v1/x.proto``) and the root it is under."""
    return _name_under(spec.resolve(), [root.resolve() for root in includes])


def _name_under(resolved: Path, roots: Sequence[Path]) -> tuple[str, Path] | None:
    """:func:`import_name` for a resolved path and resolved roots (resolving a path costs
    a system call per component: for 137 files and 5 roots that was 20 ms)."""
    for base in roots:
        if resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix(), base
    return None


_PACKAGE_LINE = re.compile(rb"^\s*package\s+([A-Za-z_][\w.]*)\s*;", re.MULTILINE)


def inferred_root(spec: Path) -> Path:
    """The include root of a file given without ``-I``: where its path matches its package.

    ``api/acme/shop/v1/shop.proto`` declaring ``package acme.shop.v1`` is rooted at
    ``api/``, so that its imports of ``acme/common/v1/…`` resolve as they do for protoc
    users who pass ``-I api``. Without a matching package, its own directory.
    """
    directory = spec.resolve().parent
    try:
        head = spec.read_bytes()[:65536]
    except OSError:
        return directory
    found = _PACKAGE_LINE.search(head)
    if found is None:
        return directory
    parts = found.group(1).decode("ascii").split(".")
    if list(directory.parts[-len(parts):]) == parts:
        return Path(*directory.parts[: -len(parts)])
    return directory


def compile_protos(
    specs: Sequence[Path], includes: Sequence[Path], *, display_base: Path, python: bool = True
) -> Compilation:
    """Parse ``specs`` (and their imports) and generate their ``_pb2.py`` modules.

    With ``python=False`` only the descriptors are made (``Compilation.python`` is empty).
    """
    roots = _roots(specs, includes)
    names: list[str] = []
    diagnostics: list[Diagnostic] = []
    for spec in specs:
        found = _name_under(spec.resolve(), roots)
        if found is None:  # cannot happen for roots from _roots; kept for explicit includes
            diagnostics.append(
                _error(IMPORT, f"{_show(spec, display_base)} is not under any include directory", None)
            )
            continue
        if found[0] not in names:
            names.append(found[0])
    display = _Display(roots, display_base)
    if diagnostics:
        return Compilation(files=(), targets=(), python={}, display={}, diagnostics=tuple(diagnostics))
    with tempfile.TemporaryDirectory(prefix="wiregen-protoc-") as tmp:
        descriptor_path = Path(tmp) / "set.binpb"
        includes_args = [f"-I{root}" for root in roots]
        args = [*includes_args, "--include_imports", "--include_source_info", f"--descriptor_set_out={descriptor_path}"]
        python_args = [f"--python_out={Path(tmp) / _TARGETS_ZIP}"] if python else []
        code, messages = _run([*args, *python_args, *names])
        diagnostics.extend(_parse_messages(messages, display))
        if code != 0 or any(d.severity is Severity.ERROR for d in diagnostics):
            if not any(d.severity is Severity.ERROR for d in diagnostics):
                diagnostics.append(_error(SEMANTIC, f"protoc failed: {messages.strip() or 'no message'}", None))
            return Compilation(files=(), targets=tuple(names), python={}, display={}, diagnostics=tuple(diagnostics))
        file_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor_path.read_bytes())
        files = tuple(file_set.file)
        if python:
            unusable = [_unusable_name(f.name, display) for f in files if not _PYTHON_SAFE_NAME.fullmatch(f.name)]
            if unusable:
                diagnostics.extend(unusable)
                return Compilation(files=(), targets=tuple(names), python={}, display={}, diagnostics=tuple(diagnostics))
        modules = _python_modules(files, names, includes_args, Path(tmp), diagnostics) if python else {}
    return Compilation(
        files=files,
        targets=tuple(names),
        python=modules,
        display={f.name: display.show(f.name) for f in files},
        diagnostics=tuple(diagnostics),
    )


# protoc's Python generator copies a file's name, unescaped, into a comment, into string
# literals and into import statements of the modules it writes. A name made of these
# characters cannot break out of any of them.
_PYTHON_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")


def _unusable_name(name: str, display: _Display) -> Diagnostic:
    return _error(
        UNSUPPORTED,
        f"the file name {name!r} cannot be used: protoc's Python generator copies it into code "
        "unescaped, so only letters, digits and _ - . / are accepted",
        SourceSpan(file=display.show(name)),
        "rename the file (and the imports of it)",
    )


def _roots(specs: Sequence[Path], includes: Sequence[Path]) -> list[Path]:
    """Include directories in order: the user's, then inferred roots, then the bundled WKTs."""
    roots: list[Path] = []
    for root in includes:
        if root.resolve() not in roots:
            roots.append(root.resolve())
    for spec in specs:
        if _name_under(spec.resolve(), roots) is None:
            root = inferred_root(spec)
            if root not in roots:
                roots.append(root)
    bundled = bundled_include()
    if bundled not in roots:
        roots.append(bundled)
    return roots


# protoc's Python generator writes into a zip archive when told to: one file to create,
# read and delete instead of a tree of them (137 modules for aiplatform: 0.09 s less).
_TARGETS_ZIP = "targets.zip"
_IMPORTS_ZIP = "imports.zip"


def _python_modules(
    files: Sequence[descriptor_pb2.FileDescriptorProto],
    targets: Sequence[str],
    includes_args: Sequence[str],
    tmp: Path,
    diagnostics: list[Diagnostic],
) -> dict[str, str]:
    """protoc's ``_pb2.py`` of every file of the closure not provided by the runtime.

    The targets' modules came with the first run (``tmp/targets.zip``); imported files
    are generated from their sources as well (not from the descriptor set, whose files
    carry explicit JSON names), so every module embeds exactly the bytes plain protoc
    would: a file registered twice in one process must be identical both times.
    """
    wanted = [f.name for f in files if f.name not in RUNTIME_PROVIDED]
    missing = [name for name in wanted if name not in targets]
    if missing:
        code, messages = _run([*includes_args, f"--python_out={tmp / _IMPORTS_ZIP}", *missing])
        if code != 0:
            diagnostics.append(_error(SEMANTIC, f"protoc's Python generator failed: {messages.strip()}", None))
            return {}
    return _read_modules([tmp / _TARGETS_ZIP, tmp / _IMPORTS_ZIP], wanted)


def _read_modules(archives: Sequence[Path], names: Sequence[str]) -> dict[str, str]:
    """The modules of ``names`` from the archives protoc wrote (the first that has each)."""
    found: dict[str, str] = {}
    for archive in archives:
        if not archive.is_file():
            continue
        with zipfile.ZipFile(archive) as zipped:
            entries = set(zipped.namelist())
            for name in names:
                entry = name[: -len(".proto")].replace("-", "_") + "_pb2.py"
                if name not in found and entry in entries:
                    found[name] = zipped.read(entry).decode("utf-8")
    return {name: found[name] for name in names}


# ---------------------------------------------------------------- in parallel

# Below this much .proto source, a second process costs more than it saves: it parses
# the files again and needs a core of its own. On the 2-core benchmark host, busy with
# other work, it paid for googleapis-compute (4 MB, 0.5 s of the generator's time) and
# not for googleapis-aiplatform (1.5 MB in 137 files, 0.2 s).
_PARALLEL_SOURCE_BYTES = 2_000_000
# The child: protoc's Python generator, nothing else (no site, no environment).
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from grpc_tools import protoc; sys.exit(protoc.main(['protoc', *sys.argv[2:]]))"


class PythonJob:
    """protoc's Python generator for the given files, running in a child process.

    For a large API, generating the ``_pb2.py`` modules takes about as long as making
    the descriptors; started first, the child works while this process makes the
    descriptors, the IR and the rest of the output, and :meth:`modules` collects what
    it wrote. The child parses the files again (the price of not waiting for the
    descriptors); it writes exactly what the single run of :func:`compile_protos`
    would, from the same sources. Imported files outside the targets are generated
    here afterwards, as there.
    """

    def __init__(self, process: subprocess.Popen[bytes], tmp: Path, names: list[str], includes_args: list[str], display: _Display) -> None:
        self._process = process
        self._tmp = tmp
        self._names = names
        self._includes_args = includes_args
        self._display = display

    @classmethod
    def start(cls, specs: Sequence[Path], includes: Sequence[Path], *, display_base: Path) -> PythonJob | None:
        """The job, or None where a second process does not pay (small input, one core)."""
        if not _worth_a_process(specs):
            return None
        roots = _roots(specs, includes)
        found = [_name_under(spec.resolve(), roots) for spec in specs]
        if any(f is None for f in found):
            return None  # compile_protos reports it
        names = list(dict.fromkeys(f[0] for f in found if f is not None))
        includes_args = [f"-I{root}" for root in roots]
        grpc_tools = importlib.util.find_spec("grpc_tools")
        if grpc_tools is None or grpc_tools.origin is None or not sys.executable:
            return None
        tmp = Path(tempfile.mkdtemp(prefix="wiregen-protoc-"))
        command = [sys.executable, "-S", "-E", "-c", _CHILD, str(Path(grpc_tools.origin).parent.parent)]
        try:
            with (tmp / "stderr").open("wb") as errors:
                process = subprocess.Popen(
                    [*command, *includes_args, f"--python_out={tmp / _TARGETS_ZIP}", *names],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                )
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return None
        return cls(process, tmp, names, includes_args, _Display(roots, display_base))

    def modules(self, closure: Sequence[str]) -> tuple[dict[str, str], list[Diagnostic]]:
        """protoc's module of every file of ``closure`` not provided by the runtime.

        Waits for the child. File names protoc would copy into code unescaped are
        refused (as in :func:`compile_protos`); should the child have failed, its work
        is done here. On error, the texts are empty (and the diagnostics say why).
        """
        wanted = [name for name in closure if name not in RUNTIME_PROVIDED]
        diagnostics = [_unusable_name(name, self._display) for name in closure if not _PYTHON_SAFE_NAME.fullmatch(name)]
        try:
            if diagnostics:
                return dict.fromkeys(wanted, ""), diagnostics
            archives = [self._tmp / _TARGETS_ZIP, self._tmp / _IMPORTS_ZIP]
            missing = [name for name in wanted if name not in self._names]
            if self._process.wait() != 0:  # not seen in practice: protoc failed in the child only
                archives, missing = archives[1:], wanted
            if missing:
                code, messages = _run([*self._includes_args, f"--python_out={archives[-1]}", *missing])
                if code != 0:
                    diagnostics.append(_error(SEMANTIC, f"protoc's Python generator failed: {messages.strip()}", None))
                    return dict.fromkeys(wanted, ""), diagnostics
            return _read_modules(archives, wanted), diagnostics
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the child (if it still runs) and remove what it wrote."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        shutil.rmtree(self._tmp, ignore_errors=True)


class PendingModules(Mapping[str, str]):
    """The modules of a :class:`PythonJob`, collected when first read (so whatever the
    caller does before that overlaps the child's work)."""

    def __init__(self, job: PythonJob, closure: Sequence[str]) -> None:
        self._job = job
        self._closure = tuple(closure)
        self._collected: tuple[dict[str, str], list[Diagnostic]] | None = None

    def _modules(self) -> dict[str, str]:
        if self._collected is None:
            self._collected = self._job.modules(self._closure)
        return self._collected[0]

    def __getitem__(self, name: str) -> str:
        return self._modules()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules())

    def __len__(self) -> int:
        return len(self._modules())

    def __bool__(self) -> bool:
        # Truth-testing must not wait for the child (``python_sources or {}`` does it
        # before any module is needed); an empty result reads the same either way.
        return True

    def diagnostics(self) -> list[Diagnostic]:
        """What went wrong making the modules (collecting them first if need be)."""
        self._modules()
        assert self._collected is not None
        return self._collected[1]


def _worth_a_process(specs: Sequence[Path]) -> bool:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return False
    size = 0
    for spec in specs:
        try:
            size += spec.stat().st_size
        except OSError:
            return False
    return size >= _PARALLEL_SOURCE_BYTES


def _run(args: list[str]) -> tuple[int, str]:
    """protoc's exit code and everything it wrote to standard error."""
    protoc: Any = importlib.import_module("grpc_tools.protoc")  # ships no type information
    with _LOCK, _captured_stderr() as read:
        code = protoc.main(["protoc", *args])
    return int(code), read()


@contextmanager
def _captured_stderr() -> Iterator[_Reader]:
    """Point file descriptor 2 at a temporary file for the duration (protoc is C++)."""
    reader = _Reader()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield reader
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            reader.text = sink.read().decode("utf-8", "replace")


class _Reader:
    __slots__ = ("text",)

    def __init__(self) -> None:
        self.text = ""

    def __call__(self) -> str:
        return self.text


class _Display:
    """Import names -> paths to show: relative to where wiregen runs, else the import name."""

    def __init__(self, roots: Sequence[Path], base: Path) -> None:
        self._roots = roots
        self._base = base.resolve()
        self._bundled = bundled_include()

    def show(self, name: str) -> str:
        """``name`` is an import name (descriptors) or the path protoc read (its messages)."""
        given = Path(name)
        candidates = [given] if given.is_absolute() else [root / name for root in self._roots]
        for candidate in candidates:
            if not candidate.is_file():
                continue
            absolute = candidate.resolve()
            if absolute.is_relative_to(self._base) and not absolute.is_relative_to(self._bundled):
                return absolute.relative_to(self._base).as_posix()
            # Outside the working directory the import name says more than a bare file name.
            for root in self._roots:
                if absolute.is_relative_to(root):
                    return absolute.relative_to(root).as_posix()
        return name


def _show(path: Path, base: Path) -> str:
    absolute = path.resolve()
    if absolute.is_relative_to(base):
        return absolute.relative_to(base).as_posix()
    return path.name


def _parse_messages(text: str, display: _Display) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        located = _LOCATED.match(line)
        if located is not None:
            span = SourceSpan(
                file=display.show(located["file"]), line=int(located["line"]), col=int(located["col"])
            )
            found.append(_classified(located["message"], span))
            continue
        file_only = _FILE_ONLY.match(line)
        if file_only is not None and file_only["file"].endswith(".proto"):
            found.append(_classified(file_only["message"], SourceSpan(file=display.show(file_only["file"]))))
            continue
        found.append(_classified(line, None))
    return found


def _classified(message: str, span: SourceSpan | None) -> Diagnostic:
    if message.startswith("warning: "):
        return Diagnostic(severity=Severity.WARNING, code=PROTOC_WARNING, message=message[len("warning: "):], span=span)
    lowered = message.lower()
    if "not found" in lowered or "no such file" in lowered or "does not reside" in lowered:
        hint = "add the directory the import is relative to with -I (or `include` in [tool.wiregen])"
        return _error(IMPORT, message, span, hint)
    if lowered.startswith(("expected", "unexpected", "missing", "invalid", "unterminated")) or "syntax" in lowered:
        return _error(SYNTAX, message, span)
    return _error(SEMANTIC, message, span)


def _error(code: str, message: str, span: SourceSpan | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, span=span, hint=hint)
