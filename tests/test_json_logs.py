"""``bridge.log_format = "json"`` on the running bridge: every line one JSON object, the lines
about a job or a customer's text carrying its id (and the conversation's) as fields, and no
whole number or text in any of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message

BODY = "Confidential: your test results are ready."
NUMBERS = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]

[[senders.rules]]
match = "example.com"
sender = "+447700900100"  # so the customer's reply continues a conversation
"""


def _lines(bridge: BridgeProcess) -> list[dict[str, Any]]:
    lines = [line for line in bridge.log_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # fails on any line that is not JSON


def test_json_lines_carry_the_job_and_conversation_ids_and_no_number_or_text(
    tmp_path: Path,
) -> None:
    bridge = BridgeProcess(
        tmp_path,
        bridge={"log_level": "INFO", "log_format": "json"},
        extra=NUMBERS,
        queue={"poll_seconds": 0.1},
    )
    with bridge:
        sent = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+447700900123@sms.example.com"],
            content=message(body=BODY).as_bytes(),
        )
        assert sent.accepted
        [job] = bridge.wait_until(
            lambda: [j for j in bridge.jobs() if j["state"] == "sent"], what="the text sent"
        )
        reply = {"From": "+447700900123", "To": "+447700900100", "Body": "Thanks, see you soon"}
        answer = httpx.post(f"{bridge.public_url}/webhooks/sandbox/inbound", data=reply, timeout=10)
        assert answer.status_code == 200
        [inbound] = bridge.wait_until(
            lambda: [i for i in bridge.inbound() if i["state"] != "queued"], what="the reply"
        )
        lines = bridge.wait_until(
            lambda: (
                [ln for ln in _lines(bridge) if ln.get("inbound") == inbound["id"]]
                and _lines(bridge)
            ),
            what="the reply's log line",
        )
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    about_job = [line for line in lines if line.get("job") == job["id"]]
    assert any("sent to +44******0123" in line["message"] for line in about_job), lines
    routed = [line for line in lines if line.get("inbound") == inbound["id"]]
    assert routed and all(line.get("conversation") for line in routed), routed
    for line in map(json.dumps, lines):
        for whole in ("447700900123", "7700900123"):
            assert whole not in line, line
        assert "test results" not in line and "see you soon" not in line, line
