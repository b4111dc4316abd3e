"""What the caps of the outbound chain count, once for both backends.

A recipient's texts of one category (frequency caps) and a team's segments this month and
today (spend caps) are read from ``sms_jobs``, so every bridge on a shared database counts
the same texts. A spend cap's warning is claimed by its key in ``cap_warnings`` and queued as
a mail job in the same transaction: whichever bridge claims it first sends it, once. The SQL
is named in ``bridge/store/queries/caps.sql``.
"""

from __future__ import annotations

from bridge.models import NewMailJob, Spent
from bridge.store.ops import insert_mail
from bridge.store.ops_counts import repriced, team_range
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = ["priced", "sent_counts", "sent_times", "spent", "warn_once"]


def sent_times(number: str, category: str, since: float) -> Op[list[float]]:
    rows = yield all_rows(Q.sent_times, number, category, since)
    return [float(row["at"]) for row in rows]


_NO_END = 1e18  # a window without an end: later than any time the store holds


def sent_counts(
    number: str, category: str, since: float, windows: tuple[tuple[float, float | None, int], ...]
) -> Op[list[int]]:
    """For each window ``(start, end, enough)``, how many of ``number``'s texts of
    ``category`` made since ``since`` go within it, counted up to ``enough``."""
    counts = []
    for start, end, enough in windows:
        end_at = _NO_END if end is None else end
        row = yield one_row(Q.sent_in_window, number, category, since, start, end_at, enough)
        counts.append(int(row["n"]) if row else 0)
    return counts


def spent(authors: str, month: float, day: float) -> Op[list[Spent]]:
    """Segments by author and recipient's country since ``month``, and since ``day``, of the
    authors ``authors`` names (an address, or a domain with its subdomains), from the quarter
    hours counted as texts were stored (``ops_counts``); of those, the segments whose price
    a provider reported, and that price."""
    who = authors.strip().lower()
    if "@" in who:
        rows = yield all_rows(Q.spent_by_author, day, day, day, month, who)
    else:
        rows = yield all_rows(Q.spent_by_team, day, day, day, month, *team_range(who))
    return [
        Spent(
            row["author"],
            row["country"],
            int(row["month"]),
            int(row["day"]),
            month_priced=int(row["month_priced"] or 0),
            month_cost=float(row["month_cost"] or 0.0),
            day_priced=int(row["day_priced"] or 0),
            day_cost=float(row["day_cost"] or 0.0),
        )
        for row in rows
    ]


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
