"""When to try a failed delivery again: a pure function, so the policy is tested with a table."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded, honouring the peer's ``Retry-After``.

    Jitter (a random point in the upper half of each step) spreads retries of many jobs that
    failed together (a provider outage) so they do not all return at the same second. A
    ``Retry-After`` from the peer is a floor: we never come back sooner than it asked, but
    never later than ``cap_seconds`` either, so a confused peer cannot park a job for days.
    """

    max_attempts: int
    base_seconds: float
    cap_seconds: float

    def exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` deliveries have been tried and none more is allowed."""
        return attempts >= self.max_attempts

    def delay(
        self, attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after the ``attempts``-th failed try."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        jittered = (rng or random).uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            jittered = max(jittered, min(retry_after, self.cap_seconds))
        return jittered
