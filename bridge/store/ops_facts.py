"""What the outbound chain reads about one recipient, in one statement: the address book's
entry, their texts of one category lately (frequency caps), the team's spend (spend caps).

Each is a part of one SELECT (``statements.selected``: each named statement a column of its
row), so a text costs one statement however many caps count: on SQLite each statement the
event loop runs hands the interpreter lock to the writer's thread and waits to take it back,
and on PostgreSQL each is a round trip."""

from __future__ import annotations

import json

from bridge.models import Contact, Spent
from bridge.store import ops_caps
from bridge.store.ops_contacts import contact_row
from bridge.store.queries import Q
from bridge.store.statements import Op, Part, row, selected

__all__ = ["recipient"]

_CONTACT = ("number", "name", "email", "tags", "timezone", "language", "notes")  # contact_row's


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
    counting = bool(number and category and windows)
    parts: list[Part] = []
    if number:
        parts.append(row(Q.contact, _CONTACT, number))
    if number and category and windows:
        parts += [ops_caps.sent_part(number, category, since, window) for window in windows]
    if authors:
        parts.append(ops_caps.spent_part(authors, month, day))
    if not parts:
        return None, None, [], []
    found = yield selected(parts)
    columns = [found[f"f{i}"] for i in range(len(parts))]
    contact = _contact(columns.pop(0)) if number else None
    counts = [int(columns.pop(0)) for _ in windows] if counting else None
    spent = ops_caps.spent_of(columns.pop(0)) if authors else []
    sent: list[float] = []
    if number and category and counts is not None and _reached(counts, windows):
        sent = yield from ops_caps.sent_times(number, category, since)
    return contact, counts, sent, spent


def _reached(counts: list[int], windows: tuple[tuple[float, float | None, int], ...]) -> bool:
    return any(n >= enough for n, (_, _, enough) in zip(counts, windows, strict=True))


def _contact(column: str | None) -> Contact | None:
    if column is None:
        return None
    return contact_row(dict(zip(_CONTACT, json.loads(column), strict=True)))
