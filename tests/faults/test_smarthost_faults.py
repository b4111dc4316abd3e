"""The smarthost refusing the bridge's own emails (here, failure notices): 4xx is retried
until it takes the email; 4xx and then 5xx ends in a failure that the log reports, with the
email's attempts and the smarthost's words kept on the job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message
from tests.support.smtp_sink import SmtpSink, ThreadedSmtpSink

FAILS = """
[[provider.sandbox.fail]]
pattern = "+44770090099*"
kind = "permanent"
reason = "the number is not in service"
"""


@pytest.fixture
def sink() -> Iterator[ThreadedSmtpSink]:
    with SmtpSink.threaded() as running:
        yield running


def _notice_for(bridge: BridgeProcess, number: str) -> None:
    """An email to a number the provider refuses for good: its author gets a notice."""
    to = f"{number}@sms.example.com"
    said = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=[to],
        content=message(to=to).as_bytes(),
    )
    assert said.accepted


def test_4xx_is_retried_and_4xx_then_5xx_is_reported(
    tmp_path: Path, sink: ThreadedSmtpSink
) -> None:
    smarthost = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n'
    bridge = BridgeProcess(
        tmp_path, mail={"transport": "smtp", "max_attempts": 5}, extra=FAILS + smarthost
    )
    with bridge:
        sink.fail_next(code=451, text="4.3.2 busy, try later", times=2)
        _notice_for(bridge, "+447700900991")
        [notice] = sink.wait_for(1, timeout=30)
        assert notice.rcpt_tos == ("alice@example.com",) and notice.envelope_from == "<>"
        [delivered] = bridge.wait_until(
            lambda: [j for j in bridge.mail_jobs() if j["state"] == "sent"]
        )
        assert delivered["attempts"] == 3

        sink.fail_next(code=451, text="4.3.2 busy, try later", times=2)
        sink.fail_next(code=550, text="5.1.1 no such mailbox here")
        _notice_for(bridge, "+447700900992")
        [failed] = bridge.wait_until(
            lambda: [j for j in bridge.mail_jobs() if j["state"] == "failed"]
        )
    assert failed["attempts"] == 3 and "no such mailbox" in failed["error"]
    assert len(sink.messages) == 1
    log = bridge.log_text()
    assert log.count("attempt 1 failed") >= 2 and log.count("attempt 2 failed") >= 2
    assert f"mail {failed['id']} (notice) refused for good" in log
