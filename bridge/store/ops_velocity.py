"""The velocity guard's store operations: how new a number is to an author, and the alert.

Counted from ``first_texts`` (migration 14: when each author first texted each number,
written with the text), so every bridge on one PostgreSQL database sees the same counts and
a count reads only the window's new numbers. A number is new to an author when
their first job to it was created within the window; ``earlier`` counts the author's other
new numbers first texted before it (by that time, then by number), so that of 200 numbers
queued at once the same first ones pass, whichever worker asks first. The SQL is named in
``bridge/store/queries/velocity.sql``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.models import NewMailJob, NewNumbers
from bridge.store.ops import insert_mail
from bridge.store.queries import Q
from bridge.store.statements import Op, count, one_row

__all__ = ["alert_once", "new_numbers"]


def new_numbers(author: str, to_number: str, since: float, now: float) -> Op[NewNumbers]:
    """How new ``to_number`` is to ``author`` within the window that began at ``since``; a
    number never texted is new and first texted ``now``."""
    row = yield one_row(Q.first_texted_rank, since, author, to_number)
    if row is not None:  # the usual case: the text was stored, its first text with it
        first, earlier = float(row["first_at"]), int(row["earlier"])
    else:
        first = now
        row = yield one_row(Q.new_numbers_before, author, since, first, first, to_number)
        earlier = int(row["earlier"]) if row is not None else 0
    if first < since:
        return NewNumbers(new=False)
    return NewNumbers(new=True, earlier=earlier, first_at=datetime.fromtimestamp(first, UTC))


def alert_once(author: str, mail: NewMailJob, since: float, now: float) -> Op[bool]:
    """Queue ``mail`` unless an alert about ``author`` was queued since ``since``; whether it
    was, in the same transaction as the mark."""
    marked = yield count(Q.mark_alerted, author, now, since)
    if not marked:
        return False
    yield from insert_mail(mail, now)
    return True
