"""What the store reads for a report: counts by group, never one row per text.

A group is the value of the report's key (``KEYS``) for a text: its team (the author's
domain, ``bridge.parsing.addresses.domain_of``; '' for a text without an author), its
sender, its provider ('' when none took it) or its recipient's country ('' when unknown).
Durations are whole seconds, as (group, seconds, texts) rows from which ``figures`` reads
percentiles. Pure records; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["KEYS", "Counts", "Customers", "Failure", "Key", "ReportData", "Tally"]

Key = Literal["team", "sender", "provider", "country"]
KEYS: tuple[Key, ...] = ("team", "sender", "provider", "country")


@dataclass(frozen=True, slots=True)
class Counts:
    """The texts of one group to one country, accepted in the period, by what became of them."""

    group: str
    country: str
    accepted: int
    sent: int  # a provider took them (sent, delivered or undelivered)
    delivered: int
    failed: int  # failed for good, at the provider's answer or in its delivery report
    pending: int  # still queued, held for a bulk send's SEND, or being sent
    cancelled: int
    segments: int  # of the texts a provider took
    unpriced_segments: int  # of those, segments without a reported cost
    reported_cost: float  # what providers reported the others cost, in compliance.currency


@dataclass(frozen=True, slots=True)
class Tally:
    """``texts`` of one group took ``seconds`` (rounded): a bar of a histogram."""

    group: str
    seconds: int
    texts: int


@dataclass(frozen=True, slots=True)
class Failure:
    group: str
    code: str
    error: str
    texts: int


@dataclass(frozen=True, slots=True)
class Customers:
    """The distinct numbers a group texted in the period, and of those who opted in, who
    opted out and who replied within it."""

    group: str
    customers: int
    opted_in: int
    opted_out: int
    replied: int


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything a report is computed from; times are Unix seconds, [start, end)."""

    key: Key
    start: float
    end: float
    counts: tuple[Counts, ...] = ()
    delivery: tuple[Tally, ...] = ()
    failures: tuple[Failure, ...] = ()
    customers: tuple[Customers, ...] = ()
    all_customers: Customers = Customers("", 0, 0, 0, 0)
    ledger: dict[str, int] = field(default_factory=dict)  # consent events by action
    responses: tuple[Tally, ...] = ()
    unanswered: int = 0  # inbound texts of the period no person has answered
