"""Reading two revisions of a .proto tree, fast.

Nearly all the time of a proto diff is protoc parsing both trees (single-threaded
C++), and then turning descriptors into IR. So:

* the old revision is compiled in a forked child process while this one compiles
  the new one (two cores, about the time of one compilation); the child sends back
  its descriptors, serialised per file, which is a copy of bytes rather than a
  pickle of an object graph;
* only declarations whose descriptors differ between the revisions become IR: a
  message, enum or service with byte-identical descriptors cannot differ, and in
  a year of googleapis most of them are untouched, even in files that changed.

Without fork (or on one core) both are compiled here, one after the other; the
result is the same.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from google.protobuf import descriptor_pb2

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan, error
from wiregen.diff.revision import Revision, UnderDirectory, as_is
from wiregen.frontends import proto
from wiregen.frontends.protoc import Compilation, compile_protos


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A compilation in a form that crosses a pipe cheaply."""

    files: tuple[bytes, ...]
    targets: tuple[str, ...]
    display: dict[str, str]
    diagnostics: tuple[Diagnostic, ...]

    @classmethod
    def of(cls, compiled: Compilation) -> _Compiled:
        return cls(
            files=tuple(f.SerializeToString(deterministic=True) for f in compiled.files),
            targets=compiled.targets,
            display=compiled.display,
            diagnostics=compiled.diagnostics,
        )

    def compilation(self) -> Compilation:
        parse = descriptor_pb2.FileDescriptorProto.FromString
        return Compilation(
            files=tuple(parse(raw) for raw in self.files),
            targets=self.targets,
            python={},
            display=self.display,
            diagnostics=self.diagnostics,
        )


@dataclass(frozen=True, slots=True)
class _Tree:
    """One revision to compile: its .proto files and include roots."""

    path: Path
    label: str
    specs: tuple[Path, ...]
    roots: tuple[Path, ...]
    problem: Diagnostic | None

    @classmethod
    def of(cls, path: Path, includes: Sequence[Path], label: str) -> _Tree:
        if path.is_dir():
            specs = tuple(sorted(path.rglob("*.proto")))
            problem = None if specs else error("WG402", "no .proto files in this directory", SourceSpan(file=label))
            return cls(path, label, specs, (path, *includes), problem)
        if path.is_file():
            return cls(path, label, (path,), tuple(includes), None)
        return cls(path, label, (), (), error("WG402", "file or directory not found", SourceSpan(file=label)))

    def compile(self, display_base: Path) -> _Compiled:
        if self.problem is not None:
            return _Compiled((), (), {}, (self.problem,))
        return _Compiled.of(compile_protos(self.specs, self.roots, display_base=display_base, python=False))


def read_proto_pair(
    old: Path,
    new: Path,
    *,
    includes: Sequence[Path] = (),
    display_base: Path | None = None,
    labels: tuple[str, str] | None = None,
) -> tuple[Revision, Revision]:
    base = display_base or Path.cwd()
    old_label, new_label = labels or (old.as_posix(), new.as_posix())
    old_tree, new_tree = _Tree.of(old, includes, old_label), _Tree.of(new, includes, new_label)
    old_compiled, new_compiled = _compile_both(old_tree, new_tree, base)
    return _revisions((old_tree, old_compiled), (new_tree, new_compiled))


def _compile_both(old: _Tree, new: _Tree, base: Path) -> tuple[_Compiled, _Compiled]:
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return old.compile(base), new.compile(base)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(old, base, sender), daemon=True)
    child.start()
    sender.close()
    try:
        new_compiled = new.compile(base)
        try:
            old_compiled: _Compiled = receiver.recv()
        except EOFError:  # the child died (killed, out of memory): compile it here
            old_compiled = old.compile(base)
    finally:
        receiver.close()
        child.join()
    return old_compiled, new_compiled


def _child(tree: _Tree, base: Path, sender: Connection) -> None:
    sender.send(tree.compile(base))
    sender.close()


def _revisions(*sides: tuple[_Tree, _Compiled]) -> tuple[Revision, Revision]:
    (old_tree, old), (new_tree, new) = sides
    errors = [
        tuple(d for d in compiled.diagnostics if d.severity is Severity.ERROR) for _, compiled in sides
    ]
    if any(errors) or not old.files or not new.files:
        return (
            Revision(api=None, diagnostics=errors[0], label=old_tree.label, locate=as_is),
            Revision(api=None, diagnostics=errors[1], label=new_tree.label, locate=as_is),
        )
    old_compilation, new_compilation = old.compilation(), new.compilation()
    old_declarations, new_declarations = _declarations(old_compilation), _declarations(new_compilation)
    changed = frozenset(
        name
        for name in old_declarations.keys() | new_declarations.keys()
        if old_declarations.get(name) != new_declarations.get(name)
    )
    revisions = []
    for tree, compilation in ((old_tree, old_compilation), (new_tree, new_compilation)):
        # protoc's warnings (unused imports, ...) say nothing about compatibility.
        locate = UnderDirectory(tree.path) if tree.path.is_dir() else as_is
        api = proto.build_ir(compilation, only=changed)
        revisions.append(Revision(api=api, diagnostics=(), label=tree.label, locate=locate))
    return revisions[0], revisions[1]


def _declarations(compilation: Compilation) -> dict[str, bytes]:
    """Top-level message, enum and service -> its descriptor, serialised.

    Equal bytes mean equal IR (type references in descriptors are already resolved
    full names; positions and comments live apart, in the file's source info).
    """
    found = {}
    for file in compilation.files:
        # What a file says applies to all its declarations: proto2 vs proto3 decides
        # field presence, editions decide features, so they are part of the key.
        context = f"{file.syntax}\0{file.edition}\0{file.package}\0".encode()
        for name, item in proto.top_level(file):
            found[name] = context + item.SerializeToString(deterministic=True) + file.options.SerializeToString(
                deterministic=True
            )
    return found
