"""A text that could not be sent, as the email its recipient gets instead.

Used when the author's sender rule sets ``email_fallback`` and the address book has the
recipient's address (``bridge.workers.sms``). A pure function of the job, the contact and
``now``, so the worker stores it in the same transaction as the job's failure. The email is
from ``mail.from_address`` shown as the text's sender (the name or number the phone would have
shown), its subject the author's or "Message from <sender>", its body the text as it would
have been sent. It is marked ``Auto-Submitted: auto-generated`` (RFC 3834), so vacation
responders leave it alone, and carries no address of the author's.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bridge.models import Contact, SmsJob
from bridge.parsing.numbers import display_number, is_e164

__all__ = ["fallback_email", "fallback_subject"]


def fallback_subject(job: SmsJob) -> str:
    """The author's subject, or "Message from <sender>" when the email had none."""
    subject = " ".join(job.subject.split())
    return subject or f"Message from {_sender_name(job.sender)}"


def fallback_email(
    job: SmsJob, contact: Contact, *, from_address: str, now: datetime, hostname: str
) -> bytes:
    """The email to ``contact`` carrying ``job``'s text."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    msg = EmailMessage(policy=policy.default)
    msg["From"] = Address(display_name=_sender_name(job.sender), addr_spec=from_address)
    msg["To"] = Address(display_name=contact.name, addr_spec=contact.email)
    msg["Subject"] = fallback_subject(job)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=hostname)
    msg["Auto-Submitted"] = "auto-generated"
    body = job.text if job.text.endswith("\n") else job.text + "\n"
    msg.set_content(body, cte=None if body.isascii() else "quoted-printable")
    return msg.as_bytes()


def _sender_name(sender: str) -> str:
    """A sender ID as it is; a number as people write it (``+44 7700 900100``)."""
    return display_number(sender) if is_e164(sender) else sender
