"""The headers the bridge keeps (Subject, From, Message-ID) as text any store can hold.

A header may carry what no database takes: a NUL (PostgreSQL refuses it in any text column)
or raw 8-bit bytes, which the email package keeps as lone surrogates (neither SQLite nor
PostgreSQL can encode them). Such an email was answered 451 at every retry, for days. Here
it is cleaned once, deterministically, so a redelivery keeps the same idempotency key:

- a header's text: raw 8-bit bytes read by the undeclared-charset rule (``charsets.py``),
  encoded-words decoded, control characters dropped, white space made single spaces;
- a Message-ID, which is only compared, never shown as prose: bytes that are not UTF-8 and
  control characters written as ``\\xNN`` escapes, so two different IDs stay different.
"""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage

from bridge.parsing.charsets import CONTROL, decode_undeclared

__all__ = ["clean_text", "header_text", "message_id"]

_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte the parser could not decode as ASCII
_UNUSUAL = re.compile(r"[^\t\n\r\x20-\x7e]")  # anything but printable ASCII and white space
_LINE_ENDS = re.compile(r"[\r\n]")
# Most headers: printable ASCII and folding white space, no "=?" (RFC 2047): their text is
# what is written, and the header registry's parse (a tenth of an email's cost) is skipped.
_PLAIN = re.compile(r"(?:[\t\r\n\x20-\x3c\x3e-\x7e]|=(?!\?))*")


def clean_text(value: str) -> str:
    """``value`` with raw bytes (surrogate escapes) decoded and control characters dropped, on
    one line."""
    if _SURROGATE.search(value):
        value = decode_undeclared(value.encode("utf-8", "surrogateescape"))
    return " ".join(CONTROL.sub("", value).split())


def header_text(msg: EmailMessage, name: str) -> str:
    """The text of the first ``name`` header ("" when there is none), cleaned."""
    raw = _raw(msg, name)
    if raw is None:
        return ""
    if _PLAIN.fullmatch(raw):  # printable ASCII without encoded-words: nothing to decode
        return " ".join(raw.split())
    if _SURROGATE.search(raw):  # the email package would make each byte U+FFFD
        decoded = decode_undeclared(_LINE_ENDS.sub("", raw).encode("utf-8", "surrogateescape"))
        return clean_text(str(policy.default.header_factory(name, decoded)))
    return clean_text(str(msg.get(name, "")))


def message_id(msg: EmailMessage) -> str | None:
    """The Message-ID as written, unfolded and made storable; None when there is none.

    Read raw: the header registry's parse of it was a twentieth of the SMTP listener's time,
    and the ID is only compared, never interpreted.
    """
    raw = _raw(msg, "Message-ID")
    if raw is None or not raw.strip():
        return None
    if _UNUSUAL.search(raw):
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raw = CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", raw)
    return " ".join(raw.split())


def _raw(msg: EmailMessage, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in msg.raw_items() if key.lower() == wanted), None)
