"""The IMAP mailbox watcher against a real Dovecot: texts once, files the mail, survives faults."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.conftest import IN_CI, free_port
from tests.support.bridge_process import BridgeProcess
from tests.support.dovecot import Dovecot, dovecot_command
from tests.support.smtp_client import message

USER, PASSWORD = "sms@company.example", "mailbox-secret"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if dovecot_command() is None:
        if IN_CI:
            pytest.fail("dovecot is missing: .ci/test installs dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with Dovecot(port=free_port(), users={USER: PASSWORD}) as server:
        yield server


def mailbox_bridge(tmp_path: Path, dovecot: Dovecot, more: str = "") -> BridgeProcess:
    (tmp_path / "imap-password").write_text(PASSWORD)
    extra = f"""
[[mailboxes]]
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{USER}"
password_file = "{tmp_path / "imap-password"}"
address = "{USER}"
poll_seconds = 1.0
"""
    return BridgeProcess(tmp_path, extra=extra + more)


def email(to: str, body: str, subject: str = "Hello") -> bytes:
    return message(to=to, subject=subject, body=body).as_bytes(policy=policy.SMTP)


def test_mail_to_the_mailbox_becomes_a_text_and_is_filed(tmp_path: Path, dovecot: Dovecot) -> None:
    with mailbox_bridge(tmp_path, dovecot) as bridge:
        dovecot.append(USER, email("sms+447700900123@company.example", "Your order is ready."))
        dovecot.append(
            USER, email(USER, "Two numbers in the subject", subject="07700 900124, +447700900125")
        )
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 3, what="three texts")
        bridge.wait_until(lambda: len(dovecot.messages(USER, "SMS/Sent")) == 2, what="filing")
    texts = {s["to"]: s["text"] for s in bridge.sandbox_sent()}
    assert texts == {
        "+447700900123": "Your order is ready.",
        "+447700900124": "Two numbers in the subject",
        "+447700900125": "Two numbers in the subject",
    }
    assert dovecot.messages(USER, "INBOX") == []


def test_a_bad_number_is_filed_as_failed_and_the_author_told(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    with mailbox_bridge(tmp_path, dovecot) as bridge:
        dovecot.append(USER, email("sms+12@company.example", "Hello"))
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the notice")
        bridge.wait_until(lambda: len(dovecot.messages(USER, "SMS/Failed")) == 1, what="filing")
    notice = BytesParser(policy=policy.default).parsebytes(raw)
    assert notice["To"] == "alice@example.com"
    assert "12" in notice.get_content() and "Nothing was sent" in notice.get_content()
    assert bridge.sandbox_sent() == []


def test_a_group_after_the_plus_texts_its_contacts_as_the_smtp_listener_does(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """``sms+drivers@`` texts the contacts tagged drivers; a group the author's sender rule
    does not name is refused in the notice, as ``night@`` would be at RCPT TO."""
    rule = '[[senders.rules]]\nmatch = "alice@example.com"\nsender = "ExampleCo"\n'
    bridge = mailbox_bridge(tmp_path, dovecot, more=rule + 'groups = ["drivers"]\n')
    book = tmp_path / "book.csv"
    book.write_text(
        "number,name,tags\n+447700900201,Ann,drivers\n+447700900202,Bob,drivers|night\n"
        "+447700900203,Cat,night\n"
    )
    imported = bridge.cli("contacts", "import", str(book))
    assert imported.returncode == 0, imported.stderr
    with bridge:
        dovecot.append(USER, email("sms+drivers@company.example", "Your shift starts at 9."))
        dovecot.append(USER, email("sms+night@company.example", "Not for Alice to send."))
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 2, what="the drivers' texts")
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the notice")
        bridge.wait_until(lambda: len(dovecot.messages(USER, "SMS/Failed")) == 1, what="filing")
    assert sorted(s["to"] for s in bridge.sandbox_sent()) == ["+447700900201", "+447700900202"]
    notice = BytesParser(policy=policy.default).parsebytes(raw).get_content()
    assert "may not text the group night" in notice


def test_a_sender_not_allowed_is_filed_as_failed_and_never_answered(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """No backscatter: anyone can write any From, so a notice goes only to an address in
    smtp.allowed_senders. The allowed author's email after it shows the notices are flowing."""
    forged = message(
        to="sms+447700900123@company.example", sender="victim@elsewhere.test", body="Spam"
    )
    with mailbox_bridge(tmp_path, dovecot) as bridge:
        dovecot.append(USER, forged.as_bytes(policy=policy.SMTP))
        dovecot.append(USER, email("sms+12@company.example", "Hello"))
        bridge.wait_until(lambda: len(dovecot.messages(USER, "SMS/Failed")) == 2, what="filing")
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the allowed author's notice")
        time.sleep(1.0)  # the mail worker polls every 0.2 s: a second notice would be here
        assert len(bridge.maildir_messages()) == 1
    notice = BytesParser(policy=policy.default).parsebytes(raw)
    assert notice["To"] == "alice@example.com"
    assert bridge.sandbox_sent() == []


