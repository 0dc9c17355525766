"""The steps of a sans-IO call loop, shared by the HTTP and gRPC clients.

A loop (a generator) yields these; a sync or async driver carries them out. They
have no dependencies, so the gRPC runtime can use them without pulling in httpx.
"""

from __future__ import annotations


# The steps are plain slotted classes rather than dataclasses: they are created on
# every call, and every dataclass costs import time in every generated package.
class Acquire:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Send:
    __slots__ = ("left",)

    def __init__(self, left: float | None) -> None:
        self.left = left  # seconds until the call's deadline (None: no deadline)


class Sleep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


Step = Acquire | Send | Sleep
