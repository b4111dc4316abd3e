"""Where a template's fields come from: the email's ``field: value`` lines and the contact.

An author who uses a template writes its fields in the body, one a line
(``first_name: Ann``, ``Order: 1234``; names as ``bridge.parsing.placeholders.field_name``
reads them). The recipient's contact gives ``name``, ``first_name``, ``last_name`` and
``email``. A field the body gives wins over the contact's: the author wrote it for this
email. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bridge.errors import Refused
from bridge.models import Contact
from bridge.parsing.placeholders import field_name

__all__ = ["CONTACT_FIELDS", "body_fields", "contact_fields", "merged"]

# What a contact gives a template, in ``contact_fields``.
CONTACT_FIELDS = ("name", "first_name", "last_name", "email")
_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _-]{0,63}):(.*)$")


def body_fields(body: str) -> dict[str, str]:
    """The ``field: value`` lines of ``body`` (keyed by ``field_name``); ``Refused`` (550
    5.6.0) for a line that is not one, which would otherwise never reach anyone."""
    fields: dict[str, str] = {}
    for line in (line.strip() for line in body.splitlines()):
        if not line:
            continue
        found = _FIELD_LINE.match(line)
        if found is None:
            raise Refused(
                550,
                "5.6.0",
                f"With a template, the body gives only its fields, one a line as"
                f" 'first_name: Ann'; {_shortened(line)!r} is not one. Put the text in the"
                " template, or send it without the [template …] tag.",
            )
        fields[field_name(found.group(1))] = found.group(2).strip()
    return fields


def contact_fields(contact: Contact | None) -> dict[str, str]:
    """What a contact gives a template: its name (whole, first word, the rest) and address."""
    if contact is None:
        return {}
    first, _, last = contact.name.strip().partition(" ")
    values = (contact.name.strip(), first, last.strip(), contact.email)
    return {key: value for key, value in zip(CONTACT_FIELDS, values, strict=True) if value}


def merged(body: Mapping[str, str], contact: Mapping[str, str]) -> dict[str, str]:
    """The body's fields over the contact's (an empty body field does not hide the contact's)."""
    return {**contact, **{key: value for key, value in body.items() if value}}


def _shortened(line: str) -> str:
    return line if len(line) <= 60 else line[:57] + "..."
