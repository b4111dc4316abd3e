"""What an email carries that a database cannot store (a NUL, bytes that are not UTF-8) is
cleaned or refused for good, the same on SQLite and on PostgreSQL: never a 451, which the
mail server would retry for days with the same result.

Each case runs against ``smsbridge run`` on its store, driven over a raw socket (smtplib
would refuse to send some of these bytes), and ends in the sandbox's journal: what the phone
got.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess

RCPT = b"+447700900123@sms.example.com"


@pytest.fixture(params=["sqlite", "postgres"], scope="module")
def bridge(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    folder = tmp_path_factory.mktemp(request.param)
    text = {"subject": "prepend"}  # the subject is in the text: the journal shows it
    if request.param == "sqlite":
        with BridgeProcess(folder, text=text) as running:
            yield running
        return
    with postgres_schema() as dsn:
        running = BridgeProcess(folder, text=text, store={"backend": "postgres", "dsn": dsn})
        migrated = running.cli("migrate")
        assert migrated.returncode == 0, migrated.stderr
        with running:
            yield running


def _session(bridge: BridgeProcess, mail_from: bytes, content: bytes) -> list[bytes]:
    """MAIL, RCPT, and DATA with ``content`` if both were accepted: every reply after EHLO."""
    with socket.create_connection(("127.0.0.1", bridge.smtp_port), timeout=30) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"EHLO client.example.com\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        sock.sendall(b"MAIL FROM:" + mail_from + b"\r\nRCPT TO:<" + RCPT + b">\r\nDATA\r\n")
        replies = [reader.readline().rstrip() for _ in range(3)]
        if replies[-1].startswith(b"354"):
            sock.sendall(content + b"\r\n.\r\n")
            replies.append(reader.readline().rstrip())
        sock.sendall(b"QUIT\r\n")
    return replies


def _email(subject: bytes, body: bytes, message_id: bytes) -> bytes:
    return (
        b"From: alice@example.com\r\nTo: " + RCPT + b"\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: " + message_id + b"\r\n\r\n" + body
    )


def _text_sent(bridge: BridgeProcess, reply: bytes) -> str:
    job_id = reply.split()[-1].decode()
    sent = bridge.wait_until(
        lambda: [s for s in bridge.sandbox_sent() if s["job_id"] == job_id], what="the text"
    )
    return str(sent[0]["text"])


@pytest.mark.parametrize(
    ("subject", "body", "message_id", "text"),
    [
        (
            b"Alert",
            b"Disk\x00 full\x07 on db1\x1b[0m",
            b"<nul-body@example.com>",
            "Alert\nDisk full on db1[0m",
        ),
        (b"Disk\x00 full", b"On db2", b"<nul-subject@example.com>", "Disk full\nOn db2"),
        (b"Alert", b"On db3", b"<nul\x00id@example.com>", "Alert\nOn db3"),
        (b"Alert", b"On db4", b"<not-utf8-\xff\xfe@example.com>", "Alert\nOn db4"),
        (
            b"Caf\xe9 \x80 closed",
            b"On db5",
            b"<cp1252-subject@example.com>",
            "Café € closed\nOn db5",
        ),
        (b"Caf\xc3\xa9 \xc2\xa35", b"On db6", b"<utf8-subject@example.com>", "Café £5\nOn db6"),
    ],
    ids=[
        "nul-in-body",
        "nul-in-subject",
        "nul-in-message-id",
        "8bit-message-id",
        "cp1252-subject",
        "utf8-subject",
    ],
)
def test_what_cannot_be_stored_is_cleaned_and_a_redelivery_is_recognised(
    bridge: BridgeProcess, subject: bytes, body: bytes, message_id: bytes, text: str
) -> None:
    content = _email(subject, body, message_id)
    first = _session(bridge, b"<alice@example.com>", content)
    assert first[-1].startswith(b"250 2.0.0 Queued 1 text as "), first
    assert _text_sent(bridge, first[-1]) == text
    again = _session(bridge, b"<alice@example.com>", content)
    job_id = first[-1].rsplit(b" ", 1)[1]
    # the same job: its cleaned key is the same, and the answer says it was received before
    assert again[-1] == b"250 2.0.0 Already queued: this email was received before, as " + job_id


@pytest.mark.parametrize(
    "mail_from", [b"<ops\x00@example.com>", b"<ops\xff@example.com>", b'<"o\\\x00ps"@example.com>']
)
def test_a_sender_address_no_store_can_hold_is_refused_for_good(
    bridge: BridgeProcess, mail_from: bytes
) -> None:
    replies = _session(bridge, mail_from, _email(b"Alert", b"Hello", b"<sender@example.com>"))
    assert replies[0].startswith(b"553 5.1.7 "), replies
    assert b"451" not in b"".join(replies)


def test_nothing_was_answered_451_and_no_traceback_was_logged(bridge: BridgeProcess) -> None:
    """Runs last in this module, after every case above on this bridge."""
    assert "Traceback" not in bridge.log_text()
