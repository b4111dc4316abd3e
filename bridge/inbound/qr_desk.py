"""Emails to the QR address (``qr@<smtp domain>``, ``[links] qr_address``): the keyword as
the subject, a QR code that texts it back, attached to the answer.

Staff write to ``qr@sms.example.com`` with the subject ``JOIN``; the answer, threaded under
their email, carries ``qr-JOIN.png``: a QR code of ``SMSTO:<number>:JOIN``. The number is
the one written in the subject (``JOIN +447700900100``, or in the national form of
``smtp.default_region``), else the sender the author's sender rule gives them; it must be a
number of ``[[numbers]]`` (one the bridge receives texts on), or customers' texts would go
nowhere. The address takes no other recipient, as a batch's control address. The 250 comes
after the answer is stored, as for any email.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bridge.chain.sender import sender_for
from bridge.clock import Clock
from bridge.errors import InvalidNumber, Refused
from bridge.inbound.intake import parse_message
from bridge.links.qr import qr_image, sms_uri
from bridge.mail.notices import DISPLAY_NAME
from bridge.mail.transport import NoticeSettings
from bridge.models import NewMailJob
from bridge.parsing.addresses import domain_of
from bridge.parsing.headers import header_text, message_id
from bridge.parsing.numbers import display_number, parse_number
from bridge.settings.text import SendersSettings
from bridge.store.base import MailQueue

__all__ = ["QrDesk"]

log = logging.getLogger(__name__)

_NO_KEYWORD = (
    "Write the keyword customers should text as the subject (JOIN), and the number they"
    " should text after it if it is not your usual one (JOIN +447700900100)."
)


class QrDesk:
    def __init__(
        self,
        *,
        local: str,
        domains: Collection[str],
        numbers: Collection[str],
        senders: SendersSettings,
        default_region: str,
        store: MailQueue,
        notices: NoticeSettings,
        clock: Clock,
        queued: Callable[[], None],
    ) -> None:
        self._local = local.lower()
        self._domains = {d.lower() for d in domains}
        self._numbers = frozenset(numbers)
        self._senders = senders
        self._region = default_region
        self._store = store
        self._notices = notices
        self._clock = clock
        self._queued = queued

    def is_qr(self, address: str) -> bool:
        local = address.rpartition("@")[0].lower()
        return bool(self._local) and local == self._local and domain_of(address) in self._domains

    async def handle(self, author: str, content: bytes) -> str:
        """Store the answer with the QR code; the SMTP reply (or ``Refused``)."""
        msg = parse_message(content)
        subject = header_text(msg, "Subject")
        keyword, number = self._read(subject, author)
        uri = sms_uri(number, keyword)
        answer = self._answer(msg, author, keyword, number, uri)
        mail = NewMailJob(envelope_from="", recipients=(author,), content=answer)
        await self._store.enqueue_mail([mail], now=self._clock())
        self._queued()
        log.info("QR code for keyword %s sent to %s", keyword, author)
        return f"250 2.0.0 A QR code of {uri} is on its way to you"

    def _read(self, subject: str, author: str) -> tuple[str, str]:
        """The keyword and the number to text it to, from the subject and the sender rules."""
        words = subject.split()
        if words and words[0].lower().rstrip(":") in ("re", "fw", "fwd"):
            words = words[1:]
        if not words:
            raise Refused(550, "5.6.0", _NO_KEYWORD)
        keyword, rest = words[0], " ".join(words[1:])
        if rest:
            try:
                number = parse_number(rest, default_region=self._region)
            except InvalidNumber as exc:
                raise Refused(550, "5.1.3", f"{exc.reason} {_NO_KEYWORD}") from None
        else:
            number = sender_for(author, settings=self._senders).sender
        if number not in self._numbers:
            shown = display_number(number) if number.startswith("+") else number
            raise Refused(
                550,
                "5.7.1",
                f"Customers cannot text {shown}: it is not one of the bridge's numbers. Write"
                f" one of {', '.join(sorted(self._numbers)) or '(none are set up)'} after the"
                " keyword.",
            )
        return keyword, number

    def _answer(
        self, request: EmailMessage, author: str, keyword: str, number: str, uri: str
    ) -> bytes:
        msg = EmailMessage(policy=policy.default)
        msg["From"] = Address(display_name=DISPLAY_NAME, addr_spec=self._notices.from_address)
        msg["To"] = author
        msg["Subject"] = f"Re: {keyword}"
        msg["Date"] = format_datetime(self._clock())
        msg["Message-ID"] = make_msgid(domain=self._notices.hostname)
        asked = message_id(request)
        if asked:
            msg["In-Reply-To"] = asked
            msg["References"] = asked
        msg["Auto-Submitted"] = "auto-replied"
        msg.set_content(
            f"The QR code attached opens a text to {display_number(number)} with {keyword}"
            f" written in: a phone's camera reads it (iPhone and Android).\n\nIt holds {uri}\n"
        )
        safe = "".join(c for c in keyword if c.isalnum() or c in "-_") or "code"
        msg.add_attachment(
            qr_image(uri), maintype="image", subtype="png", filename=f"qr-{safe}.png"
        )
        return msg.as_bytes()
