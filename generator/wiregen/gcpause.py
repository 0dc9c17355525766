"""Pausing the cyclic garbage collector while a large tree is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Building a parse tree allocates hundreds of thousands of containers, and each
    allocation burst triggers a collection that scans them all again: that made YAML
    loading five times slower. The trees are acyclic, so nothing is lost by waiting.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
