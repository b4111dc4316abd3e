"""A customer's text as an email: From, threading, body, and no header injection."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from bridge.mail.text_email import InboundEmailParts, inbound_email
from bridge.models import Conversation

AT = datetime(2026, 11, 22, 22, 15, tzinfo=UTC)
CONVERSATION = Conversation(
    customer_number="+447700900123",
    reply_number="+447700900100",
    author="alice@example.com",
    message_id="<order-1234@example.com>",
    subject="Order 1234",
    last_text="Your order is ready.",
    last_at=AT,
)


def _parts(text: str = "Can I collect it tomorrow? 👍", **changes: object) -> InboundEmailParts:
    fields: dict[str, object] = dict(
        inbound_id="i123",
        customer="+447700900123",
        reply_number="+447700900100",
        text=text,
        received_at=AT,
        timezone="Europe/London",
        recipients=("alice@example.com",),
        sms_domain="sms.example.com",
        hostname="bridge.example.com",
        conversation=CONVERSATION,
    )
    fields.update(changes)
    return InboundEmailParts(**fields)  # type: ignore[arg-type]


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def test_reply_goes_back_through_the_bridge_and_threads_under_the_original() -> None:
    raw = inbound_email(_parts())
    assert b'From: "+44 7700 900123" <+447700900123.via.447700900100@sms.example.com>\r\n' in raw
    msg = _parse(raw)
    assert msg["From"].addresses[0].addr_spec == "+447700900123.via.447700900100@sms.example.com"
    assert msg["To"] == "alice@example.com"
    assert msg["Subject"] == "Re: Order 1234"
    assert msg["In-Reply-To"] == msg["References"] == "<order-1234@example.com>"
    assert msg["Message-ID"] == "<i123@bridge.example.com>"


def test_body_has_the_text_the_local_time_and_the_last_text_sent() -> None:
    body = _parse(inbound_email(_parts())).get_content().replace("\r\n", "\n")
    assert body.startswith("Can I collect it tomorrow? 👍\n\n-- \n")
    assert "at 22:15 Sunday 22 November 2026 (Europe/London)" in body
    assert "by alice@example.com:\n> Your order is ready." in body


def test_without_a_conversation_the_subject_names_the_sender() -> None:
    msg = _parse(inbound_email(_parts(conversation=None, recipients=("team@example.com",))))
    assert msg["Subject"] == "Text from +44 7700 900123"
    assert msg["In-Reply-To"] is None


def test_a_text_cannot_inject_headers() -> None:
    evil = "hi\r\nBcc: victim@example.org\r\nSubject: owned\r\n\r\nbody"
    msg = _parse(inbound_email(_parts(text=evil)))
    assert msg["Bcc"] is None and msg["Subject"] == "Re: Order 1234"
    assert "Bcc: victim@example.org" in msg.get_content()


def test_long_lines_unicode_and_the_signature_line_survive_the_encoding() -> None:
    text = "Diolch! Mae’r tŷ’n barod. " * 12 + "😀"
    raw = inbound_email(_parts(text=text, conversation=None))
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(
        b"\r\n", b""
    )
    body = _parse(raw).get_content().replace("\r\n", "\n")
    assert body.startswith(text.strip() + "\n\n-- \nText from")
