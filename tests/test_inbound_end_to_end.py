"""The inbound path end to end: signed webhooks in, email out to a real SMTP sink, Reply back.

The bridge runs from its CLI. Twilio's side is Prism serving Twilio's OpenAPI description
behind a recording proxy; webhooks are signed exactly as Twilio signs them.
"""

from __future__ import annotations

import shutil
import smtplib
import subprocess
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from bridge.providers.twilio.signature import twilio_signature
from tests.conftest import IN_CI, free_port, require_shared
from tests.support.bridge_process import BridgeProcess
from tests.support.prism import RecordingProxy, prism_command, run_prism
from tests.support.provider_helpers import CUSTOMER, NUMBERS, REPLY_NUMBER
from tests.support.smtp_client import converse, message
from tests.support.smtp_sink import SmtpSink, ThreadedSmtpSink

TOKEN = "inbound-test-token"
SID = "AC" + "0" * 32


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    if prism_command() is None:
        if IN_CI:
            pytest.fail("prism is missing: .ci/test installs it")
        pytest.skip("prism is not installed (bash .ci/test installs it)")
    with run_prism(require_shared("specs", "twilio_api_v2010.json"), free_port()) as url:
        yield url


@pytest.fixture
def sink() -> Iterator[ThreadedSmtpSink]:
    with SmtpSink.threaded() as running:
        yield running


@pytest.fixture
def twilio_bridge(tmp_path: Path, prism: str, sink: ThreadedSmtpSink) -> Iterator[tuple]:
    with RecordingProxy(prism) as proxy:
        bridge = BridgeProcess(
            tmp_path,
            provider={"name": "twilio"},
            mail={"transport": "smtp"},
            extra=NUMBERS + f'[provider.twilio]\naccount_sid = "{SID}"\nbase_url = "{proxy.url}"\n'
            f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n',
            env={"SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": TOKEN},
        )
        public = f"http://127.0.0.1:{bridge.http_port}"
        bridge.config.write_text(
            bridge.config.read_text().replace("[bridge]\n", f'[bridge]\npublic_url = "{public}"\n')
        )
        with bridge:
            yield bridge, proxy, public


def _swaks() -> str:
    found = shutil.which("swaks")
    if found is None:
        if IN_CI:
            pytest.fail("swaks is missing: .ci/run installs it")
        pytest.skip("swaks is not installed (apt-get install swaks)")
    return found


def post_signed(public: str, path: str, fields: dict[str, str], token: str = TOKEN) -> int:
    url = public + path
    signature = twilio_signature(url, fields.items(), token)
    answer = httpx.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10)
    return answer.status_code


