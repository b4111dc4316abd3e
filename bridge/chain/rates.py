"""Token buckets for sending: per provider and per sending number, texts per second with a burst.

A text that would exceed a limit is not refused and not retried as a failure: the worker puts
it back in the queue for the moment a token will be free, without spending an attempt. A
reservation takes a token from every bucket that applies or from none, so one busy number
never uses up the provider's share for nothing. The caller passes the time.

``RateLimiter`` keeps its buckets in the process: right for one bridge (SQLite). With several
bridges on one PostgreSQL database, ``SharedRateLimiter`` keeps them in the database
(``bridge/store``), so a limit holds for all of them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from bridge.store.buckets import Bucket

__all__ = ["Bucket", "Limiter", "RateLimiter", "SharedRateLimiter"]


class Limiter(Protocol):
    async def take(self, keys: tuple[str, ...], *, now: float) -> float:
        """0 and a token taken for each limited key, or the seconds to wait (nothing taken)."""
        ...


class RateLimiter:
    def __init__(self, limits: dict[str, tuple[float, int]]) -> None:
        """``limits`` maps a key (a provider's name, a number) to (texts per second, burst)."""
        self._limits = limits
        self._buckets: dict[str, Bucket] = {}

    def reserve(self, keys: tuple[str, ...], *, now: float) -> float:
        """0 and a token taken from each limited key, or the seconds to wait (nothing taken)."""
        buckets = [self._bucket(key, now) for key in keys if key in self._limits]
        for bucket in buckets:
            bucket.refill(now)
        wait = max((bucket.wait() for bucket in buckets), default=0.0)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.tokens -= 1
        return 0.0

    async def take(self, keys: tuple[str, ...], *, now: float) -> float:
        return self.reserve(keys, now=now)

    def _bucket(self, key: str, now: float) -> Bucket:
        if key not in self._buckets:
            rate, burst = self._limits[key]
            self._buckets[key] = Bucket(rate, float(burst), float(burst), now)
        return self._buckets[key]


class TokenStore(Protocol):
    async def take_tokens(
        self, limits: Sequence[tuple[str, float, int]], *, now: datetime
    ) -> float: ...


class SharedRateLimiter:
    """The same limits, with the buckets in the store that every bridge uses."""

    def __init__(self, limits: dict[str, tuple[float, int]], store: TokenStore) -> None:
        self._limits = limits
        self._store = store

    async def take(self, keys: tuple[str, ...], *, now: float) -> float:
        limited = [(key, *self._limits[key]) for key in dict.fromkeys(keys) if key in self._limits]
        if not limited:
            return 0.0
        return await self._store.take_tokens(limited, now=datetime.fromtimestamp(now, UTC))
