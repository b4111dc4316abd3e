"""The address book's operations, once for both backends: read, list, save, delete contacts.

The store checks contacts on the way in (``bridge.parsing.contacts.checked``, in
``SqlStore.save_contacts``, before the writer is asked): whatever called it, only numbers in
E.164, addresses email-validator accepts, known time zones and normal tags are written.
Tags are kept as one text, ``,tag,other,`` (lower-case, sorted, between commas), so one tag
is found with one LIKE on SQLite and PostgreSQL alike. The SQL is named in
``bridge/store/queries/contacts.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.models import Contact
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = ["contact", "contact_row", "contacts", "delete_contact", "save_contacts", "tags_text"]


def tags_text(tags: Sequence[str]) -> str:
    """``("late", "vip")`` as stored: ``,late,vip,``; no tags: ``,``."""
    return ",".join(("", *tags, ""))


def contact_row(row: Any) -> Contact:
    return Contact(
        number=row["number"],
        name=row["name"],
        email=row["email"],
        tags=tuple(tag for tag in row["tags"].split(",") if tag),
        timezone=row["timezone"],
        language=row["language"],
        notes=row["notes"],
    )


def contact(number: str) -> Op[Contact | None]:
    row = yield one_row(Q.contact, number)
    return None if row is None else contact_row(row)


def contacts(tag: str | None, search: str | None, limit: int) -> Op[list[Contact]]:
    """Contacts with ``tag`` whose name, address, notes or number hold ``search``."""
    tag_pattern = f"%,{_escaped(tag.strip().lower())},%" if tag and tag.strip() else "%"
    words = (search or "").strip().lower()
    text_pattern = f"%{_escaped(words)}%"
    digits = "".join(c for c in words if c.isdigit())
    dialled = digits and not words.strip("+ -().0123456789")  # typed as a number
    number_pattern = f"%{digits}%" if dialled else text_pattern
    rows = yield all_rows(Q.contacts, tag_pattern, text_pattern, number_pattern, limit)
    return [contact_row(row) for row in rows]


def save_contacts(given: Sequence[Contact], now: float) -> Op[int]:
    """Insert or replace each (checked) contact by number, all or none; how many were saved."""
    saved = 0
    for entry in given:
        yield count(
            Q.save_contact,
            entry.number,
            entry.name,
            entry.email,
            tags_text(entry.tags),
            entry.timezone,
            entry.language,
            entry.notes,
            now,
            now,
        )
        saved += 1
    return saved


def delete_contact(number: str) -> Op[bool]:
    deleted: int = yield count(Q.delete_contact, number, alone=True)
    return bool(deleted)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
