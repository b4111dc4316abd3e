"""Counts kept as texts are stored, so that the chain's guard rails read a few rows rather
than every text: the segments each author sent to each country each quarter hour and each
UTC day (spend caps: whole days, and the quarter hours of the days a cap's time zone cuts)
and when each author first texted each number (the velocity guard). Written in the
transaction that stores the text; a text that fails for good gives its segments back. When a
provider reports a text's price, its segments are counted at that price (``repriced``).
"""

from __future__ import annotations

from typing import Any

from bridge.models import NewSmsJob
from bridge.parsing.addresses import domain_of
from bridge.parsing.numbers import country_of
from bridge.store.queries import Q
from bridge.store.statements import Op, count

__all__ = [
    "DAY_SECONDS",
    "SLOT_SECONDS",
    "counted",
    "day_of",
    "repriced",
    "reversed_domain",
    "slot_of",
    "spend",
    "team_range",
    "uncounted",
]

SLOT_SECONDS = 900  # a quarter hour: every time zone's days begin on one
DAY_SECONDS = 86_400  # a UTC day: a cap reads its month's whole days (migration 25)


def slot_of(at: float) -> float:
    return float(int(at // SLOT_SECONDS) * SLOT_SECONDS)


def day_of(at: float) -> float:
    return float(int(at // DAY_SECONDS) * DAY_SECONDS)


def reversed_domain(domain: str) -> str:
    """``sales.example.com`` as ``com.example.sales.``: a domain's subdomains sort after it."""
    return ".".join(reversed(domain.lower().split("."))) + "." if domain else ""


def team_range(domain: str) -> tuple[str, str]:
    """The ``rdomain`` range of ``domain`` and its subdomains: ``["com.example.", "com.example/")``
    (``/`` is the character after ``.``)."""
    start = reversed_domain(domain)
    return start, start[:-1] + "/"


def counted(job: NewSmsJob, now: float) -> Op[None]:
    """Count a text just stored: its segments, and its number as one its author has texted."""
    if not job.author:
        return
    yield from spend(job.author, country_of(job.to_number) or "", now, job.segments)
    yield count(Q.first_text, job.author, job.to_number, now)


def spend(author: str, country: str, at: float, segments: int) -> Op[None]:
    """Add ``segments`` to what ``author`` spent on ``country`` in the quarter hour and the
    UTC day of ``at``: every text counted, however it was stored (one, a bulk send's rows,
    a failed one sent again)."""
    rdomain = reversed_domain(domain_of(author))
    yield count(Q.spend, author, rdomain, country, slot_of(at), segments)
    yield count(Q.spend_day, author, rdomain, country, day_of(at), segments)


def uncounted(row: Any) -> Op[None]:
    """Give back the segments of a text (a stored row) that failed for good, and its
    reported price if it had one."""
    if not row["author"]:
        return
    country = country_of(row["to_number"]) or ""
    created = float(row["created_at"])
    segments, cost = int(row["segments"]), row["cost"]
    taken = (segments, segments if cost is not None else 0, cost or 0.0, row["author"], country)
    yield count(Q.unspend, *taken, slot_of(created))
    yield count(Q.unspend_day, *taken, day_of(created))


def repriced(row: Any, cost: float | None) -> Op[None]:
    """Count a text (a stored row, not failed) at ``cost``, its provider's reported price,
    instead of the price it was counted at: the table's (its ``cost`` is NULL) or an
    earlier report's; with None, at the table's again."""
    old = row["cost"]
    if not row["author"] or old == cost:
        return
    segments = int(row["segments"])
    moved = (segments if cost is not None else 0) - (segments if old is not None else 0)
    created = float(row["created_at"])
    country = country_of(row["to_number"]) or ""
    change = (moved, (cost or 0.0) - (old or 0.0), row["author"], country)
    yield count(Q.reprice, *change, slot_of(created))
    yield count(Q.reprice_day, *change, day_of(created))
