"""A circuit breaker per provider: stop asking a provider that keeps failing, then try again.

Closed: every text may use the provider. After ``failures`` temporary failures in a row it
opens: texts skip it (and fail over to the next provider) for ``cooldown`` seconds. Then it is
half-open: one text is let through as a probe; success closes it, failure opens it again for
another cool-down. Permanent failures say nothing about the provider's health (the number or
the text was wrong) and count as answers. Pure: the caller passes the time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Breaker", "BreakerState"]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(slots=True)
class Breaker:
    failures: int  # in a row, to open
    cooldown: float  # seconds open before a probe
    _count: int = 0
    _opened_at: float | None = None
    _probing: bool = False

    def state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if now - self._opened_at < self.cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self, now: float) -> bool:
        """May a text use the provider now? In half-open state, only one at a time may."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def reopens_in(self, now: float) -> float:
        """Seconds until a text may try the provider again (0 when it may now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - now)

    def succeeded(self) -> None:
        self._count, self._opened_at, self._probing = 0, None, False

    def failed(self, now: float) -> bool:
        """Count a temporary failure; True when this one opened (or re-opened) the circuit."""
        self._count += 1
        if self._probing or self._count >= self.failures:
            self._opened_at, self._probing = now, False
            return True
        return False
