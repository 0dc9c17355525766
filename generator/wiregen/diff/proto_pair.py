"""Reading two revisions of a .proto tree, fast.

Nearly all the time of a proto diff is protoc parsing both trees (single-threaded
C++), and then turning descriptors into IR. So:

* the old revision is compiled in a forked child process while this one compiles
  the new one (two cores, about the time of one compilation);
* only declarations whose descriptors differ between the revisions become IR: a
  message, enum or service with byte-identical descriptors cannot differ, and in
  a year of googleapis most of them are untouched, even in files that changed. The
  two processes swap digests of their declarations to agree on which those are,
  each makes the IR of its own revision, and only the old IR (small) crosses back.

Before either, only the files whose text or imports differ are kept for compiling
(:mod:`wiregen.diff.proto_closure`): a change to one file of a large tree compiles
that file and what depends on it, not the tree.

Without fork (or on one core) both are compiled here, one after the other; the
result is the same.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from wiregen.diagnostics import Diagnostic, Severity, SourceSpan, error
from wiregen.diff.proto_closure import changed_files
from wiregen.diff.revision import Revision, UnderDirectory, as_is
from wiregen.frontends import proto
from wiregen.frontends.protoc import Compilation, bundled_include, compile_protos
from wiregen.ir import model as ir


@dataclass(frozen=True, slots=True)
class _Tree:
    """One revision to compile: its .proto files and include roots."""

    path: Path
    label: str
    specs: tuple[Path, ...]
    roots: tuple[Path, ...]
    problem: Diagnostic | None
    display_base: Path = Path()
    """Where displayed paths are relative to (a checkout's root for a git revision)."""

    def names(self) -> dict[str, Path]:
        """Import name -> file, for a directory revision (its own include root)."""
        return {spec.relative_to(self.path).as_posix(): spec for spec in self.specs} if self.path.is_dir() else {}

    def only(self, names: frozenset[str]) -> _Tree:
        """The same revision, compiling only the files named (their imports come along)."""
        specs = tuple(spec for name, spec in self.names().items() if name in names)
        return _Tree(self.path, self.label, specs, self.roots, self.problem, self.display_base)

    @classmethod
    def of(cls, path: Path, includes: Sequence[Path], label: str, display_base: Path) -> _Tree:
        if path.is_dir():
            specs = tuple(sorted(path.rglob("*.proto")))
            problem = None if specs else error("WG402", "no .proto files in this directory", SourceSpan(file=label))
            return cls(path, label, specs, (path, *includes), problem, display_base)
        if path.is_file():
            return cls(path, label, (path,), tuple(includes), None, display_base)
        problem = error("WG402", "file or directory not found", SourceSpan(file=label))
        return cls(path, label, (), (), problem, display_base)



class _Side:
    """One revision's half of the work: compile; fingerprint every top-level declaration;
    then, told which declarations differ from the other revision, make their IR."""

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self.compilation: Compilation | None = None
        self.errors: tuple[Diagnostic, ...] = (tree.problem,) if tree.problem else ()
        self.empty = tree.problem is None and not tree.specs
        """Nothing of this revision can differ from the other: no protoc run at all."""
        if tree.problem is None and tree.specs:
            compiled = compile_protos(tree.specs, tree.roots, display_base=tree.display_base, python=False)
            # protoc's warnings (unused imports, ...) say nothing about compatibility.
            self.errors = tuple(d for d in compiled.diagnostics if d.severity is Severity.ERROR)
            self.compilation = compiled if compiled.files and not self.errors else None

    @property
    def ready(self) -> bool:
        return self.compilation is not None or self.empty

    def fingerprints(self) -> dict[str, bytes]:
        return {} if self.compilation is None else _declarations(self.compilation)

    def api(self, changed: frozenset[str]) -> ir.Api:
        if self.compilation is None:
            return ir.Api(name="", version="", source_format="proto", span=SourceSpan(file=self.tree.label))
        return proto.build_ir(self.compilation, only=changed)

    def revision(self, api: ir.Api | None) -> Revision:
        locate = UnderDirectory(self.tree.path) if self.tree.path.is_dir() else as_is
        return Revision(api=api, diagnostics=self.errors, label=self.tree.label, locate=locate)


def _changed(old: dict[str, bytes], new: dict[str, bytes]) -> frozenset[str]:
    return frozenset(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def read_proto_pair(
    old: Path,
    new: Path,
    *,
    includes: Sequence[Path] = (),
    old_includes: Sequence[Path] | None = None,
    display_bases: tuple[Path, Path] | None = None,
    labels: tuple[str, str] | None = None,
) -> tuple[Revision, Revision]:
    """Both revisions' IR; ``old_includes`` and ``display_bases`` for an old revision read
    from a checkout (see :func:`wiregen.diff.revision.checkout`)."""
    old_base, new_base = display_bases or (Path.cwd(), Path.cwd())
    old_label, new_label = labels or (old.as_posix(), new.as_posix())
    old_tree = _Tree.of(old, includes if old_includes is None else old_includes, old_label, old_base)
    new_tree = _Tree.of(new, includes, new_label, new_base)
    if old.is_dir() and new.is_dir() and old_tree.problem is None and new_tree.problem is None:
        # Only files whose text or imports changed can differ: compile just those.
        bundled = (bundled_include(),)
        changed = changed_files(
            old_tree.names(), (*old_tree.roots, *bundled), new_tree.names(), (*new_tree.roots, *bundled)
        )
        old_tree, new_tree = old_tree.only(changed), new_tree.only(changed)
    if (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods():
        return _in_parallel(old_tree, new_tree)
    return _in_turn(old_tree, new_tree)


def _in_turn(old_tree: _Tree, new_tree: _Tree) -> tuple[Revision, Revision]:
    old, new = _Side(old_tree), _Side(new_tree)
    if not old.ready or not new.ready:
        return old.revision(None), new.revision(None)
    changed = _changed(old.fingerprints(), new.fingerprints())
    return old.revision(old.api(changed)), new.revision(new.api(changed))


def _in_parallel(old_tree: _Tree, new_tree: _Tree) -> tuple[Revision, Revision]:
    """The old revision in a forked child, the new one here; they meet twice: to agree on
    what changed (fingerprints one way, the changed names back), and for the old IR."""
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe(duplex=True)
    child = context.Process(target=_child, args=(old_tree, there), daemon=True)
    child.start()
    there.close()
    try:
        new = _Side(new_tree)
        try:
            old_errors, old_fingerprints = here.recv()
            if old_fingerprints is None or not new.ready:
                here.send(None)
                old_revision = Revision(api=None, diagnostics=old_errors, label=old_tree.label, locate=as_is)
                return old_revision, new.revision(None)
            changed = _changed(old_fingerprints, new.fingerprints())
            here.send(changed)
            new_api = new.api(changed)
            old_revision = here.recv()
        except (EOFError, OSError):  # the child died (killed, out of memory): do it here
            return _in_turn(old_tree, new_tree)
    finally:
        here.close()
        child.join()
    return old_revision, new.revision(new_api)


def _child(tree: _Tree, parent: Connection) -> None:
    side = _Side(tree)
    parent.send((side.errors, side.fingerprints() if side.ready else None))
    changed = parent.recv()
    if changed is not None:
        parent.send(side.revision(side.api(changed)))
    parent.close()


def _declarations(compilation: Compilation) -> dict[str, bytes]:
    """Top-level message, enum and service -> a digest of its descriptor, serialised.

    Equal digests mean equal IR (type references in descriptors are already resolved
    full names; positions and comments live apart, in the file's source info).
    """
    found = {}
    for file in compilation.files:
        # What a file says applies to all its declarations: proto2 vs proto3 decides
        # field presence, editions decide features, so they are part of the key.
        context = f"{file.syntax}\0{file.edition}\0{file.package}\0".encode()
        options = file.options.SerializeToString(deterministic=True)
        for name, item in proto.top_level(file):
            found[name] = hashlib.blake2b(
                context + item.SerializeToString(deterministic=True) + options, digest_size=16
            ).digest()
    return found
