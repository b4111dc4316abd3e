"""End to end on loopback: ``smsbridge run`` as a subprocess, real mail clients, real files.

The sandbox's journal (``var/sandbox/sent.jsonl``) stands for the phones: it is written
durably before the sandbox answers, so it shows every text the bridge handed over, even
across a SIGKILL.
"""

from __future__ import annotations

import itertools
import json
import shutil
import smtplib
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, free_port, require_shared
from tests.support.bridge_process import BridgeProcess
from tests.support.http_emulator import EmulatedRequest, HttpEmulator, Reply
from tests.support.prism import RecordingProxy, prism_command, run_prism
from tests.support.smsworks_api import FakeSmsWorks
from tests.support.smtp_client import converse, message
from tests.support.twilio_api import FakeTwilioMessages
from tests.support.vonage_api import FakeVonage

RCPT = "+447700900123@sms.example.com"
SWAKS_RCPT = "07700900123@sms.example.com"  # swaks reads a leading "+" as an option
REPLY = """Your table is booked for 7pm on Friday.

See you then,
Alice

On Mon, 2 Nov 2026 at 10:00, Bob <bob@example.org> wrote:
> Can I book a table for Friday?
--
Alice Smith | Example Restaurant
"""
LOG_SECRET = "secret-that-must-not-be-logged"
NUMBERS_TOML = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""
REPLY_NUMBER = "+447700900100"
SANDBOX_FAILS = """
[[provider.sandbox.fail]]
pattern = "+447700900999"
kind = "permanent"
reason = "the number is not in service"

[[provider.sandbox.fail]]
pattern = "+44770090099*"
kind = "temporary"
times = 2
"""


@pytest.fixture
def bridge(tmp_path: Path):
    with BridgeProcess(tmp_path, extra=SANDBOX_FAILS) as running:
        yield running


def _swaks() -> str:
    found = shutil.which("swaks")
    if found is None:
        if IN_CI:
            pytest.fail("swaks is missing: .ci/run installs it")
        pytest.skip("swaks is not installed (apt-get install swaks)")
    return found


