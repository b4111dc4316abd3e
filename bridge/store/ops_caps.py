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
from bridge.store.ops_counts import team_range
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, count

__all__ = ["sent_times", "spent", "warn_once"]


def sent_times(number: str, category: str, since: float) -> Op[list[float]]:
    rows = yield all_rows(Q.sent_times, number, category, since)
    return [float(row["at"]) for row in rows]


def spent(authors: str, month: float, day: float) -> Op[list[Spent]]:
    """Segments by author and recipient's country since ``month``, and since ``day``, of the
    authors ``authors`` names (an address, or a domain with its subdomains), from the quarter
    hours counted as texts were stored (``ops_counts``)."""
    who = authors.strip().lower()
    if "@" in who:
        rows = yield all_rows(Q.spent_by_author, day, month, who)
    else:
        rows = yield all_rows(Q.spent_by_team, day, month, *team_range(who))
    return [
        Spent(row["author"], row["country"], int(row["month"]), int(row["day"])) for row in rows
    ]


def warn_once(key: str, mail: NewMailJob, now: float) -> Op[bool]:
    """Queue ``mail`` unless a warning of ``key`` was queued before; whether it was now."""
    claimed = yield count(Q.claim_warning, key, now)
    if not claimed:
        return False
    yield from insert_mail(mail, now)
    return True
