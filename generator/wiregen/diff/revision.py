"""Reading one revision of a contract: an OpenAPI or AsyncAPI file, or one out of git.

An OpenAPI or AsyncAPI revision is one spec file (its ``$ref``\\ s followed as usual).
``--against REF`` reads the old revision out of git into a temporary directory first
(``git archive``, :func:`checkout`), so a spec spread over several files is read as it
was at that revision, never mixed with the working tree. Protobuf revisions, whose
two sides are read together, are :mod:`wiregen.diff.proto_pair`'s.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from wiregen.diagnostics import Diagnostic, SourceSpan, error
from wiregen.ir.model import Api

GIT = "WG801"
"""git could not produce the old revision (no repository, unknown ref, file not there)."""
MISMATCH = "WG802"
"""The two revisions are not the same kind of contract."""

Locate = Callable[[Sequence[SourceSpan]], list[SourceSpan]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    api: Api | None
    """None when the revision has errors (see ``diagnostics``)."""
    diagnostics: tuple[Diagnostic, ...]
    label: str
    """How to name the revision in output (a path, or ``REF:path``)."""
    locate: Locate
    """Fills in line and column of spans that carry only a JSON pointer."""


def as_is(spans: Sequence[SourceSpan]) -> list[SourceSpan]:
    return list(spans)


def is_proto(path: Path) -> bool:
    return path.is_dir() or path.suffix == ".proto"


def read_revision(
    path: Path,
    *,
    allow_remote_refs: bool = False,
    display_base: Path | None = None,
    label: str | None = None,
) -> Revision:
    """An OpenAPI or AsyncAPI revision (.proto trees: :mod:`wiregen.diff.proto_pair`)."""
    shown = label or path.as_posix()
    base = display_base or Path.cwd()
    if not path.is_file():
        return Revision(
            api=None, diagnostics=(error("WG101", "file not found", SourceSpan(file=shown)),), label=shown, locate=as_is
        )
    from wiregen import pipeline

    reading = pipeline.read_api(path, allow_remote_refs=allow_remote_refs, display_base=base)
    return Revision(api=reading.api, diagnostics=reading.diagnostics, label=shown, locate=reading.workspace.locate_all)


class UnderDirectory:
    """Shows protoc's import names (``a/v1/x.proto``) as paths under the revision's directory.

    Both revisions of a proto diff have the same import names; only the directory
    tells them apart. A class, not a closure, so that it can be pickled.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, spans: Sequence[SourceSpan]) -> list[SourceSpan]:
        shown = []
        for span in spans:
            candidate = self.directory / span.file
            shown.append(replace(span, file=candidate.as_posix()) if candidate.is_file() else span)
        return shown


class GitProblem(Exception):
    """git could not produce the revision asked for."""


@contextmanager
def checkout(spec: Path, ref: str, includes: Sequence[Path] = ()) -> Iterator[tuple[Path, list[Path], Path]]:
    """``spec`` as it was at ``ref``, extracted to a temporary directory for the duration:
    (the spec's path there, the include directories mapped there, the extraction root)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], spec.resolve().parent if spec.is_file() else spec.resolve()).decode().strip())
    target = spec.resolve().relative_to(top.resolve())
    archive = _git(["archive", "--format=tar", ref, "--", _scope(spec, top).as_posix() or "."], top)
    with tempfile.TemporaryDirectory(prefix="wiregen-diff-") as tmp:
        root = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(root, filter="data")
        old = root / target
        if not old.exists():
            raise GitProblem(f"{target.as_posix()} does not exist at {ref!r}")
        yield old, [_at_root(include, top, root) for include in includes], root


def git_error(spec: Path, ref: str, problem: Exception) -> Revision:
    shown = f"{ref}:{spec.as_posix()}"
    found = error(GIT, f"cannot read {spec.as_posix()} at {ref!r}: {problem}", SourceSpan(file=shown))
    return Revision(api=None, diagnostics=(found,), label=shown, locate=as_is)


def read_at_ref(spec: Path, ref: str, *, allow_remote_refs: bool = False) -> Revision:
    """An OpenAPI or AsyncAPI ``spec`` as it was at git revision ``ref``."""
    try:
        with checkout(spec, ref) as (old, _, root):
            revision = read_revision(
                old,
                allow_remote_refs=allow_remote_refs,
                display_base=root,
                label=f"{ref}:{spec.as_posix()}",
            )
    except (GitProblem, ValueError) as problem:
        return git_error(spec, ref, problem)
    return at_ref(revision, ref)


def at_ref(revision: Revision, ref: str) -> Revision:
    """``revision`` with every location named ``REF:path`` (it was read from a checkout)."""
    relabel = _relabel(ref)
    locate = revision.locate
    return Revision(
        api=revision.api,
        diagnostics=tuple(replace(d, span=relabel(d.span)) if d.span else d for d in revision.diagnostics),
        label=revision.label,
        locate=lambda spans: [relabel(s) for s in locate(spans)],
    )


def _relabel(ref: str) -> Callable[[SourceSpan], SourceSpan]:
    def relabel(span: SourceSpan) -> SourceSpan:
        return span if span.file.startswith(f"{ref}:") else replace(span, file=f"{ref}:{span.file}")

    return relabel


def _at_root(path: Path, top: Path, root: Path) -> Path:
    """An include directory of the working tree, mapped into the extracted revision."""
    try:
        return root / path.resolve().relative_to(top.resolve())
    except ValueError:
        return path  # outside the repository: the same at every revision


def _scope(spec: Path, top: Path) -> Path:
    """The part of the repository to extract: what the spec's ``$ref``\\ s may reach."""
    if is_proto(spec):
        start = spec.resolve() if spec.is_dir() else spec.resolve().parent
        return start.relative_to(top.resolve())
    from wiregen import pipeline

    return pipeline.ref_root(spec, {}).resolve().relative_to(top.resolve())


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitProblem(f"git is not available ({exc})") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitProblem(message[-1] if message else f"git {args[0]} failed")
    return done.stdout
