"""The emails the bridge writes to its administrators (``compliance.alert_to``).

Pure: the velocity guard's alert is built here and queued by the store in the same
transaction that marks the author as alerted, so it goes once a window. Like notices it is
sent with a null envelope sender and ``Auto-Submitted: auto-generated``; it names the author
and the counts, never a customer's number or a text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bridge.mail.notices import DISPLAY_NAME
from bridge.models import NewMailJob

__all__ = ["VelocityAlert"]


@dataclass(frozen=True, slots=True)
class VelocityAlert:
    """``alert(author, new_numbers, now)``: the email to ``to`` about an author held."""

    to: tuple[str, ...]
    from_address: str
    hostname: str
    limit: int
    minutes: float

    def __call__(self, author: str, new_numbers: int, now: datetime) -> NewMailJob:
        msg = EmailMessage(policy=policy.default)
        msg["From"] = Address(display_name=DISPLAY_NAME, addr_spec=self.from_address)
        msg["To"] = ", ".join(self.to)
        msg["Subject"] = f"Texts from {author} held: {new_numbers} new numbers in minutes"
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(domain=self.hostname)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self._body(author, new_numbers, now))
        return NewMailJob(
            envelope_from="", recipients=self.to, content=msg.as_bytes(), kind="alert"
        )

    def _body(self, author: str, new_numbers: int, now: datetime) -> str:
        return (
            f"{author} has texted {new_numbers} numbers they never texted before within"
            f" {self.minutes:g} minutes (compliance.velocity_new_numbers is {self.limit}), as"
            f" of {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
            "Their further texts to new numbers are held for the window, then sent; texts to"
            " numbers they texted before still go. If this is not expected (a stolen password,"
            " a script sending to a bought list: SMS pumping), stop their access now and look"
            " at `smsbridge outbox`.\n\n"
            "You are told once per window. This message was sent automatically by the SMS"
            " bridge.\n"
        )
