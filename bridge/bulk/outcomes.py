"""The outbound chain's answer for each row of a bulk send, as the preview reports it.

The wiring runs every ``BulkRow`` through the chain's envelope and content stages, as an
email's recipient is, and turns the answer into an ``Outcome``: accepted (with the segments
the ``segments`` rule counted), deferred (with until when, in words), refused with the
rule's sentence, or opted out (refused by the ``opt-out`` rule). ``CheckedPlan`` pairs them
with the rows and does the counting: texts, segments, and their cost priced as the spend cap
prices them (``compliance.prices`` by the number's country, in ``compliance.currency``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.bulk.status import Status
from bridge.parsing.sms_text import analyse

if TYPE_CHECKING:
    from bridge.bulk.rows import BulkPlan, BulkRow

__all__ = ["CheckedPlan", "Cost", "Outcome", "estimate"]

_DECIDED_BY_CHAIN = (Status.ACCEPTED, Status.DEFERRED, Status.REFUSED, Status.OPTED_OUT)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One row's answer from the chain; ``reason`` is the rule's sentence (refused, opted
    out) or when it will go (deferred); ``segments`` is what the text costs when it goes."""

    status: Status
    segments: int = 0
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in _DECIDED_BY_CHAIN:
            raise ValueError(f"the chain does not answer {self.status.value!r}")


def estimate(row: BulkRow) -> Outcome:
    """The outcome of a row no rule stops: accepted, with the segments of its text as it
    stands. For tests and the benchmark; the wiring takes the chain's answer instead, whose
    ``segments`` rule may have made typographic characters plain or cut the text."""
    return Outcome(Status.ACCEPTED, segments=analyse(row.text).segments)


@dataclass(frozen=True, slots=True)
class Cost:
    """The estimated price of the texts that go: ``total`` in ``currency``, and the
    countries without a price (``unpriced``: country -> segments), which count nothing."""

    total: float
    currency: str
    unpriced: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class CheckedPlan:
    """A plan with the chain's outcome for each of its rows (``plan.rows[i]`` -> ``outcomes[i]``)."""

    plan: BulkPlan
    outcomes: tuple[Outcome, ...]

    def pairs(self) -> Iterator[tuple[BulkRow, Outcome]]:
        return zip(self.plan.rows, self.outcomes, strict=True)

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is status)

    def going(self) -> Iterator[tuple[BulkRow, Outcome]]:
        """The rows that will be sent, now or later (accepted and deferred)."""
        return ((row, out) for row, out in self.pairs() if out.status.goes)

    @property
    def segments(self) -> int:
        return sum(outcome.segments for _, outcome in self.going())

    def cost(self, prices: Mapping[str, float], currency: str) -> Cost:
        """Each segment priced by its number's country, as the ``spend-cap`` rule does."""
        total = 0.0
        unpriced: Counter[str] = Counter()
        for row, outcome in self.going():
            price = prices.get(row.country)
            if price is None:
                unpriced[row.country or "no country"] += outcome.segments
            else:
                total += price * outcome.segments
        return Cost(total, currency, dict(unpriced))
