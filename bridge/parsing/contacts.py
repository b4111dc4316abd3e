"""A contact's normal form: the one place an address-book entry is checked and normalised.

Every way in (``smsbridge contacts add``, a CSV or vCard import, the store itself) builds a
``Contact`` through ``make_contact`` or checks one with ``checked``, so the address book
never holds a number that is not E.164, an address email-validator refuses, a time zone
zoneinfo does not know, or a tag with capitals or a comma in it. Pure: no I/O beyond
zoneinfo's own database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bridge.errors import BridgeError, InvalidNumber
from bridge.models import Contact
from bridge.parsing.numbers import is_e164, parse_number

__all__ = [
    "InvalidContact",
    "checked",
    "group_tag",
    "make_contact",
    "normal_language",
    "normal_tags",
]

# BCP 47 as people write it: a language, then script, region or variant subtags.
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_TAG_SPLIT = re.compile(r"[,;|]")
_MAX_FIELD = 2000  # a name, an address, a note: longer is a mistake (or an attack)


class InvalidContact(BridgeError):
    """One field of a contact is not acceptable; ``reason`` says which and why, in words."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = f"{field}: {reason}"


def make_contact(
    *,
    number: str,
    default_region: str,
    name: str = "",
    email: str = "",
    tags: Iterable[str] = (),
    timezone: str = "",
    language: str = "",
    notes: str = "",
) -> Contact:
    """A checked ``Contact``; ``number`` may be national (read in ``default_region``)."""
    try:
        e164 = parse_number(number, default_region=default_region)
    except InvalidNumber as exc:
        raise InvalidContact("number", exc.reason) from None
    return Contact(
        number=e164,
        name=_text("name", name, one_line=True),
        email=_email(email),
        tags=normal_tags(tags),
        timezone=_zone(timezone),
        language=normal_language(language),
        notes=_text("notes", notes, one_line=False),
    )


def checked(contact: Contact) -> Contact:
    """``contact`` in its normal form, or ``InvalidContact``: what the store accepts."""
    if not is_e164(contact.number):
        raise InvalidContact("number", f"{contact.number!r} is not in E.164 form")
    return make_contact(
        number=contact.number,
        default_region="ZZ",  # unused: an E.164 number names its own country
        name=contact.name,
        email=contact.email,
        tags=contact.tags,
        timezone=contact.timezone,
        language=contact.language,
        notes=contact.notes,
    )


def normal_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, trimmed, unique and sorted; a value holding ``,``, ``;`` or ``|`` is
    several tags, so no tag ever holds a comma."""
    tags = set()
    for value in values:
        for piece in _TAG_SPLIT.split(value):
            tag = " ".join(piece.split()).lower()
            if tag:
                tags.add(tag)
    return tuple(sorted(tags))


# A tag that can be a group address's local part (``drivers@…``): letters first; no dots,
# which ``.via.`` addresses use; no spaces, which an address cannot hold.
_GROUP = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def group_tag(local: str) -> str | None:
    """The tag an address's local part names (lower case), if it could name a group."""
    tag = local.strip().lower()
    return tag if _GROUP.fullmatch(tag) else None


def normal_language(value: str) -> str:
    """A BCP 47 tag in its usual case (``en-GB``, ``zh-Hant-TW``), or ``''``."""
    value = value.strip().replace("_", "-")
    if not value:
        return ""
    if not _LANGUAGE.fullmatch(value):
        raise InvalidContact("language", f"{value!r} is not a language tag, e.g. en or en-GB")
    first, *rest = value.split("-")
    subtags = [first.lower()]
    for tag in rest:
        if len(tag) == 4 and tag.isalpha():
            subtags.append(tag.title())  # a script: Latn, Hant
        elif (len(tag) == 2 and tag.isalpha()) or (len(tag) == 3 and tag.isdigit()):
            subtags.append(tag.upper())  # a region: GB, 419
        else:
            subtags.append(tag.lower())
    return "-".join(subtags)


def _email(value: str) -> str:
    # email-validator compiles its grammar when imported: at the first address, not at start
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidContact("email", f"{value!r} is not an email address: {exc}") from None


def _zone(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidContact(
            "timezone", f"{value!r} is not an IANA time zone, e.g. Europe/London"
        ) from None
    return value


def _text(field: str, value: str, *, one_line: bool) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(value) > _MAX_FIELD:
        raise InvalidContact(field, f"longer than {_MAX_FIELD} characters")
    if one_line:
        value = " ".join(value.split())
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in value):
        raise InvalidContact(field, "holds a control character")
    return value
