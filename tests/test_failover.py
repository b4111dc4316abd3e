"""Failover end to end: Vonage answers 503 for a while, texts go out through The SMS Works,
each once; Vonage comes back and, after the breaker's cool-down, new texts use it again."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.provider_helpers import NUMBERS, send_email
from tests.support.smsworks_api import FakeSmsWorks
from tests.support.vonage_api import FakeVonage

JWT = "eyJhbGciOiJIUzI1NiJ9.failover.sig"


def _settings(vonage: FakeVonage, smsworks: FakeSmsWorks) -> str:
    return (
        NUMBERS
        + f"""
[providers.vonage]
type = "vonage"
api_key = "key"
base_url = "{vonage.url}"
breaker_failures = 2
breaker_cooldown_seconds = 2

[providers.smsworks]
type = "smsworks"
base_url = "{smsworks.url}"
"""
    )


def test_503s_fail_over_each_text_once_and_recovery_brings_texts_back(tmp_path: Path) -> None:
    with FakeVonage("key", "secret") as vonage, FakeSmsWorks(JWT) as smsworks:
        bridge = BridgeProcess(
            tmp_path,
            extra=_settings(vonage, smsworks),
            env={
                "SMSBRIDGE_PROVIDERS__VONAGE__API_SECRET": "secret",
                "SMSBRIDGE_PROVIDERS__SMSWORKS__JWT": JWT,
            },
        )
        vonage.go_down(503)
        with bridge:
            for n in range(6):
                send_email(bridge, f"Outage text {n}", to=f"+4477009002{n:02d}")
            during = bridge.wait_until(
                lambda: (
                    len([j for j in bridge.jobs() if j["state"] == "sent"]) == 6 and bridge.jobs()
                ),
                what="six texts sent during the outage",
            )
            assert {j["provider"] for j in during} == {"smsworks"}
            assert vonage.sent == [] and len(smsworks.sent) == 6
            assert Counter(s.body["tag"] for s in smsworks.sent) == Counter(j["id"] for j in during)
            tried = len(vonage.requests)
            assert 2 <= tried < 6  # the breaker opened after two failures: the rest skipped it
            assert "circuit open" in bridge.log_text()

            vonage.come_back()
            time.sleep(2.2)  # the cool-down: then one text probes Vonage, and it answers
            for n in range(4):
                send_email(bridge, f"Recovered text {n}", to=f"+4477009003{n:02d}")
            after = bridge.wait_until(
                lambda: (
                    len([j for j in bridge.jobs() if j["state"] == "sent"]) == 10 and bridge.jobs()
                ),
                what="four more texts",
            )
        recovered = [j for j in after if j["body"].startswith("Recovered")]
        assert {j["provider"] for j in recovered} == {"vonage"}
        assert len(vonage.sent) == 4 and len(smsworks.sent) == 6
        assert Counter(s.form["client-ref"] for s in vonage.sent) == Counter(
            j["id"] for j in recovered
        )
