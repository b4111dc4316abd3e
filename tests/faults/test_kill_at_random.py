"""SIGKILL at random moments while emails and inbound texts keep arriving, five times over:
no accepted email or text is lost, no text is sent twice and no reply is filed twice.

The clients behave as a mail server and a provider do: an email without a 250, or a webhook
without a 200, is offered again until it is taken. The sandbox journal stands for the phones,
the Maildir for the team's inbox.
"""

from __future__ import annotations

import random
import re
import smtplib
import threading
from collections import Counter
from email.policy import SMTP
from pathlib import Path

import httpx

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import message

NUMBERS = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
timezone = "Europe/London"
"""
EMAILS, TEXTS, KILLS = 300, 150, 5


class Load:
    """Emails and webhooks offered to whichever bridge process is running, until taken."""

    def __init__(self, bridge: BridgeProcess) -> None:
        self.bridge = bridge
        self.stop = threading.Event()
        self.emails_taken: set[int] = set()
        self.texts_taken: set[int] = set()

    def emails(self) -> None:
        for n in range(EMAILS):
            msg = message(to=f"+4477009003{n % 100:02d}@sms.example.com", body=f"Kill text {n}")
            while not self.stop.is_set():
                try:
                    with smtplib.SMTP("127.0.0.1", self.bridge.smtp_port, timeout=10) as client:
                        client.sendmail(
                            "alice@example.com", [str(msg["To"])], msg.as_bytes(policy=SMTP)
                        )
                    self.emails_taken.add(n)
                    break
                except (OSError, smtplib.SMTPException):
                    self.stop.wait(0.05)

    def texts(self) -> None:
        url = f"{self.bridge.public_url}/webhooks/sandbox/inbound"
        for n in range(TEXTS):
            fields = {
                "From": f"+4477009004{n % 100:02d}",
                "To": "+447700900100",
                "Body": f"Reply number {n}",
                "MessageId": f"SBI-kill-{n}",
            }
            while not self.stop.is_set():
                try:
                    if httpx.post(url, data=fields, timeout=10).status_code == 200:
                        self.texts_taken.add(n)
                        break
                except httpx.HTTPError:
                    pass
                self.stop.wait(0.05)


def test_random_sigkills_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    chance = random.Random()
    bridge = BridgeProcess(
        tmp_path,
        extra=NUMBERS + "[provider.sandbox]\nlatency_seconds = 0.02\n",
        queue={"workers": 4, "poll_seconds": 0.2, "lease_seconds": 5},
        inbound={"auto_reply_interval_minutes": 0},
    )
    load = Load(bridge)
    bridge.start()
    clients = [threading.Thread(target=load.emails), threading.Thread(target=load.texts)]
    for client in clients:
        client.start()
    try:
        for _ in range(KILLS):
            load.stop.wait(chance.uniform(0.3, 1.5))
            bridge.kill()
            bridge.start()
        for client in clients:
            client.join(timeout=120)
        assert load.emails_taken == set(range(EMAILS))
        assert load.texts_taken == set(range(TEXTS))
        bridge.wait_until(
            lambda: (
                len(bridge.sandbox_sent()) >= EMAILS
                and all(j["state"] == "sent" for j in bridge.jobs())
            ),
            timeout=120,
            what="every text to be sent",
        )
        inbox = bridge.wait_until(
            lambda: (m := bridge.maildir_messages()) and len(m) >= TEXTS and m,
            timeout=120,
            what="every reply in the inbox",
        )
    finally:
        load.stop.set()
        bridge.stop()
    sends = Counter(s["text"] for s in bridge.sandbox_sent())
    assert set(sends) == {f"Kill text {n}" for n in range(EMAILS)}
    assert set(sends.values()) == {1}  # none twice
    texts = [m.split(b"\n--=20", 1)[0] for m in inbox]  # not the thread shown below the text
    filed = Counter(
        n for n in range(TEXTS) for t in texts if re.search(rb"Reply number %d\r?\n" % n, t)
    )
    assert set(filed) == set(range(TEXTS))  # none lost
    assert set(filed.values()) == {1}  # none filed twice
