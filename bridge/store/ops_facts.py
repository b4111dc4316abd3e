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
) -> Op[tuple[Contact | None, list[float], list[Spent]]]:
    """Each of the three whose key is given (not None), else its empty answer."""
    contact = (yield from ops_contacts.contact(number)) if number else None
    sent = (yield from ops_caps.sent_times(number, category, since)) if number and category else []
    spent = (yield from ops_caps.spent(authors, month, day)) if authors else []
    return contact, sent, spent
