"""Emails to the bulk address (``bulk@…``, ``[bulk] address``): a file of customers and a
template, kept whole and answered before any row is read.

At RCPT TO the address goes alone, as a control address does, and the email is then read
without cutting its attachments (the listener otherwise keeps 64 KB of each). At DATA the
email must carry exactly one CSV or Excel file (a signature's picture beside it is left
alone) and a message, its new text, which is the template; else 550 5.6.0 with a sentence.
The file and template are stored under a batch of kind 'bulk' (``Store.receive_bulk``), and
only after that commit the author reads ``250 2.0.0 Received <file>: a preview will
follow by email``; the bulk worker (``bridge.workers.bulk``) does the rest, after a restart
too. A mail server delivering the same email again gets 250 and makes no second batch.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.smtp import Envelope

from bridge.clock import Clock
from bridge.errors import Refused
from bridge.models import NewBulkSend
from bridge.parsing.addresses import best_match, domain_of
from bridge.parsing.automatic import automatic_kind
from bridge.parsing.headers import header_text, message_id
from bridge.parsing.message import TextOptions, extract_text
from bridge.parsing.placeholders import Template
from bridge.settings.bulk import BulkSettings
from bridge.settings.text import SendersSettings
from bridge.store.base import Store

__all__ = ["BulkDesk"]

log = logging.getLogger(__name__)

KEPT_FOR = timedelta(days=14)  # how long the batch's control address answers SEND and CANCEL
_TABLE_ENDINGS = (".csv", ".txt", ".tsv", ".xlsx", ".xls")
_TABLE_TYPES = (
    "text/csv",
    "text/tab-separated-values",
    "application/csv",
    "application/vnd.ms-excel",  # what Outlook calls a CSV file
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
_ALONE = (
    "452 4.5.3 An email to the bulk address goes alone: send it to that address only; the"
    " other recipients will be tried again in an email of their own."
)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class BulkDesk:
    """Check the bulk address at RCPT TO; keep the email at DATA."""

    def __init__(
        self,
        *,
        store: Store,
        settings: BulkSettings,
        domains: tuple[str, ...],
        senders: SendersSettings,
        zone_of: Callable[[str], str],
        max_size: int,
        clock: Clock,
        received: Callable[[], None],
        options: TextOptions | None = None,
    ) -> None:
        """``options``: how the message's new text is taken (the admin's end marker and
        disclaimer patterns, as for any email; the subject is never part of it)."""
        self._options = options or TextOptions()
        self._store = store
        self._settings = settings
        self._domains = domains
        self._rules = {rule.match: rule for rule in senders.rules}
        self._zone_of = zone_of
        self._max_size = max_size
        self._clock = clock
        self._received = received

    def is_bulk(self, address: str) -> bool:
        local, _, _ = address.rpartition("@")
        wanted = self._settings.address
        return bool(wanted) and local.lower() == wanted and domain_of(address) in self._domains

    def rcpt_reply(self, envelope: Envelope, address: str) -> str | None:
        """The reply to RCPT TO when the bulk address is in this email (None: not ours)."""
        if not self.is_bulk(address):
            return _ALONE if any(self.is_bulk(a) for a in envelope.rcpt_tos) else None
        if envelope.rcpt_tos:
            return _ALONE
        if hasattr(envelope, "kept"):
            envelope.kept = self._max_size  # the attachment whole, not its first 64 KB
        return "250 2.1.5 Recipient OK"

    async def receive(self, author: str, address: str, content: bytes) -> str:
        """Keep the email (``Refused`` when it cannot be a bulk send); the 250 after commit."""
        msg = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(msg, EmailMessage)
        kind = automatic_kind(msg)
        if kind is not None:
            raise Refused(550, "5.7.1", f"This is {kind}; such mail is never sent as a text.")
        filename, data = _the_file(msg)
        template = _template(msg, self._options)
        now = self._clock()
        send = NewBulkSend(
            token=secrets.token_hex(16),
            author=author,
            message_id=_message_id(msg, content),
            subject=header_text(msg, "Subject"),
            zone=self._zone_of(author),
            expires_at=now + KEPT_FOR,
            filename=filename,
            file=data,
            template=template,
            domain=domain_of(address),
            at_once=self._at_once(author),
        )
        batch_id, new = await self._store.receive_bulk(send, now=now)
        if not new:
            return f"250 2.0.0 Already received: {filename} is being read or was (as {batch_id})"
        self._received()
        log.info("bulk send %s: %s received from %s", batch_id, filename, author)
        return f"250 2.0.0 Received {filename}: a preview will follow by email"

    def _at_once(self, author: str) -> bool:
        match = best_match(author, self._rules) if author else None
        return match is not None and self._rules[match].bulk_without_preview


def _the_file(msg: EmailMessage) -> tuple[str, bytes]:
    """The one CSV or Excel attachment: its name and bytes; else ``Refused``."""
    tables = [part for part in msg.walk() if _is_table(part)]
    if not tables:
        raise Refused(
            550,
            "5.6.0",
            "An email to the bulk address must carry a CSV or Excel (.xlsx) file of the"
            " customers to text, with a column of numbers: attach one and send it again.",
        )
    if len(tables) > 1:
        raise Refused(
            550,
            "5.6.0",
            f"This email carries {len(tables)} CSV or Excel files; a bulk send takes one:"
            " send each file in an email of its own.",
        )
    part = tables[0]
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        raise Refused(550, "5.6.0", "The attached file could not be read from the email.")
    return part.get_filename() or "the attached file", data


def _is_table(part: EmailMessage) -> bool:
    if part.is_multipart():
        return False
    name = (part.get_filename() or "").lower()
    attached = part.get_content_disposition() == "attachment" or bool(name)
    return attached and (name.endswith(_TABLE_ENDINGS) or part.get_content_type() in _TABLE_TYPES)


def _template(msg: EmailMessage, options: TextOptions) -> str:
    """The email's new text, which every row fills; ``Refused`` when it cannot be one."""
    text = extract_text(msg, options=options).strip()
    if not text:
        raise Refused(
            550,
            "5.6.0",
            "The email has no message to send: write the text in the email's body, with"
            " {placeholders} for the file's columns, such as Hi {first_name}.",
        )
    Template(text)  # parsed once here, as the worker will
    stray = _PLACEHOLDER.sub("", text.replace("{{", "").replace("}}", ""))
    if "{" in stray or "}" in stray:
        raise Refused(
            550,
            "5.6.0",
            "The message has a { or } that does not enclose a placeholder: write placeholders"
            " as {first_name}, and a brace meant literally as {{ or }}.",
        )
    return text


def _message_id(msg: EmailMessage, content: bytes) -> str:
    written = message_id(msg)
    if written is not None:
        return written
    return f"<sha256-{hashlib.sha256(content).hexdigest()[:32]}@smsbridge.invalid>"
