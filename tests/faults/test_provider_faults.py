"""The provider misbehaving for a while: refusals (500, 503, 429 with Retry-After), answers
that never come, connections reset. Every text is delivered once it recovers, each exactly
once, the retries show in the log and the outbox, and nothing fails that should not.

The provider is ``tests.support.twilio_api.FakeTwilioMessages``: it keeps what it was sent,
so a send whose answer was lost is found again by the bridge's reconciliation, as at Twilio.
"""

from __future__ import annotations

import json
import smtplib
from collections import Counter
from email.policy import SMTP
from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import message
from tests.support.twilio_api import FakeTwilioMessages

SID = "AC" + "1" * 32
FAULTS = ("503", "503", "500", "429", "slow", "reset", "503", "429", "reset", "slow", "500")


def test_texts_survive_refusals_timeouts_and_resets_each_sent_once(tmp_path: Path) -> None:
    with FakeTwilioMessages(SID) as twilio:
        twilio.slow_seconds = 2.5
        twilio.send_faults(*FAULTS)
        bridge = BridgeProcess(
            tmp_path,
            queue={
                "workers": 4,
                "max_attempts": 12,
                "backoff_base_seconds": 0.1,
                "backoff_max_seconds": 1.0,
                "poll_seconds": 0.2,
            },
            extra=f'[providers.twilio]\ntype = "twilio"\naccount_sid = "{SID}"\n'
            f'base_url = "{twilio.url}"\ntimeout_seconds = 1\n'
            "breaker_failures = 4\nbreaker_cooldown_seconds = 1\n",
            env={"SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN": "fault-test-token"},
        )
        with bridge, smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            for n in range(20):
                msg = message(to=f"+4477009001{n:02d}@sms.example.com", body=f"Fault text {n}")
                client.sendmail("alice@example.com", [str(msg["To"])], msg.as_bytes(policy=SMTP))
            jobs = bridge.wait_until(
                lambda: (j := bridge.jobs()) and all(x["state"] == "sent" for x in j) and j,
                timeout=120,
                what="every text to be sent",
            )
            outbox = bridge.cli("outbox", "--json").stdout.splitlines()
    assert len(jobs) == 20
    sends = Counter((m["to"], m["body"]) for m in twilio.sent)
    assert len(sends) == 20 and set(sends.values()) == {1}  # each exactly once
    assert sum(j["attempts"] for j in jobs) > 20  # retried...
    assert all(j["attempts"] <= 12 for j in jobs)  # ...within the bound
    log = bridge.log_text()
    assert "retrying" in log or "circuit open" in log  # the retries are visible
    assert "already had it; not sent again" in log  # a lost answer was reconciled, not resent
    assert any(json.loads(line)["attempts"] > 1 for line in outbox)
