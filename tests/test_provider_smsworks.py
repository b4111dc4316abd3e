"""The SMS Works end to end on loopback: send with the JWT, a delivery report to the bridge's
tokenised URL, and a reply read from the inbox by the reply-number watcher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bridge_process import BridgeProcess
from tests.support.provider_helpers import (
    CUSTOMER,
    NUMBERS,
    REPLY_NUMBER,
    inbound_texts,
    only_job,
    send_email,
)
from tests.support.smsworks_api import FakeSmsWorks

JWT = "eyJhbGciOiJIUzI1NiJ9.not-a-real-token.sig"


@pytest.fixture
def smsworks() -> Iterator[FakeSmsWorks]:
    with FakeSmsWorks(JWT) as fake:
        yield fake


def _bridge(tmp_path: Path, fake: FakeSmsWorks) -> BridgeProcess:
    extra = (
        NUMBERS
        + f"""
[providers.smsworks]
type = "smsworks"
base_url = "{fake.url}"
watch_seconds = 0.2
"""
    )
    return BridgeProcess(
        tmp_path, public=True, extra=extra, env={"SMSBRIDGE_PROVIDERS__SMSWORKS__JWT": f"JWT {JWT}"}
    )


def test_send_report_and_a_reply_from_the_inbox(tmp_path: Path, smsworks: FakeSmsWorks) -> None:
    with _bridge(tmp_path, smsworks) as bridge:
        send_email(bridge, "Your appointment is at 10:30 on Tuesday.")
        job = only_job(bridge, "sent")
        [send] = smsworks.sent
        assert send.body["destination"] == CUSTOMER[1:] and send.body["sender"] == REPLY_NUMBER
        assert send.body["content"] == "Your appointment is at 10:30 on Tuesday."
        assert send.body["tag"] == job["id"]
        assert send.body["deliveryreporturl"].startswith(
            f"{bridge.public_url}/webhooks/smsworks/status?token="
        )
        assert (job["provider_message_id"], job["price"]) == (send.message_id, "1 credits")

        bare = f"{bridge.public_url}/webhooks/smsworks/status"
        assert smsworks.report(send, "UNDELIVERABLE", url=bare) == 403  # no token: refused
        assert smsworks.report(send, "DELIVERED") == 200
        assert only_job(bridge, "delivered")["id"] == job["id"]

        smsworks.add_inbound(source=CUSTOMER, destination=REPLY_NUMBER, content="Can we do 11?")
        smsworks.add_inbound(source=CUSTOMER, destination="+447700900999", content="Not ours")
        [text] = bridge.wait_until(lambda: inbound_texts(bridge), what="the reply's email")
        assert "Can we do 11?" in text
        bridge.wait_until(lambda: len(smsworks.requests) > 8, what="more polls")
        assert [i["body"] for i in bridge.inbound()] == ["Can we do 11?"]  # polled again, kept once
        assert JWT not in bridge.log_text()


def test_out_of_credit_is_retried_not_failed(tmp_path: Path, smsworks: FakeSmsWorks) -> None:
    smsworks.credits = 0
    with _bridge(tmp_path, smsworks) as bridge:
        send_email(bridge, "Waiting for credit.")
        bridge.wait_until(
            lambda: [j for j in bridge.jobs() if j["attempts"] >= 2], what="a second attempt"
        )
        smsworks.credits = 5
        job = only_job(bridge, "sent")
        assert job["error"] is None and len(smsworks.sent) == 1
