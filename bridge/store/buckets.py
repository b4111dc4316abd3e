"""A token bucket's arithmetic, shared by the limiter in the process (``bridge.chain.rates``)
and the buckets every bridge on one database shares (``ops_limits.py``), so a limit means
the same in both."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bucket"]


@dataclass(slots=True)
class Bucket:
    rate: float  # tokens a second
    burst: float  # most tokens held
    tokens: float
    at: float  # when ``tokens`` was right

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
