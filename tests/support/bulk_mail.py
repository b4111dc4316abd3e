"""A bulk send as an author's mail program makes it: a file attached to an email to the bulk
address, the email's body the template; and handed to a bridge's SMTP listener."""

from __future__ import annotations

from email.message import EmailMessage

from tests.support.smtp_client import Dialogue, converse, message

BULK = "bulk@sms.example.com"


def bulk_email(
    data: bytes,
    *,
    filename: str = "customers.csv",
    body: str = "Hi {first_name}, your order {order} is ready.",
    subject: str = "Orders ready",
    subtype: str = "csv",
    maintype: str = "text",
) -> EmailMessage:
    msg = message(to=BULK, subject=subject, body=body)
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_bulk(address: str, msg: EmailMessage) -> Dialogue:
    """``msg`` from alice@example.com to the bulk address, through the SMTP listener at
    ``address``; every answer it gave."""
    return converse(address, mail_from="alice@example.com", rcpts=[BULK], content=msg.as_bytes())
