"""A status line on the terminal while a long job runs, and nothing otherwise.

It appears only after ``delay`` seconds, so quick runs (and every cached one) never
flash it, and only on a terminal: hooks, CI logs and pipes get no control codes.
The line is redrawn from a SIGALRM handler rather than a thread, because emit parses
large outputs in a forked child and only forks while the process has a single
thread; interval timers are not inherited across fork, so the child stays quiet.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import TextIO

_CLEAR = "\r\x1b[K"


def wanted(stream: TextIO) -> bool:
    """Whether a status line belongs on ``stream``: a real terminal that can erase one."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return terminal and os.environ.get("TERM", "") != "dumb"


class Progress:
    def __init__(self, stream: TextIO, *, enabled: bool, delay: float = 0.5) -> None:
        self._stream = stream
        self._enabled = enabled and hasattr(signal, "setitimer")
        self._delay = delay
        self._label = ""
        self._started = 0.0
        self._shown = False

    @contextlib.contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label`` with the elapsed time while the block runs longer than the delay."""
        # Signal handlers can only be set from the main thread (embedders may call
        # us from another one: they just get no status line).
        if not self._enabled or threading.current_thread() is not threading.main_thread():
            yield
            return
        self._label, self._started, self._shown = label, time.monotonic(), False
        previous = signal.signal(signal.SIGALRM, self._redraw)
        signal.setitimer(signal.ITIMER_REAL, self._delay, 0.25)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            self.clear()

    def clear(self) -> None:
        if self._shown:
            self._write(_CLEAR)
            self._shown = False

    def _redraw(self, _signum: int, _frame: FrameType | None) -> None:
        elapsed = time.monotonic() - self._started
        self._write(f"{_CLEAR}wiregen: {self._label} ({elapsed:.1f} s)")
        self._shown = True

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(text)
            self._stream.flush()
