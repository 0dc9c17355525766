"""Reading the two revisions, side by side where that pays.

Compiling a large .proto tree is protoc's work, single-threaded and most of the
time of a proto diff; two trees compile in about the time of one when the old
revision is read in a forked child process while this one reads the new. The
child sends back the IR (plain frozen dataclasses) by pickle. Anywhere fork is
unavailable, or for OpenAPI and AsyncAPI files (fast enough, and their revisions
carry a workspace for positions that does not travel), both are read here in turn.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable

from wiregen.diff.revision import Revision


def read_both(
    read_old: Callable[[], Revision], read_new: Callable[[], Revision], *, proto: bool
) -> tuple[Revision, Revision]:
    if not proto or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return read_old(), read_new()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(read_old, sender), daemon=True)
    child.start()
    sender.close()
    new = read_new()
    try:
        api, diagnostics, label, locate = receiver.recv()
    except EOFError:  # the child died (out of memory, killed): read it here instead
        child.join()
        return read_old(), new
    child.join()
    return Revision(api=api, diagnostics=diagnostics, label=label, locate=locate), new


def _child(read: Callable[[], Revision], sender: multiprocessing.connection.Connection) -> None:
    revision = read()
    sender.send((revision.api, revision.diagnostics, revision.label, revision.locate))
    sender.close()
