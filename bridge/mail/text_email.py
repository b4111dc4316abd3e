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

from bridge.models import Conversation

__all__ = ["InboundEmailParts", "display_number", "inbound_email"]


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
        ("From", f'"{display_number(parts.customer)}" <{parts.customer}@{parts.sms_domain}>'),
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
        "Reply to this email to text back; only your new words are sent.",
    ]
    if parts.conversation is not None:
        last = parts.conversation
        footer += ["", f"Last text sent to them, by {last.author}:"]
        footer += [f"> {line}" for line in last.last_text.splitlines()]
    return parts.text.strip() + "\n\n-- \n" + "\n".join(footer) + "\n"
