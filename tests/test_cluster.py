"""Two ``smsbridge run`` processes on one PostgreSQL database, as an organisation runs them
for availability: either accepts any email or webhook, each text is sent once, and when one
is killed the other finishes its work.

Both bridges share the sandbox's journal, as they would share one provider account: it is
what the phones received, written before the sandbox answers.
"""

from __future__ import annotations

import queue
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess, read_journal
from tests.support.provider_helpers import CUSTOMER, NUMBERS, REPLY_NUMBER
from tests.support.smtp_client import Dialogue, converse, message
from tests.support.smtp_sink import SmtpSink

EMAILS = 2500


@pytest.fixture
def dsn() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def _pair(
    tmp_path: Path, dsn: str, *, extra: str = "", **sections: dict[str, Any]
) -> tuple[BridgeProcess, ...]:
    journal = tmp_path / "provider" / "sent.jsonl"
    bridges = tuple(
        BridgeProcess(
            tmp_path / name,
            store={"backend": "postgres", "dsn": dsn, "pool_size": 8},
            provider={"name": "sandbox"},
            public=True,
            extra=f'[provider.sandbox]\njournal = "{journal}"\nlatency_seconds = 0.02\n' + extra,
            **sections,
        )
        for name in ("a", "b")
    )
    migrated = bridges[0].cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    return bridges


def _rows(dsn: str, sql: str, *args: object) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    base, _, schema = dsn.partition("?search_path=")  # asyncpg's form; libpq wants options
    with psycopg.connect(base, options=f"-csearch_path={schema}", row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]


class TwoMx:
    """A mail server with two MX hosts: it sends to its first choice and, when that one
    stops answering, to the other, until it has a 250 for every email."""

    def __init__(self, bridges: tuple[BridgeProcess, ...]) -> None:
        self.ports = [b.smtp_port for b in bridges]
        self.accepted: list[Counter[int]] = [Counter() for _ in bridges]
        self.dead: set[int] = set()
        self.todo: queue.Queue[tuple[int, bytes, str]] = queue.Queue()
        self.lock = threading.Lock()

    def send_all(self, emails: list[tuple[bytes, str]], threads: int = 4) -> None:
        for n, (raw, rcpt) in enumerate(emails):
            self.todo.put((n, raw, rcpt))
        workers = [
            threading.Thread(target=self._work, args=(i % len(self.ports),)) for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=300)

    def _work(self, first: int) -> None:
        choice, client = first, None
        while True:
            try:
                n, raw, rcpt = self.todo.get_nowait()
            except queue.Empty:
                break
            while True:
                if choice in self.dead:
                    choice, client = 1 - choice, None
                try:
                    if client is None:
                        client = smtplib.SMTP("127.0.0.1", self.ports[choice], timeout=30)
                    client.sendmail("alice@example.com", [rcpt], raw)
                except (OSError, smtplib.SMTPException):
                    self.dead.add(choice)  # refused, reset or 4xx: the other MX, as MTAs do
                    client = None
                    continue
                with self.lock:
                    self.accepted[choice][n] += 1
                break
        if client is not None:
            client.quit()


def test_two_bridges_share_2500_emails_and_one_is_killed_mid_run(tmp_path: Path, dsn: str) -> None:
    first, second = _pair(
        tmp_path, dsn, queue={"workers": 8, "lease_seconds": 3, "poll_seconds": 0.2}
    )
    emails = []
    for n in range(EMAILS):
        to = f"+447700900{n % 1000:03d}@sms.example.com"
        emails.append((message(to=to, body=f"Text {n}").as_bytes(policy=SMTP), to))
    mx = TwoMx((first, second))
    with first, second:
        sender = threading.Thread(target=mx.send_all, args=(emails,))
        sender.start()
        first.wait_until(
            lambda: sum(mx.accepted[0].values()) >= EMAILS // 4,
            timeout=120,
            what="the first bridge to accept a quarter",
        )
        owner = f":{first.proc.pid}"  # type: ignore[union-attr]
        first.kill()
        leased = _rows(
            dsn,
            "SELECT id FROM sms_jobs WHERE state = 'sending' AND lease_owner LIKE %s",
            f"%{owner}",
        )
        sender.join(timeout=300)
        assert not sender.is_alive()
        done = second.wait_until(
            lambda: (
                _rows(dsn, "SELECT count(*) AS n FROM sms_jobs WHERE state = 'sent'")[0]["n"]
                >= EMAILS
            ),
            timeout=180,
            what="every accepted email to be sent",
        )
        assert done
    jobs = _rows(dsn, "SELECT id, state, in_doubt FROM sms_jobs")
    assert len(jobs) == EMAILS and {j["state"] for j in jobs} == {"sent"}
    accepted = set(mx.accepted[0]) | set(mx.accepted[1])
    assert accepted == set(range(EMAILS))  # every email got a 250 from one of the two
    assert sum(mx.accepted[0].values()) >= EMAILS // 4 and sum(mx.accepted[1].values()) > 0
    sends = Counter(s["job_id"] for s in read_journal(tmp_path / "provider" / "sent.jsonl"))
    assert len(sends) == EMAILS and set(sends.values()) == {1}  # each exactly once
    assert leased, "the kill came when the first bridge had no text in flight"
    finished = {j["id"] for j in jobs if j["in_doubt"]}
    assert {row["id"] for row in leased} <= finished  # the survivor took over, in doubt