def swaks(bridge: BridgeProcess, *args: str) -> str:
    result = subprocess.run(
        [
            _swaks(),
            "--server",
            "127.0.0.1",
            "--port",
            str(bridge.smtp_port),
            "--helo",
            "client.example.com",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout + result.stderr


def test_smtplib_email_reaches_the_sandbox_as_exactly_the_new_text(bridge: BridgeProcess) -> None:
    msg = message(body=REPLY)
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        refused = client.send_message(msg, from_addr="alice@example.com", to_addrs=[RCPT])
    assert refused == {}
    [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
    assert sent["text"] == "Your table is booked for 7pm on Friday.\n\nSee you then,\nAlice"
    assert (sent["to"], sent["sender"]) == ("+447700900123", "ExampleCo")
    outbox = bridge.cli("outbox").stdout
    assert "+44*****0123" in outbox.replace(" ", "") or "0123" in outbox
    assert "sent" in outbox and "+447700900123" not in outbox


class QueryAggregator(HttpEmulator):
    """An aggregator whose API takes everything in the URL: the number, the text, the key."""

    def handle(self, request: EmulatedRequest) -> Reply:
        if request.query.get("key") != LOG_SECRET:
            return Reply(401, {"error": "bad key"})
        return Reply(200, {"id": "q-" + request.query["to"][-4:]})


def _log_case(kind: str, url: str) -> tuple[str, dict[str, str]]:
    """The provider's settings (sending from the reply number) and its secret's variable."""
    sender = (
        f'{NUMBERS_TOML}[[senders.rules]]\nmatch = "alice@example.com"\nsender = "{REPLY_NUMBER}"\n'
    )
    env = "SMSBRIDGE_PROVIDERS__{}__{}"
    tables = {
        "sandbox": ("", None),
        "twilio": (f'account_sid = "AC{"0" * 32}"\nbase_url = "{url}"', "AUTH_TOKEN"),
        "vonage": (f'api_key = "abcd1234"\nbase_url = "{url}"', "API_SECRET"),
        "smsworks": (f'base_url = "{url}"', "JWT"),
        "http": (
            f'url = "{url}/send"\nmethod = "GET"\nbody = "query"\n'
            'auth = { mode = "query", name = "key" }\n'
            '[providers.main.fields]\nto = "{to}"\nfrom = "{sender}"\ntext = "{text}"',
            "AUTH__SECRET",
        ),
    }
    table, secret = tables[kind]
    extra = f'{sender}[providers.main]\ntype = "{kind}"\n{table}\n'
    return extra, ({env.format("MAIN", secret): LOG_SECRET} if secret else {})


@contextmanager
def _provider_api(kind: str) -> Iterator[str]:
    """A stand-in for the provider's API on loopback; its URL (none for the sandbox)."""
    if kind == "sandbox":
        yield ""
        return
    fakes: dict[str, Any] = {
        "twilio": lambda: FakeTwilioMessages(f"AC{'0' * 32}"),
        "vonage": lambda: FakeVonage("abcd1234", LOG_SECRET),
        "smsworks": lambda: FakeSmsWorks(LOG_SECRET),
        "http": QueryAggregator,
    }
    with fakes[kind]() as fake:
        yield fake.url


@pytest.mark.parametrize("kind", ["sandbox", "twilio", "vonage", "smsworks", "http"])
def test_at_info_the_log_has_no_whole_number_text_or_secret(tmp_path: Path, kind: str) -> None:
    """Every provider type, the generic HTTP one with everything in its URL: httpx's own
    request log (logger "httpx") would write the URL, and so all three, at INFO."""
    body = "Confidential: your test results are ready."
    with _provider_api(kind) as url:
        extra, env = _log_case(kind, url)
        with BridgeProcess(tmp_path, bridge={"log_level": "INFO"}, extra=extra, env=env) as bridge:
            dialogue = converse(
                bridge.smtp_address,
                mail_from="alice@example.com",
                rcpts=[RCPT],
                content=message(body=body).as_bytes(),
            )
            assert dialogue.accepted
            bridge.wait_until(
                lambda: [j for j in bridge.jobs() if j["state"] == "sent"], what="the text sent"
            )
    log = bridge.log_text()
    assert "queued as" in log and "sent to +44******0123" in log, log
    for line in log.splitlines():
        for whole in ("447700900123", "7700900123", "447700900100", "7700900100"):
            assert whole not in line, line
        assert "test results" not in line and "Confidential" not in line, line
        assert LOG_SECRET not in line, line


def test_swaks_email_to_two_numbers_sends_two_texts(bridge: BridgeProcess) -> None:
    out = swaks(
        bridge,
        "--from",
        "alice@example.com",
        "--to",
        f"{SWAKS_RCPT},00447700900124@sms.example.com",
        "--header",
        "Subject: Parcel",
        "--add-header",
        "Content-Type: text/plain; charset=utf-8",
        "--body",
        "Your parcel – it’s here…",
    )
    assert "<-  250 2.0.0 Queued 2 texts as s" in out, out
    sent = bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 2 and bridge.sandbox_sent())
    assert sorted(s["to"] for s in sent) == ["+447700900123", "+447700900124"]
    assert {s["text"] for s in sent} == {"Your parcel - it's here..."}


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        (
            ["--from", "mallory@evil.test", "--to", SWAKS_RCPT],
            "<** 550 5.7.1 mallory@evil.test may not",
        ),
        (
            ["--from", "alice@example.com", "--to", "bob@example.org"],
            "<** 550 5.7.1 Relaying denied",
        ),
        (["--from", "alice@example.com", "--to", "12@sms.example.com"], "<** 550 5.1.3"),
        (
            ["--from", "alice@example.com", "--to", SWAKS_RCPT, "--body", ("x" * 70 + "\n") * 1000],
            "<** 552",
        ),
        (
            [
                "--from",
                "alice@example.com",
                "--to",
                SWAKS_RCPT,
                "--add-header",
                "Auto-Submitted: auto-replied",
            ],
            "<** 550 5.7.1 This is an automatic message",
        ),
        (["--from", "<>", "--to", SWAKS_RCPT], "<** 550 5.7.1 Bounces and delivery reports"),
        (
            [
                "--from",
                "alice@example.com",
                "--to",
                SWAKS_RCPT,
                "--add-header",
                "Content-Type: multipart/report; report-type=delivery-status; boundary=b",
                "--body",
                "\r\n--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--b--\r\n",
            ],
            "<** 550 5.7.1 This is a bounce or delivery report",
        ),
        (
            [
                "--from",
                "alice@example.com",
                "--to",
                SWAKS_RCPT,
                "--add-header",
                "Content-Type: multipart/mixed",
                "--body",
                "no boundary at all",
            ],
            "<** 554 5.6.0",
        ),
    ],
    ids=[
        "unauthorised",
        "foreign-domain",
        "bad-number",
        "oversize",
        "auto-reply",
        "null-sender",
        "delivery-report",
        "malformed-mime",
    ],
)
def test_refusals_have_the_right_code_and_queue_nothing(
    bridge: BridgeProcess, args: list[str], answer: str
) -> None:
    out = swaks(bridge, *args)
    assert answer in out, out
    assert bridge.jobs() == []


