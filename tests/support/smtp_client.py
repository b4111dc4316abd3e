"""A real SMTP client (smtplib) that reports the server's answer at every step."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid


@dataclass
class Dialogue:
    mail: tuple[int, str] = (0, "")
    rcpts: list[tuple[int, str]] = field(default_factory=list)
    data: tuple[int, str] | None = None

    @property
    def accepted(self) -> bool:
        return self.data is not None and self.data[0] == 250


def message(
    *,
    to: str = "+447700900123@sms.example.com",
    sender: str = "alice@example.com",
    body: str = "Your order is ready for collection.",
    subject: str = "Order 1234",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def converse(
    address: str,
    *,
    mail_from: str,
    rcpts: list[str],
    content: bytes,
    login: tuple[str, str] | None = None,
    starttls: bool = False,
) -> Dialogue:
    """MAIL, each RCPT, then DATA if any recipient was accepted; every answer recorded.

    Line ends become CRLF, as a mail client sends them (smtplib leaves bytes as they are).
    """
    content = re.sub(rb"\r?\n", b"\r\n", content)
    host, port = address.rsplit(":", 1)
    result = Dialogue()
    with smtplib.SMTP(host, int(port), timeout=30) as client:
        client.ehlo("client.example.com")
        if starttls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            client.starttls(context=context)
            client.ehlo("client.example.com")
        if login is not None:
            client.login(*login)
        code, text = client.mail(mail_from)
        result.mail = (code, text.decode())
        if code != 250:
            return result
        for rcpt in rcpts:
            code, text = client.rcpt(rcpt)
            result.rcpts.append((code, text.decode()))
        if any(code == 250 for code, _ in result.rcpts):
            code, text = client.data(content)
            result.data = (code, text.decode())
    return result