def test_attachments_from_the_mailbox_are_named_in_a_notice(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    msg = message(to="sms+447700900123@company.example", body="Scan attached.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="scan.pdf")
    with mailbox_bridge(tmp_path, dovecot) as bridge:
        dovecot.append(USER, msg.as_bytes(policy=policy.SMTP))
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the notice")
        [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
    notice = BytesParser(policy=policy.default).parsebytes(raw)
    assert notice["To"] == "alice@example.com" and "Not sent: scan.pdf." in notice.get_content()
    assert sent["text"] == "Scan attached."


def test_dovecot_restart_and_a_killed_bridge_text_each_message_once(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    bridge = mailbox_bridge(tmp_path, dovecot)
    with bridge:
        dovecot.append(USER, email("sms+447700900200@company.example", "before the restart"))
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 1, what="the first text")
        time.sleep(1.5)  # the watcher is in IDLE now
        dovecot.restart()
        dovecot.append(USER, email("sms+447700900201@company.example", "after the restart"))
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 2, timeout=60, what="reconnect")
        for n in range(20):
            dovecot.append(USER, email(f"sms+4477009003{n:02d}@company.example", f"batch {n}"))
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) >= 4, what="the batch to start")
        bridge.kill()
    with bridge:
        bridge.wait_until(
            lambda: len(dovecot.messages(USER, "SMS/Sent")) == 22,
            timeout=60,
            what="every message filed",
        )
        time.sleep(1.0)
    sends = Counter(s["to"] for s in bridge.sandbox_sent())
    assert len(sends) == 22 and set(sends.values()) == {1}
    assert dovecot.messages(USER, "INBOX") == []


def test_imaps_with_the_servers_own_certificate(tmp_path: Path) -> None:
    if dovecot_command() is None:
        if IN_CI:
            pytest.fail("dovecot is missing: .ci/test installs dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with Dovecot(port=free_port(), users={USER: PASSWORD}, tls=True) as server:
        bridge = mailbox_bridge(tmp_path, server)
        bridge.config.write_text(
            bridge.config.read_text().replace(
                'security = "none"', f'security = "imaps"\nca_file = "{server.certificate}"'
            )
        )
        with bridge:
            server.append(USER, email("sms+447700900123@company.example", "Over TLS."))
            [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
        assert sent["text"] == "Over TLS."


def test_customers_texts_are_appended_to_a_shared_imap_folder(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    (tmp_path / "imap-password").write_text(PASSWORD)
    extra = f"""
[[numbers]]
number = "+447700900100"
inbox = ["team@company.example"]

[mail.imap]
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{USER}"
password_file = "{tmp_path / "imap-password"}"
folder = "SMS Replies"
"""
    with BridgeProcess(tmp_path, extra=extra, mail={"transport": "imap"}) as bridge:
        result = bridge.cli(
            "simulate-inbound",
            "--from",
            "+447700900123",
            "--to",
            "+447700900100",
            "Can you call me? 😀",
        )
        assert result.returncode == 0, result.stderr
        [raw] = bridge.wait_until(lambda: dovecot.messages(USER, "SMS Replies"), what="append")
    appended = BytesParser(policy=policy.default).parsebytes(raw)
    assert appended["To"] == "team@company.example"
    assert appended.get_content().startswith("Can you call me? 😀")


@pytest.mark.parametrize("source", ["token_file", "token_command"])
def test_xoauth2_with_a_token_from_a_file_or_a_command(tmp_path: Path, source: str) -> None:
    if dovecot_command() is None:
        if IN_CI:
            pytest.fail("dovecot is missing: .ci/test installs dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    token = "ya29.test-access-token"
    (tmp_path / "token").write_text(token + "\n")
    how = (
        f'token_file = "{tmp_path / "token"}"'
        if source == "token_file"
        else f'token_command = ["cat", "{tmp_path / "token"}"]'
    )
    with Dovecot(port=free_port(), users={USER: token}, oauth=True) as server:
        bridge = mailbox_bridge(tmp_path, server)
        bridge.config.write_text(
            bridge.config.read_text().replace(
                f'password_file = "{tmp_path / "imap-password"}"', f'auth = "xoauth2"\n{how}'
            )
        )
        with bridge:
            server.append(USER, email("sms+447700900123@company.example", "Token login."))
            [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
    assert sent["text"] == "Token login."


@pytest.mark.parametrize("auth", ["password", "plain"])
def test_starttls_on_the_plain_port_with_login_or_authenticate_plain(
    tmp_path: Path, auth: str
) -> None:
    if dovecot_command() is None:
        if IN_CI:
            pytest.fail("dovecot is missing: .ci/test installs dovecot-imapd")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    with Dovecot(port=free_port(), users={USER: PASSWORD}, starttls=True) as server:
        bridge = mailbox_bridge(tmp_path, server)
        bridge.config.write_text(
            bridge.config.read_text().replace(
                'security = "none"',
                f'security = "starttls"\nca_file = "{server.certificate}"\nauth = "{auth}"',
            )
        )
        with bridge:
            server.append(USER, email("sms+447700900123@company.example", "Upgraded to TLS."))
            [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
        assert sent["text"] == "Upgraded to TLS."
        assert "TLS" in server.log() or "secured" in server.log()
