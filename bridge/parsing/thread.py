"""Where an email stands in a conversation: is it a reply, a forward, and to what.

Clients mark a reply in different ways. Gmail, Apple Mail, Thunderbird and phones write
In-Reply-To and References; Outlook writes them too, but Exchange and some gateways drop
them and keep only ``Thread-Index`` and a "RE:" subject. So an email is a reply when it
names the message it answers, or when its subject starts with a reply prefix in one of the
languages clients use ("Re:", "RE:", "AW:", "SV:", "Antw:", "Réf:"…). A forward ("Fwd:",
"FW:", "WG:", "TR:", "RV:") is never a reply, even with the headers of one: what it carries
was written for someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

from bridge.parsing.headers import header_text

__all__ = ["Thread", "thread_of"]

_REPLY = re.compile(r"^\s*(re|aw|sv|vs|antw|ynt|odp|réf|ref|res|r)\s*(\[\d+\])?\s*:", re.I)
_FORWARD = re.compile(r"^\s*(fwd?|wg|tr|rv|enc|doorst|vb|vl|i)\s*(\[\d+\])?\s*:", re.I)
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_MAX_REFERENCES = 20  # the newest; a long thread's oldest emails say nothing about the sender


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """What an email says about the conversation it belongs to (``bridge.parsing.thread``).

    ``via`` is the reply number named in the address it was sent to
    (``+447700900123.via.447700900100@…``, as the bridge writes its customers' addresses);
    ``references`` the Message-IDs of In-Reply-To and References, newest first. At SMTP's
    RCPT only ``via`` is known (``headers_known`` False); DATA adds the rest.
    """

    via: str | None = None
    references: tuple[str, ...] = ()
    is_reply: bool = False
    is_forward: bool = False
    headers_known: bool = False

    @property
    def open_reply(self) -> bool:
        """A reply whose address named no number: only its headers, looked up in the store,
        can tell which number it answers."""
        return self.is_reply and self.via is None


def thread_of(msg: EmailMessage, *, via: str | None = None) -> Thread:
    """The thread ``msg`` belongs to, with the reply number its address named (``via``)."""
    subject = header_text(msg, "Subject")
    forward = bool(_FORWARD.match(subject))
    answered = _ids(header_text(msg, "In-Reply-To"))
    earlier = _ids(header_text(msg, "References"))[::-1]  # References lists oldest first
    references = tuple(dict.fromkeys([*answered, *earlier]))[:_MAX_REFERENCES]
    reply = not forward and (bool(references) or bool(_REPLY.match(subject)))
    return Thread(
        via=via,
        references=() if forward else references,
        is_reply=reply,
        is_forward=forward,
        headers_known=True,
    )


def _ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value)
