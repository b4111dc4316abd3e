"""What the per-provider end-to-end tests share: settings, an email in, the emails out."""

from __future__ import annotations

import smtplib
from email import policy
from email.parser import BytesParser

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import message

CUSTOMER = "+447700900123"
REPLY_NUMBER = "+447700900100"
NUMBERS = f"""
[[numbers]]
number = "{REPLY_NUMBER}"
inbox = ["team@example.com"]
timezone = "Europe/London"

[[senders.rules]]
match = "alice@example.com"
sender = "{REPLY_NUMBER}"
"""

# Twilio and Vonage with webhooks on and nowhere to send: for tests that only talk to the
# bridge's HTTP endpoints (the fuzzer, the OpenAPI check).
WEBHOOK_PROVIDERS = """
[providers.twilio]
type = "twilio"
account_sid = "AC00000000000000000000000000000000"
base_url = "http://127.0.0.1:9"

[providers.vonage]
type = "vonage"
api_key = "abcd1234"
base_url = "http://127.0.0.1:9"
"""
TWILIO_TOKEN = "webhook-token"
WEBHOOK_ENV = {
    "SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN": TWILIO_TOKEN,
    "SMSBRIDGE_PROVIDERS__VONAGE__API_SECRET": "vonage-secret",
    "SMSBRIDGE_PROVIDERS__VONAGE__SIGNATURE_SECRET": "vonage-signature",
}


def send_email(bridge: BridgeProcess, body: str, to: str = CUSTOMER) -> None:
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        client.send_message(
            message(body=body, to=f"{to}@sms.example.com"),
            from_addr="alice@example.com",
            to_addrs=[f"{to}@sms.example.com"],
        )


def inbound_texts(bridge: BridgeProcess) -> list[str]:
    """The texts of the inbound emails the bridge wrote to its Maildir, as a reader sees them."""
    texts = []
    for raw in bridge.maildir_messages():
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        if "<+" in str(mail["From"]):  # from a customer, not a notice from the bridge
            part = mail.get_body(("plain",))
            texts.append(part.get_content() if part is not None else "")
    return texts


def only_job(bridge: BridgeProcess, state: str) -> dict:
    """Wait for the single SMS job to reach ``state``; return it."""
    return bridge.wait_until(
        lambda: [j for j in bridge.jobs() if j["state"] == state and not j["route"]][:1] or None,
        what=f"the text to be {state}",
    )[0]
