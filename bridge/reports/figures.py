"""A report's figures from its data: rates, percentiles and cost. Pure.

Definitions (docs/operations.md, "Reports"), over the texts accepted in the period:

- delivery rate: delivered / sent, where sent is every text a provider took;
- delivery time: accepted (stored) to delivered (the delivery report), p50 and p95;
- opt-in and opt-out rates: the customers texted who opted in (or out) within the period,
  over the customers texted (distinct numbers);
- reply rate: the customers texted who texted back within the period, at or after the
  first text, over the customers texted;
- response time: an inbound text received in the period to the next text a person (a text
  with an author) sent that customer, p50 and p95, counted for that text's group;
- cost: what providers reported, else each segment at ``compliance.prices`` for the
  recipient's country; segments with neither are counted as unpriced.

Percentiles are by nearest rank over durations rounded to the second: the smallest duration
with at least p% of the texts at or under it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bridge.reports.data import Counts, Customers, Key, ReportData, Tally

__all__ = ["TOP_REASONS", "Figures", "Reason", "Report", "compute", "percentile", "rate"]

TOP_REASONS = 3


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    error: str
    texts: int


@dataclass(frozen=True, slots=True)
class Figures:
    """One group's figures (or every group's, for the total)."""

    group: str
    accepted: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    cancelled: int = 0
    delivery_rate: float | None = None
    delivery_p50: int | None = None  # seconds
    delivery_p95: int | None = None
    reasons: tuple[Reason, ...] = ()
    customers: int = 0
    opted_in: int = 0
    opt_in_rate: float | None = None
    opted_out: int = 0
    opt_out_rate: float | None = None
    replied: int = 0
    reply_rate: float | None = None
    responses: int = 0
    response_p50: int | None = None  # seconds
    response_p95: int | None = None
    segments: int = 0
    cost: float = 0.0
    unpriced_segments: int = 0


@dataclass(frozen=True, slots=True)
class Report:
    key: Key
    start: float
    end: float
    currency: str
    groups: tuple[Figures, ...]  # most texts first
    total: Figures
    ledger: dict[str, int]  # every opt-in and opt-out in the ledger for the period
    unanswered: int  # inbound texts of the period no person has answered yet


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by."""
    return part / whole if whole else None


def percentile(histogram: Mapping[int, int], p: float) -> int | None:
    """The nearest-rank ``p``th percentile of durations given as {seconds: how many}."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for seconds in sorted(histogram):
        seen += histogram[seconds]
        if seen >= rank:
            return seconds
    raise AssertionError("unreachable: the ranks add up to the total")


def compute(data: ReportData, *, prices: Mapping[str, float], currency: str) -> Report:
    """Every group's figures and the total's."""
    groups = sorted(
        {c.group for c in data.counts} | {t.group for t in data.responses},
        key=lambda g: (-sum(c.accepted for c in data.counts if c.group == g), g),
    )
    customers = {c.group: c for c in data.customers}
    figures = tuple(
        _figures(
            group,
            [c for c in data.counts if c.group == group],
            [t for t in data.delivery if t.group == group],
            [(f.code, f.error, f.texts) for f in data.failures if f.group == group],
            customers.get(group, Customers(group, 0, 0, 0, 0)),
            [t for t in data.responses if t.group == group],
            prices,
        )
        for group in groups
    )
    total = _figures(
        "",
        list(data.counts),
        list(data.delivery),
        [(f.code, f.error, f.texts) for f in data.failures],
        data.all_customers,
        list(data.responses),
        prices,
    )
    return Report(
        key=data.key,
        start=data.start,
        end=data.end,
        currency=currency,
        groups=figures,
        total=total,
        ledger=dict(data.ledger),
        unanswered=data.unanswered,
    )


def _figures(
    group: str,
    counts: list[Counts],
    delivery: list[Tally],
    failures: list[tuple[str, str, int]],
    customers: Customers,
    responses: list[Tally],
    prices: Mapping[str, float],
) -> Figures:
    sent = sum(c.sent for c in counts)
    delivered = sum(c.delivered for c in counts)
    took = _histogram(delivery)
    answered = _histogram(responses)
    cost, unpriced = _cost(counts, prices)
    return Figures(
        group=group,
        accepted=sum(c.accepted for c in counts),
        sent=sent,
        delivered=delivered,
        failed=sum(c.failed for c in counts),
        pending=sum(c.pending for c in counts),
        cancelled=sum(c.cancelled for c in counts),
        delivery_rate=rate(delivered, sent),
        delivery_p50=percentile(took, 50),
        delivery_p95=percentile(took, 95),
        reasons=_top_reasons(failures),
        customers=customers.customers,
        opted_in=customers.opted_in,
        opt_in_rate=rate(customers.opted_in, customers.customers),
        opted_out=customers.opted_out,
        opt_out_rate=rate(customers.opted_out, customers.customers),
        replied=customers.replied,
        reply_rate=rate(customers.replied, customers.customers),
        responses=sum(answered.values()),
        response_p50=percentile(answered, 50),
        response_p95=percentile(answered, 95),
        segments=sum(c.segments for c in counts),
        cost=cost,
        unpriced_segments=unpriced,
    )


def _histogram(tallies: Iterable[Tally]) -> dict[int, int]:
    histogram: Counter[int] = Counter()
    for tally in tallies:
        histogram[tally.seconds] += tally.texts
    return dict(histogram)


def _top_reasons(failures: list[tuple[str, str, int]]) -> tuple[Reason, ...]:
    merged: defaultdict[tuple[str, str], int] = defaultdict(int)
    for code, error, texts in failures:
        merged[(code, error)] += texts
    ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Reason(code, error, texts) for (code, error), texts in ranked[:TOP_REASONS])


def _cost(counts: list[Counts], prices: Mapping[str, float]) -> tuple[float, int]:
    """Reported costs plus the other segments at the table's price for their country; the
    segments that have neither."""
    cost, unpriced = 0.0, 0
    for row in counts:
        cost += row.reported_cost
        price = prices.get(row.country)
        if price is None:
            unpriced += row.unpriced_segments
        else:
            cost += row.unpriced_segments * price
    return round(cost, 6), unpriced
