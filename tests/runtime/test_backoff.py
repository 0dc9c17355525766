"""Backoff bounds and the Retry-After / retry-after-ms table."""

from __future__ import annotations

import random
from email.utils import formatdate

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiregen.runtime.backoff import (
    MAX_RETRY_AFTER,
    backoff_cap,
    jittered_delay,
    retry_after_seconds,
)
from wiregen.runtime.policy import RetryPolicy

from .fakes import WALL_START

NOW = WALL_START


def date(offset: float) -> str:
    """An HTTP-date ``offset`` seconds from NOW."""
    return formatdate(NOW + offset, usegmt=True)


SERVER_DATE = date(-3600)  # a server whose clock is an hour behind ours


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # delta-seconds
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": " 7 "}, 7.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "60"}, 60.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "61"}, None),  # > 60 s: the caller's business, not a retry's
        ({"Retry-After": "86400"}, None),
        ({"Retry-After": "99999999999999999999"}, None),  # huge
        ({"Retry-After": "-1"}, None),  # negative
        ({"Retry-After": "-0"}, None),
        ({"Retry-After": "NaN"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "1e1"}, None),
        ({"Retry-After": "+5"}, None),
        ({"Retry-After": "0x10"}, None),
        ({"Retry-After": ""}, None),
        ({"Retry-After": "soon"}, None),  # garbage
        ({"Retry-After": "5 seconds"}, None),
        # HTTP-date, against our clock (no Date header)
        ({"Retry-After": date(30)}, 30.0),  # future
        ({"Retry-After": date(0)}, 0.0),
        ({"Retry-After": date(-30)}, None),  # past
        ({"Retry-After": date(61)}, None),  # future, too far
        ({"Retry-After": "Mon, 99 Foo 2024 25:61:61 GMT"}, None),  # date-shaped garbage
        # HTTP-date, against the response's own Date (a skewed server clock)
        ({"Retry-After": date(-3600 + 12), "Date": SERVER_DATE}, 12.0),
        ({"Retry-After": date(-3600 - 5), "Date": SERVER_DATE}, None),
        ({"Retry-After": date(20), "Date": "garbage"}, 20.0),  # bad Date: our clock
        # retry-after-ms (wins over Retry-After when usable)
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after-ms": "1500.5"}, 1.5005),
        ({"retry-after-ms": "60000"}, 60.0),
        ({"retry-after-ms": "60001"}, None),
        ({"retry-after-ms": "-5"}, None),
        ({"retry-after-ms": "NaN"}, None),
        ({"retry-after-ms": "x"}, None),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "garbage", "Retry-After": "9"}, 9.0),
        ({"retry-after-ms": "999999", "Retry-After": "9"}, 9.0),
        ({}, None),
    ],
)
def test_retry_after_table(headers: dict[str, str], expected: float | None) -> None:
    got = retry_after_seconds(httpx.Headers(headers), NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-9)


@given(st.text(max_size=40))
def test_retry_after_never_out_of_range(value: str) -> None:
    for name in ("Retry-After", "retry-after-ms"):
        try:
            headers = httpx.Headers({name: value})
        except (UnicodeEncodeError, ValueError):
            continue
        got = retry_after_seconds(headers, NOW)
        assert got is None or 0.0 <= got <= MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ("retry_number", "cap"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (500, 8.0)],
)
def test_default_backoff_caps(retry_number: int, cap: float) -> None:
    assert backoff_cap(RetryPolicy(), retry_number) == cap


@given(
    base=st.floats(0, 10),
    max_delay=st.floats(0, 100),
    retry_number=st.integers(1, 10_000),
    seed=st.integers(0, 2**32),
)
def test_jitter_within_bound(base: float, max_delay: float, retry_number: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=max_delay, max_attempts=10)
    delay = jittered_delay(policy, retry_number, random.Random(seed))
    assert 0.0 <= delay <= min(max_delay, base * 2.0 ** min(retry_number - 1, 64))


def test_jitter_is_full_jitter() -> None:
    """Spread over the whole interval, not bunched near the cap (equal jitter)."""
    rng = random.Random(3)
    delays = [jittered_delay(RetryPolicy(), 3, rng) for _ in range(2000)]
    assert min(delays) < 0.1 and max(delays) > 1.9
    assert 0.9 < sum(delays) / len(delays) < 1.1  # uniform on [0, 2]: mean 1
