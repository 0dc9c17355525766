"""The terminal status line: late, on terminals only, gone when the job is done."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import pytest

from wiregen.integrations.progress import Progress, wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


needs_itimer = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers")


@needs_itimer
def test_a_long_step_shows_then_clears_its_line() -> None:
    stream = Terminal()
    with Progress(stream, enabled=True, delay=0.01).step("[1/2] shop: generate"):
        time.sleep(0.1)
    text = stream.getvalue()
    assert "wiregen: [1/2] shop: generate (0." in text
    assert text.endswith("\r\x1b[K")  # the line is erased, the summary takes its place
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@needs_itimer
def test_a_quick_step_prints_nothing() -> None:
    stream = Terminal()
    with Progress(stream, enabled=True, delay=5).step("shop: generate"):
        pass
    assert stream.getvalue() == ""


def test_disabled_or_off_the_main_thread_prints_nothing() -> None:
    stream = Terminal()
    with Progress(stream, enabled=False, delay=0).step("shop"):
        time.sleep(0.01)

    def elsewhere() -> None:
        with Progress(stream, enabled=True, delay=0.001).step("shop"):
            time.sleep(0.01)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert stream.getvalue() == ""


def test_only_real_terminals_want_a_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert wanted(Terminal())
    assert not wanted(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not wanted(Terminal())
    with open(os.devnull, "w") as devnull:
        assert not wanted(devnull)
