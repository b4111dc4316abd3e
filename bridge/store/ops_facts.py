"""What the outbound chain reads about one recipient, in one statement: the address book's
entry, their texts of one category lately (frequency caps), the team's spend (spend caps).

Each is a part of one SELECT (``statements.selected``: each named statement a column of its
row), so a text costs one statement however many caps count: on SQLite each statement the
event loop runs hands the interpreter lock to the writer's thread and waits to take it back,
and on PostgreSQL each is a round trip."""

from __future__ import annotations

import json
from typing import Any

from bridge.models import Contact, Spent, Suppression
from bridge.store import ops_caps, ops_consent
from bridge.store.ops_contacts import contact_row
from bridge.store.queries import Q
from bridge.store.statements import Op, Part, row, selected

__all__ = ["opted_out_and_recipient", "recipient"]

_CONTACT = ("number", "name", "email", "tags", "timezone", "language", "notes")  # contact_row's


Windows = tuple[tuple[float, float | None, int], ...]
Answer = tuple[Contact | None, list[int] | None, list[float], list[Spent]]


def recipient(
    number: str | None,
    category: str | None,
    since: float,
    authors: str | None,
    month: float,
    day: float,
    windows: Windows = (),
) -> Op[Answer]:
    """Each of the answers whose key is given (not None), else its empty answer. The
    recipient's texts are counted in each of ``windows`` (none: no cap counts them), and
    their times read only when a count reached its limit (``Recipient.counts``)."""
    parts = _parts(number, category, since, authors, month, day, windows)
    if not parts:
        return None, None, [], []
    found = yield selected(parts)
    columns = [found[f"f{i}"] for i in range(len(parts))]
    return (yield from _answer(columns, number, category, since, authors, windows))


def opted_out_and_recipient(
    customer: str,
    reply_number: str | None,
    number: str | None,
    category: str | None,
    since: float,
    authors: str | None,
    month: float,
    day: float,
    windows: Windows = (),
) -> Op[tuple[Suppression | None, Answer]]:
    """``ops_consent.suppression(customer, reply_number)`` and ``recipient``, in one
    statement: SMTP's RCPT TO reads the opt-out and what DATA's content stage will ask, so
    that an email costs the event loop one read, not two (docs/benchmarks.md)."""
    parts = [
        ops_consent.suppression_part(customer, reply_number),
        *_parts(number, category, since, authors, month, day, windows),
    ]
    found = yield selected(parts)
    columns = [found[f"f{i}"] for i in range(len(parts))]
    stopped = ops_consent.suppression_of(columns.pop(0))
    answer = yield from _answer(columns, number, category, since, authors, windows)
    return stopped, answer


def _parts(
    number: str | None,
    category: str | None,
    since: float,
    authors: str | None,
    month: float,
    day: float,
    windows: Windows,
) -> list[Part]:
    parts: list[Part] = []
    if number:
        parts.append(row(Q.contact, _CONTACT, number))
    if number and category and windows:
        parts += [ops_caps.sent_part(number, category, since, window) for window in windows]
    if authors:
        parts.append(ops_caps.spent_part(authors, month, day))
    return parts


def _answer(
    columns: list[Any],
    number: str | None,
    category: str | None,
    since: float,
    authors: str | None,
    windows: Windows,
) -> Op[Answer]:
    """The answers of ``_parts``' columns, in their order; the texts' times read (a second
    statement) only when a count reached its window's limit."""
    counting = bool(number and category and windows)
    contact = _contact(columns.pop(0)) if number else None
    counts = [int(columns.pop(0)) for _ in windows] if counting else None
    spent = ops_caps.spent_of(columns.pop(0)) if authors else []
    sent: list[float] = []
    if number and category and counts is not None and _reached(counts, windows):
        sent = yield from ops_caps.sent_times(number, category, since)
    return contact, counts, sent, spent


def _reached(counts: list[int], windows: Windows) -> bool:
    return any(n >= enough for n, (_, _, enough) in zip(counts, windows, strict=True))


def _contact(column: str | None) -> Contact | None:
    if column is None:
        return None
    return contact_row(dict(zip(_CONTACT, json.loads(column), strict=True)))
