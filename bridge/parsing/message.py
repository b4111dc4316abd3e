"""An email (MIME) to the text that should be sent as an SMS.

The plain-text part is preferred because it is what the author's client wrote for readers
without HTML; the HTML part is used only when there is no plain one. Text that is not the
author's new message is removed in this order: everything after the admin's end marker, the
quoted reply and sign-offs (``reply.py``), the admin's disclaimer patterns (a match and all
after it). Whitespace is then normalised, since every character costs in an SMS.

Charsets are ``charsets.py``'s: undeclared 8-bit text is UTF-8 when it decodes, else
Windows-1252; a declared charset is believed, and bytes that do not fit it stay replacement
characters, which the chain's content rule refuses with a sentence for the author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Literal

from bridge.parsing.charsets import decode_declared
from bridge.parsing.headers import header_text
from bridge.parsing.reply import visible_reply

__all__ = ["TextOptions", "extract_text"]

_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class TextOptions:
    subject: Literal["ignore", "prepend"] = "ignore"
    end_marker: str | None = None
    disclaimer_patterns: tuple[str, ...] = ()


def extract_text(msg: EmailMessage, *, options: TextOptions) -> str:
    """The SMS text of ``msg`` (possibly empty, which the caller refuses)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return _with_subject("", msg, options)
    raw = _decoded(part)
    if options.end_marker:
        raw = raw.split(options.end_marker, 1)[0]
    if part.get_content_subtype() == "html":
        from bridge.parsing.html import html_to_text  # lxml: at the first HTML email, not at start

        text = html_to_text(raw)
    else:
        text = visible_reply(_unflowed(raw, part))
    text = _without_disclaimers(text, options.disclaimer_patterns)
    return _with_subject(normalise(text), msg, options)


def normalise(text: str) -> str:
    """Single spaces, no trailing blanks, at most one empty line in a row, no edges."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _decoded(part: Message) -> str:
    """The part's text (its transfer encoding undone) in its charset, by ``charsets.py``'s
    rules rather than the email package's, which decodes undeclared 8-bit text as ASCII."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_declared(payload, part.get_content_charset())


def _unflowed(text: str, part: Message) -> str:
    """Join the soft line breaks of format=flowed (RFC 3676) so a sentence is one line."""
    if str(part.get_param("format", "", header="content-type")).lower() != "flowed":
        return text
    delsp = str(part.get_param("delsp", "", header="content-type")).lower() == "yes"
    joined: list[str] = []
    carry = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            carry += line[:-1] if delsp else line
            continue
        joined.append(carry + line)
        carry = ""
    if carry:
        joined.append(carry)
    return "\n".join(joined)


def _without_disclaimers(text: str, patterns: tuple[str, ...]) -> str:
    for pattern in patterns:
        found = re.search(pattern, text, re.MULTILINE | re.IGNORECASE)
        if found is not None:
            text = text[: found.start()]
    return text


def _with_subject(text: str, msg: EmailMessage, options: TextOptions) -> str:
    if options.subject != "prepend":
        return text
    subject = header_text(msg, "Subject")
    if not subject:
        return text
    return f"{subject}\n{text}" if text else subject
