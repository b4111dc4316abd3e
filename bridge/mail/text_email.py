"""A customer's text as an email that staff can read and simply answer with Reply.

``From`` is the customer at the SMS domain (``"+44 7700 900123" <+447700900123@sms.example.com>``),
so Reply goes back through the bridge and becomes a text. When the text answers an email the
bridge sent, it threads under that email (``In-Reply-To``, ``References``, ``Re: subject``).
The footer, after a ``-- `` line that mail clients and the reply parser treat as a signature,
says when the text came and what was last sent to the customer.

The text goes only into the body, which the email library encodes; the customer's number is a
validated E.164 number. Nothing the customer sends can add or change a header.
"""

from __future__ import annotations

import quopri
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers

from bridge.models import Conversation, ThreadEntry
from bridge.parsing.numbers import named
from bridge.parsing.recipients import customer_address

__all__ = ["InboundEmailParts", "display_number", "inbound_email"]

_HISTORY_WIDTH = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEmailParts:
    inbound_id: str
    customer: str
    reply_number: str
    text: str
    received_at: datetime
    timezone: str
    recipients: tuple[str, ...]
    sms_domain: str
    hostname: str
    conversation: Conversation | None = None
    history: tuple[ThreadEntry, ...] = ()  # the conversation's earlier texts, oldest first
    name: str = ""  # the customer's name, from the contacts
    note: str = ""  # why the bridge sends it (a flow handing the customer over), above the rest


@lru_cache(maxsize=4096)
def display_number(number: str) -> str:
    """``+447700900123`` as people write it: ``+44 7700 900123``."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def inbound_email(parts: InboundEmailParts) -> bytes:
    """The email as bytes, CRLF line ends, body in quoted-printable UTF-8.

    Written directly rather than through ``EmailMessage``, whose header objects cost more than
    everything else the bridge does for an inbound text; every value is checked for line
    breaks first, so nothing can start a header of its own.
    """
    headers = [
        ("From", _from(parts)),
        ("To", ", ".join(parts.recipients)),
        ("Subject", _encoded(_subject(parts))),
        ("Date", format_datetime(parts.received_at)),
        ("Message-ID", f"<{parts.inbound_id}@{parts.hostname}>"),
    ]
    if parts.conversation is not None:
        headers += [
            ("In-Reply-To", parts.conversation.message_id),
            ("References", parts.conversation.message_id),
        ]
    headers += [
        ("X-SMS-Reply-Number", parts.reply_number),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    head = "".join(f"{name}: {_one_line(value)}\r\n" for name, value in headers)
    return head.encode() + b"\r\n" + _quoted_printable(_body(parts))


def _from(parts: InboundEmailParts) -> str:
    """The customer, by name when the contacts know it, at the address that texts them back
    from the number they texted (``bridge.parsing.recipients``)."""
    address = customer_address(parts.customer, parts.reply_number, parts.sms_domain)
    return f"{_display_name(named(parts.customer, parts.name))} <{address}>"


def _display_name(name: str) -> str:
    """A quoted string for ASCII, an encoded-word (which may not sit inside quotes) otherwise."""
    if not name.isascii():
        return _encoded(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _encoded(text: str) -> str:
    """RFC 2047 only when needed, so plain subjects stay readable in every client."""
    charset = "us-ascii" if text.isascii() else "utf-8"
    return Header(text, charset).encode(maxlinelen=76)


def _one_line(value: str) -> str:
    if "\r" in value or "\n" in value.replace("\n ", ""):
        raise ValueError("a header value may not contain a line break")
    return value.replace("\n ", "\r\n ")  # folding from Header.encode


def _quoted_printable(text: str) -> bytes:
    lines = text.replace("\r\n", "\n").split("\n")
    encoded = [
        quopri.encodestring(line.encode()).rstrip(b"\n").replace(b"=\n", b"=\r\n") for line in lines
    ]
    return b"\r\n".join(encoded)


def _subject(parts: InboundEmailParts) -> str:
    if parts.conversation is not None and parts.conversation.subject.strip():
        subject = " ".join(parts.conversation.subject.split())
        return subject if subject.lower().startswith("re:") else f"Re: {subject}"
    return f"Text from {display_number(parts.customer)}"


def _body(parts: InboundEmailParts) -> str:
    local = parts.received_at.astimezone(ZoneInfo(parts.timezone))
    when = f"{local:%H:%M %A %d %B %Y} ({parts.timezone})"
    footer = [
        f"Text from {display_number(parts.customer)} to {display_number(parts.reply_number)}"
        f" at {when}.",
        "Reply to text back from the same number; only your new words are sent.",
    ]
    if parts.note:
        footer = [*parts.note.splitlines(), "", *footer]
    if parts.history:
        footer += ["", "Earlier in this conversation:"]
        footer += [_history_line(entry, parts) for entry in parts.history]
    elif parts.conversation is not None and parts.conversation.last_text:
        last = parts.conversation
        footer += ["", f"Last text sent to them, by {last.author}:"]
        footer += [f"> {line}" for line in last.last_text.splitlines()]
    return parts.text.strip() + "\n\n-- \n" + "\n".join(footer) + "\n"


def _history_line(entry: ThreadEntry, parts: InboundEmailParts) -> str:
    """``02 Dec 10:02 bob@example.com: Your order is ready``, on one line, cut at 200."""
    local = entry.at.astimezone(ZoneInfo(parts.timezone))
    who = named(parts.customer, parts.name) if entry.inbound else entry.author
    text = " ".join(entry.text.split())
    if len(text) > _HISTORY_WIDTH:
        text = text[: _HISTORY_WIDTH - 1] + "…"
    return f"{local:%d %b %H:%M} {who or 'the bridge'}: {text}"
