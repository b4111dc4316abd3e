"""Counts kept as texts are stored, so that the chain's guard rails read a few rows rather
than every text: the segments each author sent to each country each quarter hour (spend
caps) and when each author first texted each number (the velocity guard). Written in the
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
    "SLOT_SECONDS",
    "counted",
    "repriced",
    "reversed_domain",
    "slot_of",
    "team_range",
    "uncounted",
]

SLOT_SECONDS = 900  # a quarter hour: every time zone's days begin on one


def slot_of(at: float) -> float:
    return float(int(at // SLOT_SECONDS) * SLOT_SECONDS)


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
    country = country_of(job.to_number) or ""
    rdomain = reversed_domain(domain_of(job.author))
    yield count(Q.spend, job.author, rdomain, country, slot_of(now), job.segments)
    yield count(Q.first_text, job.author, job.to_number, now)


def uncounted(row: Any) -> Op[None]:
    """Give back the segments of a text (a stored row) that failed for good, and its
    reported price if it had one."""
    if not row["author"]:
        return
    country = country_of(row["to_number"]) or ""
    slot = slot_of(float(row["created_at"]))
    segments, cost = int(row["segments"]), row["cost"]
    priced = segments if cost is not None else 0
    yield count(Q.unspend, segments, priced, cost or 0.0, row["author"], country, slot)


def repriced(row: Any, cost: float | None) -> Op[None]:
    """Count a text (a stored row, not failed) at ``cost``, its provider's reported price,
    instead of the price it was counted at: the table's (its ``cost`` is NULL) or an
    earlier report's; with None, at the table's again."""
    old = row["cost"]
    if not row["author"] or old == cost:
        return
    segments = int(row["segments"])
    moved = (segments if cost is not None else 0) - (segments if old is not None else 0)
    slot = slot_of(float(row["created_at"]))
    country = country_of(row["to_number"]) or ""
    yield count(Q.reprice, moved, (cost or 0.0) - (old or 0.0), row["author"], country, slot)
