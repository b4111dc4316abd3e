"""One intake for every email edge: decide what an email becomes, then make it durable.

The SMTP listener (and, later, the IMAP mailbox watcher) hands over an ``InboundEmail``; the
intake either refuses it with a reason a person understands (``Refused``) or stores one SMS
job per recipient and returns their ids. The edge answers its peer only after that.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.errors import (
    MessageDefect,
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import EmailMessage
from email.parser import BytesParser

from bridge.clock import Clock
from bridge.config import SendersSettings, TextSettings
from bridge.errors import BridgeError
from bridge.inbound.loops import automatic_kind
from bridge.models import NewMailJob, NewSmsJob
from bridge.outbound.base import NoticeSettings
from bridge.outbound.notices import truncation_notice
from bridge.parsing.fitting import FittedText, TooLong, fit_text
from bridge.parsing.message import TextOptions, extract_text
from bridge.parsing.numbers import mask
from bridge.parsing.slimming import slim
from bridge.policy import SenderIdentity, sender_for
from bridge.store.base import Store

__all__ = ["EmailIntake", "InboundEmail", "Refused"]

log = logging.getLogger(__name__)
_BROKEN_MIME = (
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
    MultipartInvariantViolationDefect,
)


class Refused(BridgeError):
    """The email will not become texts. ``code`` and ``status`` are SMTP's; ``reason`` a sentence."""

    def __init__(self, code: int, status: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.status = status
        self.reason = reason

    def smtp_reply(self) -> str:
        return f"{self.code} {self.status} {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEmail:
    """An email as an edge received it; ``recipients`` are already-validated E.164 numbers."""

    envelope_from: str
    recipients: tuple[str, ...]
    content: bytes
    authenticated_as: str | None = None


class EmailIntake:
    """Parse, check and queue an email."""

    def __init__(
        self,
        *,
        store: Store,
        text: TextSettings,
        senders: SendersSettings,
        notices: NoticeSettings,
        clock: Clock,
        queued: Callable[[], None],
    ) -> None:
        self._store = store
        self._text = text
        self._senders = senders
        self._notices = notices
        self._clock = clock
        self._queued = queued
        self._options = TextOptions(
            subject=text.subject,
            end_marker=text.end_marker,
            disclaimer_patterns=text.disclaimer_patterns,
        )

    async def accept(self, email: InboundEmail) -> list[str]:
        """Store one job per recipient and return their ids, or raise ``Refused``."""
        content = slim(email.content)  # as the SMTP listener already did: the same bytes
        msg = _parsed(content)
        author = (email.authenticated_as or email.envelope_from).lower()
        identity = sender_for(author, settings=self._senders)
        fitted = self._fit(self._body(msg), identity)
        message_id = _message_id(msg, content)
        subject = str(msg.get("Subject", "")).strip()
        jobs = [
            NewSmsJob(
                idempotency_key=f"{message_id}|{number}",
                message_id=message_id,
                author=author,
                subject=subject,
                to_number=number,
                sender=identity.sender,
                text=fitted.text,
                encoding=fitted.encoding,
                segments=fitted.segments,
            )
            for number in email.recipients
        ]
        notices = self._truncation_notices(jobs, fitted)
        queued = await self._store.enqueue_sms(jobs, now=self._clock(), notices=notices)
        ids = [q.id for q in queued]
        self._queued()
        log.info(
            "email %s queued as %s for %s",
            message_id,
            " ".join(ids),
            ", ".join(mask(n) for n in email.recipients),
        )
        return ids

    async def opted_out_reply(self, author: str, number: str) -> str | None:
        """The 550 for a number that texted STOP to the author's sending number, else None."""
        sender = sender_for(author.lower(), settings=self._senders).sender
        if not sender.startswith("+"):
            return None
        since = await self._store.suppressed_since(reply_number=sender, customer=number)
        if since is None:
            return None
        return (
            f"550 5.7.1 {number} asked not to receive texts from {sender} (they replied STOP on"
            f" {since:%Y-%m-%d %H:%M} UTC). Only they can undo that, by texting START to {sender}."
        )

    def _body(self, msg: EmailMessage) -> str:
        kind = automatic_kind(msg)
        if kind is not None:
            raise Refused(550, "5.7.1", f"This is {kind}; such mail is never sent as a text.")
        text = extract_text(msg, options=self._options)
        if not text.strip():
            raise Refused(
                550,
                "5.6.0",
                "The email has no text to send: above the quoted reply and signature it is empty.",
            )
        return text

    def _fit(self, text: str, identity: SenderIdentity) -> FittedText:
        try:
            return fit_text(
                text,
                limit=identity.max_segments or self._text.max_segments,
                too_long=self._text.too_long,
                typographic=self._text.transliterate,
            )
        except TooLong as exc:
            raise Refused(550, "5.3.4", exc.reason) from None

    def _truncation_notices(self, jobs: list[NewSmsJob], fitted: FittedText) -> list[NewMailJob]:
        if fitted.truncated_from is None or not jobs or not jobs[0].author:
            return []
        content = truncation_notice(
            jobs[0],
            original_length=fitted.truncated_from,
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        return [NewMailJob(envelope_from="", recipients=(jobs[0].author,), content=content)]


def parse_message(content: bytes) -> EmailMessage:
    """Parse with the modern policy, long base64 bodies cut (``slim``); refuse MIME so broken
    that its parts cannot be found."""
    return _parsed(slim(content))


def _parsed(content: bytes) -> EmailMessage:
    """``parse_message`` of content already slimmed."""
    msg = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        broken = [d for d in part.defects if isinstance(d, _BROKEN_MIME)]
        if broken:
            raise Refused(
                554, "5.6.0", f"The email's MIME structure is broken: {_describe(broken[0])}"
            )
    return msg


def _describe(defect: MessageDefect) -> str:
    if isinstance(defect, NoBoundaryInMultipartDefect):
        return "it says it has several parts but gives no boundary between them."
    if isinstance(defect, StartBoundaryNotFoundDefect):
        return "the boundary it declares never appears in the message."
    return "its parts do not match its declared structure."


def _message_id(msg: EmailMessage, content: bytes) -> str:
    """The Message-ID, or a digest of the content, so a redelivery has the same key either way.

    Read raw, unfolded: the header registry's parse of it was a twentieth of the SMTP
    listener's time, and the ID is only compared, never interpreted.
    """
    for name, value in msg.raw_items():
        if name.lower() == "message-id" and value.strip():
            return " ".join(value.split())
    return f"<sha256-{hashlib.sha256(content).hexdigest()[:32]}@smsbridge.invalid>"
