"""The generic HTTP provider end to end, configured only by docs/examples/providers/
aggregator.toml: send with Basic auth, read the JSON answer, a GET delivery report, a JSON
inbound text with its token; refusals classified by the settings' error codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.aggregator_api import FakeAggregator
from tests.support.bridge_process import BridgeProcess
from tests.support.provider_helpers import (
    CUSTOMER,
    NUMBERS,
    REPLY_NUMBER,
    inbound_texts,
    only_job,
    send_email,
)

PASSWORD, WEBHOOK = "aggregator-password", "webhook-token-not-real"


@pytest.fixture
def aggregator() -> Iterator[FakeAggregator]:
    with FakeAggregator("acme", PASSWORD) as fake:
        yield fake


def _bridge(tmp_path: Path, fake: FakeAggregator) -> BridgeProcess:
    example = (ROOT / "docs" / "examples" / "providers" / "aggregator.toml").read_text()
    example = example.replace("https://api.aggregator.example", fake.url)
    return BridgeProcess(
        tmp_path,
        public=True,
        extra=NUMBERS + example,
        env={
            "SMSBRIDGE_PROVIDERS__LOCAL__AUTH__SECRET": PASSWORD,
            "SMSBRIDGE_PROVIDERS__LOCAL__WEBHOOK_SECRET": WEBHOOK,
        },
    )


def test_send_report_and_inbound(tmp_path: Path, aggregator: FakeAggregator) -> None:
    with _bridge(tmp_path, aggregator) as bridge:
        send_email(bridge, "Your prescription is ready.")
        job = only_job(bridge, "sent")
        [send] = aggregator.sent
        assert send.form == {
            "to": CUSTOMER[1:],
            "from": REPLY_NUMBER,
            "message": "Your prescription is ready.",
            "reference": job["id"],
            "coding": "0",
            "dlr_url": f"{bridge.public_url}/webhooks/local/status?token={WEBHOOK}",
        }
        assert (job["provider_message_id"], job["price"]) == (send.message_id, "0.05")

        assert aggregator.report(send, "UNDELIV", "001") == 200
        failed = only_job(bridge, "undelivered")
        assert failed["error_code"] == "001"

        url = f"{bridge.public_url}/webhooks/local/inbound"
        assert (
            aggregator.inbound(
                url,
                msisdn=CUSTOMER,
                shortcode=REPLY_NUMBER,
                message="Thanks, on my way",
                token="wrong",
            )
            == 403
        )
        assert (
            aggregator.inbound(
                url,
                msisdn=CUSTOMER,
                shortcode=REPLY_NUMBER,
                message="Thanks, on my way",
                token=WEBHOOK,
            )
            == 200
        )
        [text] = bridge.wait_until(lambda: inbound_texts(bridge), what="the reply's email")
        assert "Thanks, on my way" in text
        assert PASSWORD not in bridge.log_text() and WEBHOOK not in bridge.log_text()


def test_errors_named_permanent_fail_at_once(tmp_path: Path, aggregator: FakeAggregator) -> None:
    aggregator.blacklist.add(CUSTOMER[1:])
    with _bridge(tmp_path, aggregator) as bridge:
        send_email(bridge, "Blocked.")
        job = only_job(bridge, "failed")
        assert (job["error_code"], job["attempts"]) == ("BLACKLISTED", 1)
        assert "local refused the text: The destination is blacklisted" in job["error"]