def test_a_permanent_failure_sends_exactly_one_threaded_notice(bridge: BridgeProcess) -> None:
    msg = message(to="+447700900999@sms.example.com", subject="Appointment", body="See you at 3.")
    rcpts = ["+447700900999@sms.example.com"]
    dialogue = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=rcpts,
        content=msg.as_bytes(policy=SMTP),
    )
    assert dialogue.accepted
    [raw] = bridge.wait_until(bridge.maildir_messages, what="the notice")
    notice = BytesParser(policy=policy.default).parsebytes(raw)
    assert notice["To"] == "alice@example.com"
    assert notice["In-Reply-To"] == msg["Message-ID"]
    assert notice["Subject"] == "Re: Appointment"
    body = notice.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "+447700900999" in body and "not in service" in body and "See you at 3." in body
    [job] = bridge.jobs()
    assert (job["state"], job["attempts"]) == ("failed", 1)
    assert bridge.sandbox_sent() == []
    bridge.stop()  # all work done: a clean stop must not produce a second notice
    assert len(bridge.maildir_messages()) == 1


def test_temporary_failures_are_retried_then_sent(bridge: BridgeProcess) -> None:
    dialogue = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=["+447700900990@sms.example.com"],
        content=message(body="Second try").as_bytes(),
    )
    assert dialogue.accepted
    [sent] = bridge.wait_until(bridge.sandbox_sent, what="the retried text")
    assert sent["text"] == "Second try"
    [job] = bridge.wait_until(lambda: [j for j in bridge.jobs() if j["state"] == "sent"])
    assert job["attempts"] == 3
    assert bridge.maildir_messages() == []


def test_sigkill_right_after_250s_then_restart_sends_each_text_exactly_once(tmp_path: Path) -> None:
    """The sandbox answers slowly so that texts are in flight when the bridge is killed."""
    emails = [
        message(to=f"+4477009002{i:02d}@sms.example.com", body=f"Batch text {i}") for i in range(40)
    ]
    rcpts = [[str(m["To"]), f"+4477009003{i:02d}@sms.example.com"] for i, m in enumerate(emails)]
    bridge = BridgeProcess(
        tmp_path,
        provider={"name": "sandbox"},
        extra="[provider.sandbox]\nlatency_seconds = 0.3\n",
        queue={"workers": 4, "poll_seconds": 0.2},
    )
    with bridge, smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        for msg, to in zip(emails, rcpts, strict=True):
            assert client.sendmail("alice@example.com", to, msg.as_bytes(policy=SMTP)) == {}
        bridge.kill()
    handed_over = len(bridge.sandbox_sent())
    assert handed_over < 80, "the kill came too late to test anything"
    with bridge:
        done = bridge.wait_until(
            lambda: all(j["state"] == "sent" for j in bridge.jobs()) and bridge.jobs(),
            timeout=60,
            what="every job to be sent",
        )
        assert len(done) == 80
        with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            for msg, to in zip(emails, rcpts, strict=True):  # the mail server delivers again
                client.sendmail("alice@example.com", to, msg.as_bytes(policy=SMTP))
        assert len(bridge.jobs()) == 80
    sends = Counter((s["job_id"], s["to"]) for s in bridge.sandbox_sent())
    assert len(sends) == 80 and set(sends.values()) == {1}
    log = bridge.log_text()
    assert "in flight when the bridge last stopped" in log
    assert "sandbox already had it; not sent again" in log  # the in-doubt path ran


@pytest.fixture(scope="module")
def prism() -> Iterator[str]:
    if prism_command() is None:
        if IN_CI:
            pytest.fail("prism is missing: .ci/test installs it")
        pytest.skip("prism is not installed (bash .ci/test installs it)")
    spec = require_shared("specs", "twilio_api_v2010.json")
    with run_prism(spec, free_port()) as url:
        yield url


