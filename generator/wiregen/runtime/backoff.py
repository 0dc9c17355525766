"""How long to wait before the next attempt: full-jitter backoff, or the server's word.

Full jitter (delay uniform in ``[0, cap]``) spreads the retries of many clients
that failed together, which a fixed or "equal jitter" schedule does not.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from email.utils import mktime_tz, parsedate_tz

from .policy import RetryPolicy

MAX_RETRY_AFTER = 60.0
"""A server-suggested delay is honoured only within ``[0, MAX_RETRY_AFTER]`` seconds:
longer waits belong to the caller, not to an automatic retry."""

# Delta-seconds (RFC 9110 says 1*DIGIT; a fraction is accepted as servers send them).
# Anything else that is not an HTTP-date -- sign, exponent, "nan", "inf" -- is garbage.
_DELTA = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def exponential_cap(base_delay: float, max_delay: float, retry_number: int) -> float:
    """``base_delay * 2**(retry_number - 1)``, at most ``max_delay`` (DESIGN §6)."""
    # Cap the exponent: 2**1100 overflows a float and policies allow any max_attempts.
    exponent = min(retry_number - 1, 64)
    return min(max_delay, base_delay * (2.0**exponent))


def backoff_cap(policy: RetryPolicy, retry_number: int) -> float:
    """Upper bound of delay ``retry_number`` (1 = before the second attempt)."""
    return exponential_cap(policy.base_delay, policy.max_delay, retry_number)


def jittered_delay(policy: RetryPolicy, retry_number: int, rng: random.Random) -> float:
    """Delay ``retry_number``: uniform in ``[0, backoff_cap(policy, retry_number)]``."""
    return rng.uniform(0.0, backoff_cap(policy, retry_number))


def _delta(value: str) -> float | None:
    value = value.strip()
    return float(value) if _DELTA.fullmatch(value) else None


def _http_date(value: str) -> float | None:
    parsed = parsedate_tz(value.strip())
    if parsed is None:
        return None
    try:
        return float(mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """The server's requested delay, or ``None`` to use the computed backoff.

    ``retry-after-ms`` (milliseconds, more precise) wins over ``Retry-After``
    (delta-seconds or an HTTP-date).  An HTTP-date is measured from the response's
    own ``Date`` header when it has a valid one (the two share the server's
    clock), else from ``now`` (wall-clock seconds).  Values that are not numbers or
    dates, negative (including dates in the past) or above ``MAX_RETRY_AFTER`` are
    ignored.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        ms = _delta(millis)
        if ms is not None and ms / 1000.0 <= MAX_RETRY_AFTER:
            return ms / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _delta(value)
    if seconds is None:
        when = _http_date(value)
        if when is None:
            return None
        date_header = headers.get("date")
        reference = _http_date(date_header) if date_header is not None else None
        seconds = when - (now if reference is None else reference)
    if 0.0 <= seconds <= MAX_RETRY_AFTER:
        return seconds
    return None
