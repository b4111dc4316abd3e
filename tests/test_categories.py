"""A text's category through the running bridge: the subject's tag, or the address's domain."""

from __future__ import annotations

from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message


def test_the_tag_or_the_domain_makes_a_text_marketing(tmp_path: Path) -> None:
    bridge = BridgeProcess(
        tmp_path,
        smtp={"domains": ["sms.example.com", "offers.sms.example.com"]},
        compliance={"marketing_domains": ["offers.sms.example.com"]},
    )
    with bridge:
        for to, subject in [
            ("+447700900123@sms.example.com", "[Marketing] Spring offer"),
            ("+447700900124@offers.sms.example.com", "Spring offer"),
            ("+447700900125@sms.example.com", "Your order"),
        ]:
            said = converse(
                bridge.smtp_address,
                mail_from="alice@example.com",
                rcpts=[to],
                content=message(to=to, subject=subject).as_bytes(),
            )
            assert said.accepted, said
        jobs = {j["to_number"]: j for j in bridge.jobs()}
    assert jobs["+447700900123"]["category"] == "marketing"
    assert jobs["+447700900123"]["subject"] == "Spring offer"  # the tag is not kept
    assert jobs["+447700900124"]["category"] == "marketing"
    assert jobs["+447700900125"]["category"] == "transactional"
