"""Where resilience events go: the client's ``on_event`` callback and ``logging``.

Each event is logged on ``logging.getLogger(__name__)`` with its fields as
structured ``extra=`` attributes (``event``, ``operation``, ``attempt``, ``delay``,
``reason``, ``host``, ``old_state``, ``new_state``, ...), so log pipelines can
filter on them.  The event classes live in ``event_types`` (imported lazily).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .event_types import ResilienceEvent

logger = logging.getLogger(__name__)

EventHook = Callable[["ResilienceEvent"], None]


class Emitter:
    """Delivers events to the hook and the logger; a failing hook never fails a call."""

    __slots__ = ("_hook",)

    def __init__(self, hook: EventHook | None) -> None:
        self._hook = hook

    def __call__(self, event: ResilienceEvent) -> None:
        if logger.isEnabledFor(event.level):
            logger.log(event.level, event.message(), extra={"event": event.kind, **event.fields()})
        if self._hook is not None:
            try:
                self._hook(event)
            except Exception:
                logger.exception("on_event hook failed for %s event", event.kind)
