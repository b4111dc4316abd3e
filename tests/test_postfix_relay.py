"""A real Debian Postfix relaying the SMS domain to the bridge, set up as docs/mail-servers.md
says: ``relay_domains`` and a transport map, over STARTTLS (a TLS policy of ``encrypt`` for the
bridge: Postfix refuses to send it anything in clear text).

A text goes through; a number the bridge refuses comes back to its author as Postfix's
bounce, whose text carries the bridge's own sentence; a temporary refusal (451, while the
store cannot write) stays in Postfix's queue and is delivered once the store works again.
"""

from __future__ import annotations

import smtplib
import sqlite3
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.support.bridge_process import BridgeProcess
from tests.support.certificates import make_certificate
from tests.support.postfix import Postfix, postfix_missing
from tests.support.smtp_client import converse, message
from tests.support.smtp_sink import SmtpSink, ThreadedSmtpSink

pytestmark = pytest.mark.slow
DOMAIN = "sms.example.com"


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    missing = postfix_missing()
    if missing is not None:
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("postfix")
    cert, key = make_certificate(folder / "tls", name=DOMAIN)
    bridge = BridgeProcess(folder, smtp={"tls_cert": str(cert), "tls_key": str(key)})
    with (
        SmtpSink.threaded() as authors,
        bridge,
        Postfix(
            domain=DOMAIN, bridge=bridge.smtp_address, others=f"127.0.0.1:{authors.port}", tls=True
        ) as mta,
    ):
        yield mta, bridge, authors


def _submit(mta: Postfix, to: str, body: str) -> None:
    """What a mail client does: hand the email to the organisation's mail server."""
    content = message(to=to, body=body).as_bytes()
    with smtplib.SMTP("127.0.0.1", mta.port, timeout=30) as client:
        client.sendmail("alice@example.com", [to], content)


def _text(raw: bytes) -> str:
    """Every text part of a message (a bounce's report too), whitespace made single."""
    parts = message_from_bytes(raw).walk()
    texts = [p.get_payload(decode=True) or b"" for p in parts if p.get_content_maintype() == "text"]
    return " ".join(b" ".join(texts).decode(errors="replace").split())


def test_a_text_goes_through_postfix_over_tls(relay: tuple[Any, ...]) -> None:
    mta, bridge, _ = relay
    _submit(mta, f"+447700900123@{DOMAIN}", "Sent through Postfix")
    bridge.wait_until(
        lambda: [s for s in bridge.sandbox_sent() if s["text"] == "Sent through Postfix"],
        what="the text sent",
    )
    log = mta.wait_for_log("status=sent (250 2.0.0 Queued 1 text")
    assert "TLS connection established to 127.0.0.1" in log, log


def test_a_refused_number_bounces_with_the_bridges_sentence(
    relay: tuple[Any, ...],
) -> None:
    mta, bridge, authors = relay
    to = f"12@{DOMAIN}"
    asked = converse(bridge.smtp_address, mail_from="alice@example.com", rcpts=[to], content=b"")
    [(code, sentence)] = asked.rcpts
    assert code == 550, asked
    _submit(mta, to, "Never a text")
    bounce = _bounce(authors, mta)
    assert bounce["To"] == "alice@example.com"
    said = _text(bounce.as_bytes())
    assert f"550 {' '.join(sentence.split())}" in said, said
    assert "in reply to RCPT TO command" in said


def _bounce(authors: ThreadedSmtpSink, mta: Postfix) -> Any:
    try:
        [received] = authors.wait_for(1, timeout=30)
    except TimeoutError:
        raise AssertionError(f"no bounce; Postfix's log:\n{mta.log_text()}") from None
    assert received.envelope_from == "<>"  # a bounce has a null sender
    return message_from_bytes(received.content)


def test_a_temporary_refusal_is_queued_and_retried(relay: tuple[Any, ...]) -> None:
    """The store held by another writer: the bridge answers 451 4.3.0 after its busy timeout,
    Postfix defers the email, and delivers it once the store can be written again."""
    mta, bridge, _ = relay
    database = Path(bridge.data_dir) / "smsbridge.db"
    holder = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        _submit(mta, f"+447700900456@{DOMAIN}", "Retried by Postfix")
        log = mta.wait_for_log("status=deferred", timeout=60)
        assert "451 4.3.0" in log, log
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    deadline = time.monotonic() + 90
    while not [s for s in bridge.sandbox_sent() if s["text"] == "Retried by Postfix"]:
        # postqueue -f, again while it is not there: a flush that runs before Postfix has
        # moved the email to its deferred queue finds nothing to send
        assert time.monotonic() < deadline, f"never delivered; Postfix's log:\n{mta.log_text()}"
        mta.flush()
        time.sleep(2)