def _text(bridge: BridgeProcess, body: str, message_id: str, sender: str = CUSTOMER) -> None:
    """The provider's webhook for an inbound text, sent to whichever bridge it picked."""
    fields = {"From": sender, "To": REPLY_NUMBER, "Body": body, "MessageId": message_id}
    answer = httpx.post(bridge.public_url + "/webhooks/sandbox/inbound", data=fields, timeout=10)
    assert answer.status_code == 200, answer.text


def _email(bridge: BridgeProcess, subject: str = "Order 1234") -> tuple[Dialogue, EmailMessage]:
    msg = message(to=f"{CUSTOMER}@sms.example.com", subject=subject)
    said = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=[f"{CUSTOMER}@sms.example.com"],
        content=msg.as_bytes(),
    )
    return said, msg


def test_either_bridge_threads_replies_and_honours_stop_the_same(tmp_path: Path, dsn: str) -> None:
    with SmtpSink.threaded() as sink:
        smarthost = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n'
        first, second = _pair(
            tmp_path,
            dsn,
            extra=NUMBERS + smarthost,
            mail={"transport": "smtp"},
            inbound={"auto_reply_interval_minutes": 0},
        )
        journal = tmp_path / "provider" / "sent.jsonl"

        def texts() -> list[str]:
            return [sent["text"] for sent in read_journal(journal)]

        with first, second:
            said, original = _email(first)  # alice texts the customer through the first bridge
            assert said.accepted
            first.wait_until(lambda: len(texts()) == 1, what="the text")
            _text(second, "Can I come at 9?", "SBI-1")  # the reply reaches the other bridge
            _text(first, "Can I come at 9?", "SBI-1")  # and the provider's retry the first
            [reply] = sink.wait_for(1, timeout=30)
            assert reply.rcpt_tos == ("alice@example.com",)  # the author, not the team inbox
            assert reply.parsed()["In-Reply-To"] == original["Message-ID"]
            _text(first, "Are you open Sunday?", "SBI-2", sender="+447700900456")
            new = sink.wait_for(2, timeout=30)[1]
            assert new.rcpt_tos == ("team@example.com",)  # no conversation: the number's inbox

            _text(first, "STOP", "SBI-3")  # opted out through the first bridge...
            first.wait_until(lambda: len(texts()) == 2, what="the STOP confirmation")
            refused, _ = _email(second)  # ...refused by the second
            [(code, why)] = refused.rcpts
            assert code == 550 and why.startswith(f"5.7.1 {CUSTOMER} asked not to receive texts")
            _text(second, "START", "SBI-4")
            first.wait_until(lambda: len(texts()) == 3, what="the START confirmation")
            assert _email(first)[0].accepted
            first.wait_until(lambda: len(texts()) == 4, what="the text after START")
            time.sleep(0.5)
            assert len(sink.messages) == 2  # the repeated webhook made no second email
            reloaded = second.cli("reload")  # found through its own data_dir's lock file
            assert reloaded.returncode == 0, reloaded.stderr


def test_a_rate_limit_holds_for_both_bridges_together(tmp_path: Path, dsn: str) -> None:
    """A number limited to 4 texts a second (burst 1) sends 4 a second in all, not 4 from
    each bridge: the token buckets are in the shared database."""
    limited = NUMBERS.replace(
        'timezone = "Europe/London"\n',
        'timezone = "Europe/London"\nrate_per_second = 4.0\nburst = 1\n',
    )
    first, second = _pair(tmp_path, dsn, extra=limited)
    with first, second:
        for n in range(16):
            assert _email(first if n % 2 else second, subject=f"Limited {n}")[0].accepted
        first.wait_until(
            lambda: len(read_journal(tmp_path / "provider" / "sent.jsonl")) >= 16,
            timeout=60,
            what="every text",
        )
    times = sorted(sent["at"] for sent in read_journal(tmp_path / "provider" / "sent.jsonl"))
    # A token bucket's promise: any k texts in a row span at least (k - burst) / rate seconds
    # (150 ms allowed for the provider call between the token and the journal line).
    # A limiter in each process lets both bridges' bursts out together, 4 in 0.3 s.
    pairs = [
        (j - i + 1, times[j] - times[i])
        for i in range(len(times))
        for j in range(i + 1, len(times))
    ]
    tight = [(k, round(span, 3)) for k, span in pairs if k > 1 + 4.0 * (span + 0.15)]
    assert not tight, tight
