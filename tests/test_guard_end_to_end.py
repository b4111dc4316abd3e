"""The guards through the running bridge: a premium-rate number refused at RCPT TO with the
sentence, and a card number masked in what the phone gets and nowhere in the log."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message

CARD = "4111 1111 1111 1111"


def test_premium_rate_refused_at_rcpt_and_a_card_masked_everywhere(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path) as bridge:
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+449012345678@sms.example.com", "+447700900123@sms.example.com"],
            content=message(body=f"Your card {CARD} was charged £12.").as_bytes(),
        )
        assert said.accepted, said
        code, reply = said.rcpts[0]
        assert code == 550 and reply.startswith("5.7.1 +44 901 234 5678 is a premium-rate number")
        assert "this bridge does not text premium-rate numbers" in " ".join(reply.split())
        assert said.rcpts[1][0] == 250
        [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text to be sent")
        [job] = bridge.jobs()
        log = bridge.log_text()
    assert sent["to"] == "+447700900123"
    assert "**** **** **** 1111" in sent["text"] and CARD not in sent["text"]
    assert [hit[0] for hit in json.loads(job["chain"])] == ["sender", "content-guard"]
    assert CARD not in json.dumps(job) and "4111111111111111" not in log
    assert CARD not in log and "4111-1111" not in log
