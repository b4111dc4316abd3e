"""Sender permission and identity: pure functions of the settings."""

from __future__ import annotations

import pytest

from bridge.chain.sender import sender_for
from bridge.inbound.intake import parse_message
from bridge.parsing.addresses import matches
from bridge.parsing.automatic import automatic_kind
from bridge.parsing.networks import Networks
from bridge.settings.text import SenderRule, SendersSettings

ALLOWED = ("example.com", "boss@example.org")


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("alice@example.com", True),
        ("Alice@EXAMPLE.com", True),
        ("bob@eu.example.com", True),
        ("boss@example.org", True),
        ("other@example.org", False),
        ("eve@example.com.evil.test", False),
        ("eve@notexample.com", False),
        ("nodomain", False),
    ],
)
def test_allow_list_by_address_and_domain(address: str, ok: bool) -> None:
    assert matches(address, ALLOWED) is ok


@pytest.mark.parametrize(
    ("host", "ok"), [("127.0.0.1", True), ("::1", True), ("192.0.2.10", False), ("bogus", False)]
)
def test_trusted_networks(host: str, ok: bool) -> None:
    assert (host in Networks(("127.0.0.0/8", "::1/128"))) is ok


SENDERS = SendersSettings(
    default="ExampleCo",
    rules=(
        SenderRule(match="sales.example.com", sender="+447700900100", max_segments=3),
        SenderRule(match="ceo@sales.example.com", sender="ExampleCEO"),
    ),
)


@pytest.mark.parametrize(
    ("author", "sender", "max_segments"),
    [
        ("ceo@sales.example.com", "ExampleCEO", None),
        ("rep@sales.example.com", "+447700900100", 3),
        ("rep@uk.sales.example.com", "+447700900100", 3),
        ("someone@example.com", "ExampleCo", None),
    ],
)
def test_sender_identity_most_specific_rule_wins(author, sender, max_segments) -> None:
    identity = sender_for(author, settings=SENDERS)
    assert (identity.sender, identity.max_segments) == (sender, max_segments)


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ("", False),
        ("Auto-Submitted: no\n", False),
        ("Auto-Submitted: auto-replied\n", True),
        ("Auto-Submitted: auto-generated; owner-email=x@example.com\n", True),
        ("Precedence: bulk\n", True),
        ("Precedence: list\n", True),
        ("X-Autoreply: yes\n", True),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n", True),
    ],
)
def test_automatic_mail_is_recognised(headers: str, automatic: bool) -> None:
    body = "--b\nContent-Type: text/plain\n\nfailed\n--b--\n" if "boundary" in headers else "body\n"
    raw = f"From: a@example.com\nSubject: hi\n{headers}\n{body}".encode()
    assert (automatic_kind(parse_message(raw)) is not None) is automatic
