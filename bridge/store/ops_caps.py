"""What the caps of the outbound chain count, once for both backends.

A recipient's texts of one category (frequency caps) and a team's segments this month and
today (spend caps) are read from ``sms_jobs``, so every bridge on a shared database counts
the same texts. A spend cap's warning is claimed by its key in ``cap_warnings`` and queued as
a mail job in the same transaction: whichever bridge claims it first sends it, once. The SQL
is named in ``bridge/store/queries/caps.sql``; what the chain reads for each text is read as
parts of one statement (``ops_facts``).
"""

from __future__ import annotations

import json

from bridge.models import NewMailJob, Spent
from bridge.store.ops import insert_mail
from bridge.store.ops_counts import DAY_SECONDS, SLOT_SECONDS, day_of, repriced, team_range
from bridge.store.queries import Q
from bridge.store.statements import Op, Part, all_rows, count, one_row, rows, selected, value

__all__ = ["priced", "sent_part", "sent_times", "spent", "spent_of", "spent_part", "warn_once"]


def sent_times(number: str, category: str, since: float) -> Op[list[float]]:
    rows = yield all_rows(Q.sent_times, number, category, since)
    return [float(row["at"]) for row in rows]


_NO_END = 1e18  # a window without an end: later than any time the store holds


def sent_part(
    number: str, category: str, since: float, window: tuple[float, float | None, int]
) -> Part:
    """How many of ``number``'s texts of ``category`` made since ``since`` go within the window
    ``(start, end, enough)``, counted up to ``enough``: a part of ``statements.selected``."""
    start, end, enough = window
    end_at = _NO_END if end is None else end
    return value(Q.sent_in_window, number, category, since, start, end_at, enough)


def spent_part(authors: str, month: float, day: float) -> Part:
    """Segments by author and recipient's country since ``month``, and since ``day``, of the
    authors ``authors`` names (an address, or a domain with its subdomains), from what was
    counted as texts were stored (``ops_counts``): the whole UTC days between the month's
    first UTC midnight and the last one before ``day``, and the quarter hours around them; of
    those, the segments whose price a provider reported, and that price. A part of
    ``statements.selected``; ``spent_of`` reads its column."""
    who = authors.strip().lower()
    first, last = day_of(month + DAY_SECONDS - SLOT_SECONDS), day_of(day)
    if first > last:  # the day began before the month's first UTC midnight: quarter hours
        first = last = month
    sums = (day, day, day)
    if "@" in who:
        mine = (who, month, first, who, first, last, who, last)
        return rows(Q.spent_by_author, _SPENT, *mine, *sums)
    start, end = team_range(who)
    spans = (month, first, first, last, last)
    return rows(Q.spent_by_team, _SPENT, start, end, end, *spans, *sums)


_SPENT = (
    "author",
    "country",
    "month",
    "day",
    "month_priced",
    "month_cost",
    "day_priced",
    "day_cost",
)


def spent_of(column: str | None) -> list[Spent]:
    """The Spent rows of a ``spent_part``'s column (a JSON array of arrays of ``_SPENT``)."""
    return [
        Spent(
            str(author),
            str(country),
            int(month or 0),
            int(day or 0),
            month_priced=int(month_priced or 0),
            month_cost=float(month_cost or 0.0),
            day_priced=int(day_priced or 0),
            day_cost=float(day_cost or 0.0),
        )
        for author, country, month, day, month_priced, month_cost, day_priced, day_cost in (
            json.loads(column or "[]")
        )
    ]


def spent(authors: str, month: float, day: float) -> Op[list[Spent]]:
    """``spent_part`` on its own."""
    row = yield selected([spent_part(authors, month, day)])
    return spent_of(row["f0"] if row else None)


def priced(job_id: str, price: str, cost: float | None) -> Op[bool]:
    """Record the price a provider reported for a text (``price`` as it said it; ``cost`` in
    compliance.currency, None when it cannot be), and count the text at it in the spend
    caps, unless it failed for good (it costs nothing then). Whether the job exists."""
    row = yield one_row(Q.get_sms, job_id)
    if row is None:
        return False
    yield count(Q.sms_priced, price, cost, job_id)
    if row["state"] != "failed":
        yield from repriced(row, cost)
    return True


def warn_once(key: str, mail: NewMailJob, now: float) -> Op[bool]:
    """Queue ``mail`` unless a warning of ``key`` was queued before; whether it was now."""
    claimed = yield count(Q.claim_warning, key, now)
    if not claimed:
        return False
    yield from insert_mail(mail, now)
    return True
