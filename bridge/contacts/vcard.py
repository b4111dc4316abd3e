"""Contacts as vCards: read 2.1, 3.0 and 4.0 (what Outlook, Google Contacts and Apple
Contacts export), write 4.0 (RFC 6350).

Read by hand, as the format is small: lines unfolded (a line break followed by a space or a
tab continues the line), Outlook's quoted-printable values (``ENCODING=QUOTED-PRINTABLE``,
soft breaks ending in ``=``, in their ``CHARSET``) decoded, Apple's ``item1.`` groups
dropped, and escapes (``\\n``, ``\\,``, ``\\;``) undone. Of each card: FN (else N) is the
name; TEL the number (the one typed cell or mobile, else the preferred, else the first; a
4.0 ``tel:`` URI too); EMAIL the preferred or first address; CATEGORIES the tags (without
Google's ``myContacts``, which every contact of theirs has); TZ the time zone when it is an
IANA name (a bare UTC offset is left out: it says nothing about summer time); LANG the
preferred language; NOTE the notes. A card without a usable number is reported with the
line of its BEGIN.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.contacts.records import ContactFileError, Parsed, Problem, decode
from bridge.models import Contact
from bridge.parsing.contacts import InvalidContact, make_contact
from bridge.parsing.numbers import is_e164

__all__ = ["read", "write"]

_WANTED = {"FN", "N", "TEL", "EMAIL", "CATEGORIES", "TZ", "LANG", "NOTE"}
_OFFSET = re.compile(r"^[+-]\d{1,2}(:?\d{2})?$")
_GOOGLE_EVERYONE = "mycontacts"
_FOLD_AT = 75  # octets per line before folding (RFC 6350 3.2)


@dataclass(frozen=True, slots=True)
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str

    def has_type(self, *types: str) -> bool:
        return any(t in self.params.get("TYPE", []) for t in types)

    def preferred(self) -> bool:
        return self.has_type("pref") or "PREF" in self.params


def read(data: bytes, *, default_region: str) -> Parsed:
    """Every card as a contact, or as a problem naming the line of its BEGIN."""
    lines = _logical_lines(decode(data))
    if not any(line.upper().startswith("BEGIN:VCARD") for _, line in lines):
        raise ContactFileError("no vCard in the file (no BEGIN:VCARD line)")
    parsed = Parsed()
    card: list[_Property] | None = None
    start = 0
    for number, line in lines:
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            card, start = [], number
        elif upper == "END:VCARD" and card is not None:
            _add(parsed, start, card, default_region)
            card = None
        elif card is not None:
            found = _property(line)
            if found is not None and found.name in _WANTED:
                card.append(found)
    if card is not None:
        parsed.problems.append(Problem(start, "the card has no END:VCARD"))
    return parsed


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded lines, each with the physical line it starts on."""
    logical: list[tuple[int, str]] = []
    soft = False  # the last line was quoted-printable ending in "=": it goes on
    for number, raw in enumerate(text.splitlines(), start=1):
        if logical and (soft or raw[:1] in (" ", "\t")):
            first, text_so_far = logical[-1]
            joined = text_so_far[:-1] + raw if soft else text_so_far + raw[1:]  # drop "="
            logical[-1] = (first, joined)
        elif raw.strip():
            logical.append((number, raw))
        else:
            continue
        current = logical[-1][1]
        soft = "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper() and current.endswith("=")
    return logical


def _property(line: str) -> _Property | None:
    head, value = _split_value(line)
    if head is None:
        return None
    name, *raw_params = _split_unquoted(head, ";")
    name = name.rsplit(".", 1)[-1].upper()  # item1.TEL -> TEL
    params: dict[str, list[str]] = {}
    for param in raw_params:
        key, sep, values = param.partition("=")
        if not sep:  # vCard 2.1: a bare type (CELL) or encoding (QUOTED-PRINTABLE)
            key, values = ("ENCODING" if key.upper() == "QUOTED-PRINTABLE" else "TYPE"), key
        for each in values.replace('"', "").split(","):  # TYPE="voice,cell" and TYPE=a,b
            params.setdefault(key.upper(), []).append(each.strip().lower())
    if "quoted-printable" in params.get("ENCODING", []):
        charset = (params.get("CHARSET") or ["utf-8"])[0]
        raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
        value = raw.decode(charset if _known(charset) else "utf-8", errors="replace")
    return _Property(name, params, value)


