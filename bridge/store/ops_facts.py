"""What the outbound chain reads about one recipient, in one store operation: the address
book's entry, their texts of one category lately (frequency caps), the team's spend (spend
caps). One operation runs its statements back to back on one connection (``SqlStore._read``),
so a text pays for three statements, not three trips through the store."""

from __future__ import annotations

from bridge.models import Contact, Spent
from bridge.store import ops_caps, ops_contacts
from bridge.store.statements import Op

__all__ = ["recipient"]


def recipient(
    number: str | None,
    category: str | None,
    since: float,
    authors: str | None,
    month: float,
    day: float,
    windows: tuple[tuple[float, float | None, int], ...] = (),
) -> Op[tuple[Contact | None, list[int] | None, list[float], list[Spent]]]:
    """Each of the answers whose key is given (not None), else its empty answer. The
    recipient's texts are counted in each of ``windows`` (none: no cap counts them), and
    their times read only when a count reached its limit (``Recipient.counts``)."""
    contact = (yield from ops_contacts.contact(number)) if number else None
    counts: list[int] | None = None
    sent: list[float] = []
    if number and category and windows:  # no window: no cap counts this category
        counts = yield from ops_caps.sent_counts(number, category, since, windows)
        if any(n >= enough for n, (_, _, enough) in zip(counts, windows, strict=True)):
            sent = yield from ops_caps.sent_times(number, category, since)
    spent = (yield from ops_caps.spent(authors, month, day)) if authors else []
    return contact, counts, sent, spent