def inbound(text: str, sid: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": SID,
        "From": CUSTOMER,
        "To": REPLY_NUMBER,
        "Body": text,
        "NumSegments": "1",
    }


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def test_reply_threads_under_the_email_and_reply_by_email_texts_only_the_new_words(
    twilio_bridge: tuple, sink: ThreadedSmtpSink
) -> None:
    bridge, proxy, public = twilio_bridge
    original = message(
        to=f"{CUSTOMER}@sms.example.com",
        subject="Order 1234",
        body="Your order is ready for collection.",
    )
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        client.send_message(original)
    bridge.wait_until(lambda: [j for j in bridge.jobs() if j["state"] == "sent"], what="sent")

    assert (
        post_signed(public, "/webhooks/twilio/inbound", inbound("Can I come at 9? 👍", "SM1"))
        == 200
    )
    assert (
        post_signed(public, "/webhooks/twilio/inbound", inbound("Can I come at 9? 👍", "SM1"))
        == 200
    )
    [received] = sink.wait_for(1, timeout=30)
    email = received.parsed()
    assert received.rcpt_tos == ("alice@example.com",)
    via = b"<+447700900123.via.447700900100@sms.example.com>"  # Reply texts from the same number
    assert b'From: "+44 7700 900123" ' + via in received.content
    assert email["In-Reply-To"] == original["Message-ID"]
    assert email["Subject"] == "Re: Order 1234"
    body = email.get_content()
    assert body.startswith("Can I come at 9? 👍") and "Your order is ready" in body

    quoted = "\n".join("> " + line for line in body.splitlines())
    swaks = _swaks()
    answer = subprocess.run(
        [
            swaks,
            "--server",
            "127.0.0.1",
            "--port",
            str(bridge.smtp_port),
            "--from",
            "alice@example.com",
            "--to",
            "07700900123@sms.example.com",
            "--header",
            "Subject: Re: Order 1234",
            "--add-header",
            f"In-Reply-To: {email['Message-ID']}",
            "--add-header",
            "Content-Type: text/plain; charset=utf-8",
            "--body",
            f"Yes, 9 is fine.\n\nOn Sun, 22 Nov 2026, +44 7700 900123 wrote:\n{quoted}\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "<-  250 2.0.0 Queued 1 text" in answer.stdout, answer.stdout
    bridge.wait_until(lambda: len([r for r in proxy.requests if r.method == "POST"]) == 2)
    last = [r for r in proxy.requests if r.method == "POST"][-1]
    assert (last.form["To"], last.form["From"], last.form["Body"]) == (
        [CUSTOMER],
        [REPLY_NUMBER],
        ["Yes, 9 is fine."],
    )
    time.sleep(0.5)
    assert len(sink.messages) == 1  # the repeated webhook made no second email


def test_forged_or_missing_signatures_get_403_and_change_nothing(
    twilio_bridge: tuple, sink: ThreadedSmtpSink
) -> None:
    bridge, _, public = twilio_bridge
    fields = inbound("Hello", "SM2")
    assert post_signed(public, "/webhooks/twilio/inbound", fields, token="not-the-token") == 403
    assert (
        httpx.post(public + "/webhooks/twilio/inbound", data=fields, timeout=10).status_code == 403
    )
    assert (
        post_signed(
            public,
            "/webhooks/twilio/status",
            {"MessageSid": "SM3", "MessageStatus": "failed"},
            token="x",
        )
        == 403
    )
    time.sleep(1.0)
    assert sink.messages == ()
    assert "Hello" not in bridge.log_text()


def test_undelivered_report_tells_the_author_once(
    twilio_bridge: tuple, sink: ThreadedSmtpSink
) -> None:
    bridge, _, public = twilio_bridge
    original = message(to=f"{CUSTOMER}@sms.example.com", subject="Delivery", body="At 10.")
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        client.send_message(original)
    [job] = bridge.wait_until(lambda: [j for j in bridge.jobs() if j["state"] == "sent"])
    report = {
        "MessageSid": job["provider_message_id"],
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
        "AccountSid": SID,
    }
    for _ in range(2):
        assert post_signed(public, "/webhooks/twilio/status", report) == 200
    [notice] = sink.wait_for(1, timeout=30)
    parsed = notice.parsed()
    assert notice.rcpt_tos == ("alice@example.com",) and notice.envelope_from == "<>"
    assert parsed["In-Reply-To"] == original["Message-ID"]
    assert "switched off or out of reach" in parsed.get_content()
    time.sleep(0.5)
    assert len(sink.messages) == 1
    assert bridge.wait_until(lambda: bridge.jobs()[0]["state"] == "undelivered")


@pytest.fixture
def sandbox_bridge(tmp_path: Path) -> Iterator[BridgeProcess]:
    with BridgeProcess(tmp_path, extra=NUMBERS, inbound={"auto_reply_interval_minutes": 0}) as b:
        yield b


def simulate(bridge: BridgeProcess, text: str) -> None:
    url = f"http://127.0.0.1:{bridge.http_port}/webhooks/sandbox/inbound"
    answer = httpx.post(url, data={"From": CUSTOMER, "To": REPLY_NUMBER, "Body": text}, timeout=10)
    assert answer.status_code == 200, answer.text


def texts_to_customer(bridge: BridgeProcess) -> list[str]:
    return [s["text"] for s in bridge.sandbox_sent() if s["to"] == CUSTOMER]


def email_to_customer(bridge: BridgeProcess):
    return converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=[f"{CUSTOMER}@sms.example.com"],
        content=message(to=f"{CUSTOMER}@sms.example.com").as_bytes(),
    )


def test_stop_refuses_texts_until_start_and_help_is_answered(sandbox_bridge: BridgeProcess) -> None:
    bridge = sandbox_bridge
    simulate(bridge, "Stop!")
    bridge.wait_until(lambda: len(texts_to_customer(bridge)) == 1, what="the STOP confirmation")
    assert "Reply START" in texts_to_customer(bridge)[0]

    refused = email_to_customer(bridge)
    [(code, text)] = refused.rcpts
    assert code == 550 and text.startswith(f"5.7.1 {CUSTOMER} asked not to receive texts")
    assert "START" in text and not refused.accepted

    simulate(bridge, "STOP")  # already stopped: no second confirmation
    simulate(bridge, "start")
    bridge.wait_until(lambda: len(texts_to_customer(bridge)) == 2, what="the START confirmation")
    assert email_to_customer(bridge).accepted

    simulate(bridge, "HELP")
    # STOP, START, the email's text, then the help text (the second STOP got no answer)
    bridge.wait_until(lambda: len(texts_to_customer(bridge)) == 4, what="the help text")
    assert any(t.startswith("This number is used by our team") for t in texts_to_customer(bridge))
    assert bridge.maildir_messages() == []  # keywords never reach an inbox


def test_a_text_with_no_conversation_goes_to_the_numbers_inbox(
    sandbox_bridge: BridgeProcess,
) -> None:
    bridge = sandbox_bridge
    simulate(bridge, "Is the shop open on Sunday?")
    [raw] = bridge.wait_until(bridge.maildir_messages, what="the inbox email")
    email = parse(raw)
    assert email["To"] == "team@example.com"
    assert email["Subject"] == "Text from +44 7700 900123"
    assert email.get_content().startswith("Is the shop open on Sunday?")


def test_simulate_inbound_command(sandbox_bridge: BridgeProcess) -> None:
    bridge = sandbox_bridge
    result = bridge.cli("simulate-inbound", "--from", "07700 900123", "--to", REPLY_NUMBER, "Hi")
    assert result.returncode == 0 and result.stdout.startswith("Received as i"), result.stderr
    [raw] = bridge.wait_until(bridge.maildir_messages, what="the inbox email")
    assert parse(raw).get_content().startswith("Hi")


def test_the_watcher_emails_each_new_text_once_across_a_restart(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.support.twilio_api import FakeTwilioMessages

    with FakeTwilioMessages(SID) as fake:
        bridge = BridgeProcess(
            tmp_path,
            provider={"name": "twilio"},
            extra=NUMBERS + f'[provider.twilio]\naccount_sid = "{SID}"\nbase_url = "{fake.url}"\n'
            "watch_seconds = 0.2\n",
            env={"SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": TOKEN},
        )
        now = datetime.now(UTC)
        fake.add_inbound("SMw1", from_=CUSTOMER, to=REPLY_NUMBER, body="First", at=now)
        with bridge:
            bridge.wait_until(bridge.maildir_messages, what="the first email")
            bridge.kill()
        with bridge:
            fake.add_inbound("SMw2", from_=CUSTOMER, to=REPLY_NUMBER, body="Second", at=now)
            bridge.wait_until(lambda: len(bridge.maildir_messages()) >= 2, what="the second")
            time.sleep(1.0)  # several more polls
        bodies = sorted(
            parse(raw).get_content().split("\n")[0] for raw in bridge.maildir_messages()
        )
        assert bodies == ["First", "Second"]
