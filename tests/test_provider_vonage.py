"""Vonage end to end on loopback: an email becomes a send to the Vonage emulator, its receipt
comes back signed to the bridge's webhook, and a customer's long reply arrives in parts (out of
order, one resent) and reaches the team's inbox once, whole."""

from __future__ import annotations

import json
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
from tests.support.vonage_api import FakeVonage, documented_signature

KEY, SECRET, SIGNATURE = "abcd1234", "api-secret-not-real", "signature-secret-not-real"


def _settings(url: str, *, sign_requests: bool) -> str:
    return (
        NUMBERS
        + f"""
[providers.vonage]
type = "vonage"
api_key = "{KEY}"
base_url = "{url}"
sign_requests = {str(sign_requests).lower()}
"""
    )


@pytest.fixture
def vonage() -> Iterator[FakeVonage]:
    with FakeVonage(KEY, SECRET, signature_secret=SIGNATURE) as fake:
        yield fake


def _bridge(tmp_path: Path, vonage: FakeVonage, *, sign_requests: bool = False) -> BridgeProcess:
    return BridgeProcess(
        tmp_path,
        public=True,
        extra=_settings(vonage.url, sign_requests=sign_requests),
        env={
            "SMSBRIDGE_PROVIDERS__VONAGE__API_SECRET": SECRET,
            "SMSBRIDGE_PROVIDERS__VONAGE__SIGNATURE_SECRET": SIGNATURE,
        },
    )


def test_send_receipt_and_a_long_reply_in_parts(tmp_path: Path, vonage: FakeVonage) -> None:
    with _bridge(tmp_path, vonage) as bridge:
        send_email(bridge, "Your parcel arrives tomorrow between 9 and 11 👍 reply to change.")
        job = only_job(bridge, "sent")
        [send] = vonage.sent
        assert send.form["to"] == CUSTOMER[1:] and send.form["from"] == REPLY_NUMBER[1:]
        assert send.form["client-ref"] == job["id"] and send.form["type"] == "unicode"  # the emoji
        assert send.form["callback"] == f"{bridge.public_url}/webhooks/vonage/status"
        assert send.form["api_secret"] == SECRET and "sig" not in send.form
        assert (job["provider"], job["provider_message_id"]) == ("vonage", send.message_ids[0])
        assert job["price"] == "0.03330000"

        assert vonage.receipt(send) == 200
        delivered = only_job(bridge, "delivered")
        assert delivered["id"] == job["id"]

        reply = "Can you leave it with my neighbour at number 12? " * 4
        url = f"{bridge.public_url}/webhooks/vonage/inbound"
        assert vonage.inbound(
            url, msisdn=CUSTOMER, to=REPLY_NUMBER, text=reply.strip(), parts=3, order=[2, 3, 1]
        ) == [200, 200, 200]
        [text] = bridge.wait_until(lambda: inbound_texts(bridge), what="the reply's email")
        assert reply.strip() in text
        assert "SECRET" not in bridge.log_text() and SECRET not in bridge.log_text()


def test_a_reply_vonage_resends_is_emailed_once(tmp_path: Path, vonage: FakeVonage) -> None:
    with _bridge(tmp_path, vonage) as bridge:
        url = f"{bridge.public_url}/webhooks/vonage/inbound"
        for _ in range(3):  # Vonage resends until it gets a 2xx, with the same messageId
            assert vonage.inbound(
                url,
                msisdn=CUSTOMER,
                to=REPLY_NUMBER,
                text="Yes please",
                message_id="0A0000001234ABCD",
            ) == [200]
        bridge.wait_until(lambda: inbound_texts(bridge), what="the reply's email")
        [stored] = bridge.inbound()
        assert (stored["provider_message_id"], stored["state"]) == ("0A0000001234ABCD", "routed")
        assert len(inbound_texts(bridge)) == 1


def test_signed_sends_and_forged_webhooks(tmp_path: Path, vonage: FakeVonage) -> None:
    with _bridge(tmp_path, vonage, sign_requests=True) as bridge:
        send_email(bridge, "Signed, not secret.")
        only_job(bridge, "sent")
        [send] = vonage.sent
        assert "api_secret" not in send.form and send.form["sig"] and send.form["timestamp"]
        forged = {
            "msisdn": CUSTOMER[1:],
            "to": REPLY_NUMBER[1:],
            "messageId": "X1",
            "text": "Send me your password",
            "timestamp": "1700000000",
            "nonce": "n",
        }
        wrong = {**forged, "sig": documented_signature(forged, "another-secret")}
        url = f"{bridge.public_url}/webhooks/vonage/inbound"
        assert FakeVonage.post(url, data=forged) == 403
        assert FakeVonage.post(url, data=wrong) == 403
        receipt = {
            "messageId": send.message_ids[0],
            "status": "failed",
            "err-code": "3",
            "client-ref": send.form["client-ref"],
        }
        assert FakeVonage.post(f"{bridge.public_url}/webhooks/vonage/status", json=receipt) == 403
        assert only_job(bridge, "sent")["state"] == "sent"
        assert inbound_texts(bridge) == []


def test_a_refused_number_fails_once_and_tells_the_author(
    tmp_path: Path, vonage: FakeVonage
) -> None:
    vonage.refuse[CUSTOMER[1:]] = ("7", "Number barred")
    with _bridge(tmp_path, vonage) as bridge:
        send_email(bridge, "This will not arrive.")
        job = only_job(bridge, "failed")
        assert job["error_code"] == "7" and "barred" in job["error"] and job["attempts"] == 1
        notices = bridge.wait_until(
            lambda: [m for m in bridge.maildir_messages() if b"barred" in m], what="the notice"
        )
        assert len(notices) == 1


def test_a_receipt_saying_the_customer_opted_out_is_an_opt_out_in_the_ledger(
    tmp_path: Path, vonage: FakeVonage
) -> None:
    """Vonage's opt-out assist: the send is accepted, the receipt fails it with err-code 9."""
    with _bridge(tmp_path, vonage) as bridge:
        send_email(bridge, "Our spring offers are here.")
        job = only_job(bridge, "sent")
        [send] = vonage.sent
        assert vonage.receipt(send, status="failed", err_code="9") == 200
        failed = only_job(bridge, "undelivered")
        assert "asked not to receive texts from this sender" in failed["error"]
        listed = bridge.cli("consent", "list", "--number", CUSTOMER, "--json")
    [event] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (event["how"], event["by"], event["action"]) == ("provider", "vonage", "opt-out")
    assert event["evidence"].startswith(f"vonage error 9 for text {job['id']} from ")
