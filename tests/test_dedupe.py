"""Emails without a Message-ID: a mail server's retry is not texted twice, the same alert
tomorrow is.

Cron and scripts send identical emails with no Message-ID ("Disk 95% full"). The bridge knows
such an email by a digest of its bytes, and once merged every later copy into the first job
for as long as that job was kept, so the second alert was never texted and its sender was
not told. Now a copy merges only within ``smtp.dedupe_minutes``, and the answer says so.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse

ALERT = (
    b"From: cron@example.com\r\nTo: +447700900123@sms.example.com\r\n"
    b"Subject: disk\r\n\r\nDisk 95% full on db1.\r\n"
)


def _send(bridge: BridgeProcess) -> str:
    said = converse(
        bridge.smtp_address,
        mail_from="cron@example.com",
        rcpts=["+447700900123@sms.example.com"],
        content=ALERT,
    )
    assert said.data is not None and said.data[0] == 250, said
    return said.data[1]


def test_a_copy_merges_only_within_the_window_and_is_told_so(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, smtp={"dedupe_minutes": 0.05})  # 3 s
    with bridge:
        first = _send(bridge)
        retried = _send(bridge)
        assert first.startswith("2.0.0 Queued 1 text as s")
        job_id = first.rsplit(" ", 1)[1]
        assert retried == f"2.0.0 Already queued: this email was received before, as {job_id}"
        time.sleep(3.5)
        tomorrow = _send(bridge)
        assert tomorrow.startswith("2.0.0 Queued 1 text as s") and job_id not in tomorrow
        sent = bridge.wait_until(
            lambda: len(bridge.sandbox_sent()) == 2 and bridge.sandbox_sent(),
            what="two alerts texted",
        )
    assert [s["text"] for s in sent] == ["Disk 95% full on db1."] * 2
