"""The set of documents one run reads, and ``$ref`` resolution between them."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from wiregen.diagnostics import Abort, Diagnostic, SourceSpan, error
from wiregen.load import ids, limits, pointer
from wiregen.load.document import Document, Resolved
from wiregen.load.locate import locate_json, locate_yaml
from wiregen.load.parse import decode, parse


class Workspace:
    """Loads documents once each and resolves references, keeping them inside ``root``.

    ``root`` is the directory local ``$ref`` targets must stay in (symlinks resolved);
    the file passed to :meth:`load` directly is not checked against it. Messages name
    files relative to ``display_base`` (default: the parent of ``root``).
    """

    def __init__(
        self,
        root: Path,
        *,
        allow_remote_refs: bool = False,
        max_bytes: int = limits.MAX_BYTES,
        display_base: Path | None = None,
    ) -> None:
        absolute_root = Path(os.path.abspath(root))
        self._root = absolute_root.resolve()
        base = (
            Path(os.path.abspath(display_base))
            if display_base is not None
            else absolute_root.parent
        )
        self._display_bases = (base, base.resolve())
        self._allow_remote = allow_remote_refs
        self._max_bytes = max_bytes
        self._loaded: dict[str, Document] = {}
        self._failed: dict[str, Abort] = {}
        self._by_display: dict[str, Document] = {}
        self._uris: dict[Document, str] = {}
        self._by_uri: dict[str, Document] = {}
        self._ids: dict[Document, ids.IdIndex] = {}

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(self._loaded.values())

    # -- loading ----------------------------------------------------------------

    def load(self, path: Path) -> Document:
        absolute = Path(os.path.abspath(path))
        resolved = absolute.resolve()
        key = str(resolved)
        if key in self._loaded:
            return self._loaded[key]
        if key in self._failed:
            raise self._failed[key]
        display = self._display(path, absolute, resolved)
        try:
            text = decode(self._read(resolved, display), display)
            data, fmt = parse(text, display, Path(path).suffix.lower())
        except Abort as exc:
            self._failed[key] = exc
            raise
        return self._register(
            key,
            Document(path=resolved, display=display, text=text, data=data, format=fmt),
            resolved.as_uri(),
        )

    def _register(self, key: str, doc: Document, uri: str) -> Document:
        self._loaded[key] = doc
        self._by_display.setdefault(doc.display, doc)
        self._uris[doc] = uri
        self._by_uri[uri] = doc
        return doc

    def _display(self, given: Path, absolute: Path, resolved: Path) -> str:
        for base, path in zip(self._display_bases, (absolute, resolved), strict=True):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        return Path(given).as_posix()

    def _read(self, path: Path, display: str) -> bytes:
        span = SourceSpan(file=display)
        try:
            info = path.stat()
            if stat.S_ISDIR(info.st_mode):
                raise Abort([error("WG104", f"cannot read {display!r}: it is a directory", span)])
            if not stat.S_ISREG(info.st_mode):
                raise Abort([error("WG104", f"cannot read {display!r}: not a regular file", span)])
            if info.st_size > self._max_bytes:
                raise Abort([self._too_large(display, info.st_size)])
            with path.open("rb") as handle:
                raw = handle.read(self._max_bytes + 1)
        except FileNotFoundError:
            raise Abort(
                [error("WG104", f"cannot read {display!r}: file not found", span)]
            ) from None
        except PermissionError:
            raise Abort(
                [error("WG104", f"cannot read {display!r}: permission denied", span)]
            ) from None
        except OSError as exc:
            raise Abort(
                [error("WG104", f"cannot read {display!r}: {exc.strerror or exc}", span)]
            ) from None
        if len(raw) > self._max_bytes:  # the file grew after stat
            raise Abort([self._too_large(display, len(raw))])
        return raw

    def _too_large(self, display: str, size: int) -> Diagnostic:
        return error(
            "WG103",
            f"{display!r} is too large ({size:,} bytes; the limit is {self._max_bytes:,})",
            SourceSpan(file=display),
        )

    def _load_remote(self, url: str, span: SourceSpan) -> Document:
        # Imported here: urllib.request and http.client double the import time of
        # wiregen.load, and most runs never fetch anything.
        from wiregen.load import remote

        if url in self._loaded:
            return self._loaded[url]
        if url in self._failed:
            raise self._failed[url]
        try:
            raw = remote.fetch(url, self._max_bytes)
            text = decode(raw, url)
            data, fmt = parse(text, url, os.path.splitext(urlsplit(url).path)[1].lower())
        except remote.FetchError as exc:
            self._failed[url] = Abort([error("WG104", f"cannot fetch {url!r}: {exc}", span)])
            raise self._failed[url] from None
        except Abort as exc:
            self._failed[url] = exc
            raise
        return self._register(
            url, Document(path=Path(url), display=url, text=text, data=data, format=fmt), url
        )

    # -- references -------------------------------------------------------------

    def _index(self, doc: Document) -> ids.IdIndex | None:
        if doc not in self._ids:
            uri = self._uris[doc]
            self._ids[doc] = (
                ids.build(doc.data, uri) if ids.mentions_ids(doc.text) else ids.IdIndex()
            )
        index = self._ids[doc]
        return None if index.empty else index

    def resolve_ref(self, ref: str, base: Document, span: SourceSpan) -> Resolved:
        """The target of ``ref`` written in ``base`` at ``span``; raises :class:`Abort`.

        ``span.pointer`` (of the ``$ref`` or of the object holding it) matters only in
        documents using ``$id``: there a reference is first read relative to the
        enclosing ``$id``, as JSON Schema says, and if that finds nothing, relative to
        the file, which is what authors of ``$ref: '#/components/…'`` mean and what
        bundlers do.
        """
        if not isinstance(ref, str):
            raise Abort([error("WG110", f"$ref must be a string, not {type(ref).__name__}", span)])
        if ref.startswith("#") and self._index(base) is None:
            return self._follow(ref, base, "", unquote(ref[1:]), span)  # the common case, fast
        doc_uri = self._uris[base]
        if self._index(base) is not None:
            scope = doc_uri
            with contextlib.suppress(pointer.PointerError):  # a bad span keeps the file's base
                scope = ids.base_at(base.data, pointer.split(span.pointer), doc_uri)
            if scope != doc_uri:
                target, fragment = urldefrag(urljoin(scope, ref))
                located = self._find_resource(target, base)
                if located is not None:
                    with contextlib.suppress(Abort):
                        return self._follow(ref, *located, unquote(fragment), span)
        target, fragment = urldefrag(urljoin(doc_uri, ref))
        located = self._find_resource(target, base)
        if located is None:
            located = (self._load_target(ref, target, span), "")
        return self._follow(ref, *located, unquote(fragment), span)

    def _find_resource(self, uri: str, base: Document) -> tuple[Document, str] | None:
        if uri in self._by_uri:
            return self._by_uri[uri], ""
        for doc in (base, *self._loaded.values()):
            index = self._index(doc)
            if index is not None and uri in index.resources:
                return doc, index.resources[uri]
        return None

    def _load_target(self, ref: str, uri: str, span: SourceSpan) -> Document:
        parts = urlsplit(uri)
        scheme = parts.scheme.lower()
        if scheme == "file" and parts.netloc not in ("", "localhost"):
            # A scheme-relative '//host/x' written in a local file names a web server.
            uri = "https:" + uri[len("file:") :]
            scheme = "https"
        if scheme in ("http", "https"):
            if not self._allow_remote:
                raise Abort(
                    [
                        error(
                            "WG111",
                            f"remote $ref {ref!r} is not allowed",
                            span,
                            hint="download the file next to the spec, or allow remote references "
                            "(allow_remote_refs) if you trust the server",
                        )
                    ]
                )
            return self._load_remote(uri, span)
        if scheme != "file":
            raise Abort(
                [
                    error(
                        "WG110",
                        f"unresolvable $ref {ref!r}: unsupported URI scheme {parts.scheme!r}",
                        span,
                    )
                ]
            )
        from urllib.request import url2pathname  # see _load_remote about the import

        path = Path(url2pathname(parts.path))
        resolved = path.resolve()
        if not resolved.is_relative_to(self._root):
            raise Abort(
                [
                    error(
                        "WG112",
                        f"$ref {ref!r} points outside the spec's root directory",
                        span,
                        hint="referenced files must be inside the directory that holds the spec "
                        "(symlinks are followed before checking)",
                    )
                ]
            )
        if not resolved.is_file():
            shown = self._display(path, path, resolved)
            raise Abort(
                [error("WG110", f"unresolvable $ref {ref!r}: file {shown!r} not found", span)]
            )
        return self.load(path)

    def _follow(
        self, ref: str, doc: Document, prefix: str, fragment: str, span: SourceSpan
    ) -> Resolved:
        if fragment and not fragment.startswith("/"):
            index = self._index(doc)
            resource = (
                next((uri for uri, ptr in index.resources.items() if ptr == prefix), None)
                if index
                else None
            )
            anchored = index.anchors.get((resource, fragment)) if index and resource else None
            if anchored is None:
                raise Abort(
                    [
                        error(
                            "WG110",
                            f"unresolvable $ref {ref!r}: no $anchor named {fragment!r}",
                            span,
                            hint="a fragment is either a JSON pointer starting with '/' or an $anchor name",
                        )
                    ]
                )
            target = anchored
        else:
            target = prefix + fragment
        try:
            node = pointer.walk(doc.data, target)
        except pointer.PointerError as exc:
            where = "" if doc.display == span.file else f" in {doc.display!r}"
            raise Abort(
                [error("WG110", f"unresolvable $ref {ref!r}: {exc.message}{where}", span, exc.hint)]
            ) from None
        return Resolved(
            document=doc,
            pointer=target,
            node=node,
            span=SourceSpan(file=doc.display, pointer=target),
        )

    # -- positions --------------------------------------------------------------

    def locate(self, span: SourceSpan) -> SourceSpan:
        """``span`` with line and column filled in from its pointer (unchanged if unknown)."""
        return self.locate_all([span])[0]

    def locate_all(self, spans: Iterable[SourceSpan]) -> list[SourceSpan]:
        """Like :meth:`locate` for many spans, reading each document once."""
        spans = list(spans)
        wanted: dict[str, set[str]] = {}
        for span in spans:
            if not span.line and span.file in self._by_display:
                wanted.setdefault(span.file, set()).add(span.pointer)
        found: dict[str, dict[str, tuple[int, int]]] = {}
        for file, pointers in wanted.items():
            doc = self._by_display[file]
            find = locate_json if doc.format == "json" else locate_yaml
            found[file] = find(doc.text, pointers)
        located = []
        for span in spans:
            position = found.get(span.file, {}).get(span.pointer)
            if position is None:
                located.append(span)
            else:
                located.append(
                    SourceSpan(
                        file=span.file, pointer=span.pointer, line=position[0], col=position[1]
                    )
                )
        return located