def _split_value(line: str) -> tuple[str | None, str]:
    """``name;params`` and the value, split at the first colon outside quotes."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], line[index + 1 :]
    return None, ""


def _split_unquoted(text: str, mark: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == mark and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _known(charset: str) -> bool:
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True


def _unescape(value: str) -> str:
    return re.sub(r"\\([nN,;:\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split_list(value: str) -> list[str]:
    """A list value (CATEGORIES) at its unescaped commas, each item unescaped."""
    return [_unescape(item) for item in re.split(r"(?<!\\),", value)]


def _add(parsed: Parsed, line: int, card: list[_Property], default_region: str) -> None:
    tel = _tel(card)
    if tel is None:
        parsed.problems.append(Problem(line, "the card has no phone number (TEL)"))
        return
    tags = [t for p in _all(card, "CATEGORIES") for t in _split_list(p.value)]
    try:
        contact = make_contact(
            number=tel,
            default_region=default_region,
            name=_name(card),
            email=_first(card, "EMAIL"),
            tags=[t for t in tags if t.strip().lower() != _GOOGLE_EVERYONE],
            timezone=_zone(card),
            language=_first(card, "LANG"),
            notes="\n".join(_unescape(p.value) for p in _all(card, "NOTE")),
        )
    except InvalidContact as exc:
        parsed.problems.append(Problem(line, exc.reason))
        return
    parsed.contacts.append(contact)


def _all(card: list[_Property], name: str) -> list[_Property]:
    return [p for p in card if p.name == name]


def _first(card: list[_Property], name: str) -> str:
    found = sorted(_all(card, name), key=lambda p: not p.preferred())  # stable: the first
    return _unescape(found[0].value).strip() if found else ""


def _tel(card: list[_Property]) -> str | None:
    phones = [p for p in _all(card, "TEL") if p.value.strip()]
    if not phones:
        return None
    mobile = [p for p in phones if p.has_type("cell", "mobile", "iphone")]
    chosen = (mobile or sorted(phones, key=lambda p: not p.preferred()))[0]
    value = _unescape(chosen.value).strip()
    return value.removeprefix("tel:").split(";", 1)[0]  # a 4.0 URI: tel:+44...;ext=2


def _name(card: list[_Property]) -> str:
    full = _first(card, "FN")
    if full:
        return full
    names = _all(card, "N")
    if not names:
        return ""
    family, given, *rest = [*re.split(r"(?<!\\);", names[0].value), "", ""]
    parts = [rest[1] if len(rest) > 1 else "", given, rest[0], family]  # prefix given middle family
    return " ".join(_unescape(part).strip() for part in parts if part.strip())


def _zone(card: list[_Property]) -> str:
    value = _first(card, "TZ")
    if not value or _OFFSET.match(value) or value.lower().startswith(("utc", "gmt")):
        return ""
    return value.removeprefix("text:")


def write(contacts: Iterable[Contact]) -> bytes:
    """The contacts as vCard 4.0, UTF-8, CRLF line ends, long lines folded."""
    lines: list[str] = []
    for contact in contacts:
        name = contact.name or contact.number
        tel = f"tel:{contact.number}" if is_e164(contact.number) else contact.number
        lines += ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_escape(name)}"]
        lines.append(f"TEL;VALUE=uri;TYPE=cell:{tel}")
        if contact.email:
            lines.append(f"EMAIL:{_escape(contact.email)}")
        if contact.tags:
            lines.append("CATEGORIES:" + ",".join(_escape(tag) for tag in contact.tags))
        if contact.timezone:
            lines.append(f"TZ:{_escape(contact.timezone)}")
        if contact.language:
            lines.append(f"LANG:{contact.language}")
        if contact.notes:
            lines.append(f"NOTE:{_escape(contact.notes)}")
        lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Split at 75 octets, never inside a character; each continuation starts with a space."""
    pieces: list[str] = []
    current, size = "", 0
    limit = _FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, _FOLD_AT - 1  # the space takes one octet
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)