def test_twilio_contract_served_by_prism_gets_exactly_the_text(tmp_path: Path, prism: str) -> None:
    with RecordingProxy(prism) as proxy:
        bridge = BridgeProcess(
            tmp_path,
            provider={"name": "twilio"},
            bridge={"public_url": "https://bridge.example.com"},
            extra=f'[provider.twilio]\naccount_sid = "AC{"0" * 32}"\nbase_url = "{proxy.url}"\n',
            env={"SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": "test-token-not-secret"},
        )
        with bridge, smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            client.send_message(
                message(body=REPLY),
                from_addr="alice@example.com",
                to_addrs=[RCPT, "+447700900124@sms.example.com"],
            )
            jobs = bridge.wait_until(
                lambda: [j for j in bridge.jobs() if j["state"] == "sent"][1:] and bridge.jobs(),
                what="both texts accepted by Twilio's contract",
            )
        assert all(j["provider"] == "twilio" and j["provider_message_id"] for j in jobs)
        posts = [r for r in proxy.requests if r.method == "POST"]
        assert [r.status for r in posts] == [201, 201]
        assert {r.form["To"][0] for r in posts} == {"+447700900123", "+447700900124"}
        expected = "Your table is booked for 7pm on Friday.\n\nSee you then,\nAlice"
        assert all(r.form["Body"] == [expected] and r.form["From"] == ["ExampleCo"] for r in posts)
        assert all(r.path == f"/2010-04-01/Accounts/AC{'0' * 32}/Messages.json" for r in posts)
        callback = ["https://bridge.example.com/webhooks/twilio/status"]
        assert all(r.form["StatusCallback"] == callback for r in posts)
        assert "test-token-not-secret" not in bridge.log_text()


def test_cli_send_and_outbox_use_the_same_queue(bridge: BridgeProcess) -> None:
    queued = bridge.cli(
        "send", "--to", "07700 900125", "--notify", "alice@example.com", "Your “order” is ready"
    )
    assert queued.returncode == 0 and queued.stdout.startswith("Queued as s"), queued.stderr
    [sent] = bridge.wait_until(bridge.sandbox_sent, what="the CLI's text")
    assert (sent["to"], sent["text"]) == ("+447700900125", 'Your "order" is ready')
    # marked sent just after the provider took it (a moment more on a busy machine)
    bridge.wait_until(lambda: all(j["state"] != "sending" for j in bridge.jobs()), what="the mark")
    refused = bridge.cli("send", "--to", "bob", "Hello")
    assert refused.returncode == 1 and "not a phone number" in refused.stderr
    outbox = bridge.cli("outbox", "--json")
    [record] = [json.loads(line) for line in outbox.stdout.splitlines()]
    assert (record["to"], record["state"], record["segments"]) == ("+44******0125", "sent", 1)


def test_run_refuses_an_invalid_settings_file_with_the_report(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[smtp]\nport = "twenty-five"\nmax_recipients = 0\n[provider]\nname = "x"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    for key in ("smtp.port", "smtp.max_recipients", "smtp.domains", "provider.name"):
        assert key in result.stderr


def _limited(tmp_path: Path, *, rate: float, burst: int, texts: int, first: int) -> list[float]:
    """Send ``texts`` texts in one email from a number limited to ``rate``/s with ``burst``;
    the times the sandbox recorded them, sorted."""
    extra = f"""
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
rate_per_second = {rate}
burst = {burst}

[[senders.rules]]
match = "alice@example.com"
sender = "+447700900100"
"""
    rcpts = [f"+447700900{first + n:03d}@sms.example.com" for n in range(texts)]
    with BridgeProcess(tmp_path, extra=extra, smtp={"max_recipients": 50}) as bridge:
        dialogue = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=rcpts,
            content=message(to=rcpts[0], body="Limited").as_bytes(),
        )
        assert dialogue.accepted
        sent = bridge.wait_until(
            lambda: len(bridge.sandbox_sent()) == texts and bridge.sandbox_sent(),
            timeout=texts / rate + 30,
            what=f"all {texts} texts",
        )
        assert all(job["attempts"] == 1 for job in bridge.jobs())  # waiting spent no attempts
    return sorted(entry["at"] for entry in sent)


def test_a_rate_limited_number_is_queued_not_refused_and_never_too_fast(tmp_path: Path) -> None:
    times = _limited(tmp_path, rate=2.0, burst=1, texts=8, first=400)
    assert times[-1] - times[0] >= 3.4  # 1 at once, then one every 0.5 s
    assert all(later - earlier >= 0.45 for earlier, later in itertools.pairwise(times))


def test_a_number_limited_to_three_a_second_sends_thirty_in_ten_seconds(tmp_path: Path) -> None:
    """The issue's shape (a rate with a burst of 3), three times faster to keep the suite
    short: 3 texts/s; 33 texts take 10 s and no window of t seconds ever holds more than
    3t + 3 of them."""
    times = _limited(tmp_path, rate=3.0, burst=3, texts=33, first=500)
    assert 9.8 <= times[-1] - times[0] <= 12.0
    for i, start in enumerate(times):  # every window starting at a send (0.1 s of jitter)
        for j in range(i, len(times)):
            assert j - i + 1 <= (times[j] - start + 0.1) * 3.0 + 3
