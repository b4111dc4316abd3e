"""Each provider's latest answers, kept in the process for the admin console's health page:
how long its recent sends took (the last ``KEPT``), and the last error it gave, when.

``bridge.workers.sms`` records every provider call here, beside the Prometheus histogram
(``counters.PROVIDER_SECONDS``), which holds totals since start and cannot say what was
recent. Like the counters it is the process's own and starts empty.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["KEPT", "LATEST", "ProviderAnswers", "ProviderLog"]

KEPT = 200


@dataclass(slots=True)
class ProviderAnswers:
    seconds: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))
    calls: int = 0
    failures: int = 0
    last_error: str = ""
    last_error_at: datetime | None = None

    def percentile(self, share: float) -> float | None:
        """The ``share`` (0.5, 0.95) quantile of the recent sends' seconds; None before any."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class ProviderLog:
    def __init__(self) -> None:
        self._answers: dict[str, ProviderAnswers] = {}

    def answered(self, provider: str, seconds: float) -> None:
        answers = self._answers.setdefault(provider, ProviderAnswers())
        answers.seconds.append(seconds)
        answers.calls += 1

    def failed(self, provider: str, error: str, *, at: datetime) -> None:
        answers = self._answers.setdefault(provider, ProviderAnswers())
        answers.failures += 1
        answers.last_error, answers.last_error_at = error, at

    def of(self, provider: str) -> ProviderAnswers:
        return self._answers.get(provider) or ProviderAnswers()


LATEST = ProviderLog()
