"""The retry policy is a pure function: a table of cases."""

from __future__ import annotations

import random

import pytest

from bridge.workers.retry import RetryPolicy

POLICY = RetryPolicy(max_attempts=5, base_seconds=2.0, cap_seconds=60.0)


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [
        (1, 1.0, 2.0),
        (2, 2.0, 4.0),
        (3, 4.0, 8.0),
        (5, 16.0, 32.0),
        (7, 30.0, 60.0),
        (30, 30.0, 60.0),
    ],
)
def test_delay_doubles_within_jittered_bounds_up_to_the_cap(attempts, low, high) -> None:
    rng = random.Random(attempts)
    delays = [POLICY.delay(attempts, rng=rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len(set(delays)) > 100  # jittered, not fixed


@pytest.mark.parametrize(("retry_after", "expected_min"), [(10.0, 10.0), (3600.0, 60.0)])
def test_retry_after_is_a_floor_but_never_beyond_the_cap(retry_after, expected_min) -> None:
    delay = POLICY.delay(1, retry_after=retry_after, rng=random.Random(1))
    assert delay == pytest.approx(expected_min)


def test_attempts_are_bounded() -> None:
    assert not POLICY.exhausted(4)
    assert POLICY.exhausted(5)
