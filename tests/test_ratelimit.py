"""Token buckets: a burst, then the steady rate, never faster; all-or-nothing across keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.chain.rates import RateLimiter, SharedRateLimiter
from bridge.store.base import Store


def test_a_burst_then_one_a_second() -> None:
    limiter = RateLimiter({"+447700900100": (1.0, 3)})
    assert [limiter.reserve(("+447700900100",), now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.reserve(("+447700900100",), now=0.0) == 1.0
    assert limiter.reserve(("+447700900100",), now=0.5) == 0.5
    assert limiter.reserve(("+447700900100",), now=1.0) == 0.0


def test_unlimited_keys_never_wait() -> None:
    assert RateLimiter({}).reserve(("twilio", "+447700900100"), now=0.0) == 0.0


def test_a_waiting_number_takes_nothing_from_the_provider() -> None:
    limiter = RateLimiter({"twilio": (10.0, 1), "+447700900100": (1.0, 1)})
    assert limiter.reserve(("twilio", "+447700900100"), now=0.0) == 0.0
    assert limiter.reserve(("twilio", "+447700900100"), now=0.2) > 0  # the number must wait
    assert limiter.reserve(("twilio", "+447700900200"), now=0.2) == 0.0  # the provider had room


@given(
    st.lists(st.floats(min_value=0, max_value=0.3), min_size=1, max_size=200),
    st.floats(min_value=0.5, max_value=5),
    st.integers(min_value=1, max_value=5),
)
def test_never_faster_than_rate_times_time_plus_burst(
    gaps: list[float], rate: float, burst: int
) -> None:
    limiter = RateLimiter({"n": (rate, burst)})
    now, sent = 0.0, 0
    for gap in gaps:
        now += gap
        if limiter.reserve(("n",), now=now) == 0:
            sent += 1
    assert sent <= burst + rate * now + 1e-9


async def test_the_shared_limiter_keeps_the_same_buckets_in_the_store(store: Store) -> None:
    """``SharedRateLimiter`` on each backend gives the answers the in-process one gives, and
    two limiters on one store (two bridges) draw from the same buckets."""
    limits = {"twilio": (10.0, 1), "+447700900100": (1.0, 3)}
    first, second = SharedRateLimiter(limits, store), SharedRateLimiter(limits, store)
    local = RateLimiter(limits)
    steps = [
        (("twilio", "+447700900100"), 0.0),
        (("+447700900100",), 0.0),
        (("+447700900100",), 0.0),
        (("+447700900100",), 0.0),
        (("+447700900100",), 0.5),
        (("twilio", "+447700900100"), 1.0),
        (("twilio", "+447700900200"), 1.0),
        (("twilio",), 1.05),
        (("other",), 1.05),
    ]
    for n, (keys, at) in enumerate(steps):
        shared = await (first if n % 2 else second).take(keys, now=1_800_000_000 + at)
        assert shared == pytest.approx(local.reserve(keys, now=at)), (n, keys, at)
