"""Twilio webhook signatures against Twilio's own documented example, not only our own output."""

from __future__ import annotations

import pytest

from bridge.providers.twilio.signature import twilio_signature, valid_twilio_signature

# From ../shared/fixtures/README.md: Twilio's documented example, recomputed.
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]
EXPECTED = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_the_documented_example() -> None:
    assert twilio_signature(URL, PARAMS, "12345") == EXPECTED
    assert valid_twilio_signature(URL, reversed(PARAMS), "12345", EXPECTED)


@pytest.mark.parametrize("url", ["https://mycompany.com:443/myapp.php?foo=1&bar=2", URL])
def test_the_url_with_or_without_the_default_port(url: str) -> None:
    assert valid_twilio_signature(url, PARAMS, "12345", EXPECTED)
    signed_with_port = twilio_signature(
        "https://mycompany.com:443/myapp.php?foo=1&bar=2", PARAMS, "12345"
    )
    assert valid_twilio_signature(url, PARAMS, "12345", signed_with_port)


@pytest.mark.parametrize(
    ("url", "params", "token", "signature"),
    [
        (URL, PARAMS, "12345", None),
        (URL, PARAMS, "12345", ""),
        (URL, PARAMS, "wrong", EXPECTED),
        ("https://mycompany.com/other.php?foo=1&bar=2", PARAMS, "12345", EXPECTED),
        ("https://mycompany.com:8443/myapp.php?foo=1&bar=2", PARAMS, "12345", EXPECTED),
        (URL, [*PARAMS[:-1], ("To", "+18005551213")], "12345", EXPECTED),
        (URL, PARAMS, "", EXPECTED),
        (URL, PARAMS, "12345", "\x80ü" + EXPECTED[2:]),  # found by tests/faults' fuzzer: was a 500
    ],
    ids=[
        "missing",
        "empty",
        "wrong-token",
        "other-url",
        "other-port",
        "tampered",
        "no-token",
        "non-ascii",
    ],
)
def test_anything_else_is_refused(url, params, token, signature) -> None:
    assert not valid_twilio_signature(url, params, token, signature)


def test_tokens_and_vonage_signatures_with_non_ascii_characters_are_refused() -> None:
    from bridge.providers.vonage.signature import valid_vonage_signature
    from bridge.web.forms import token_matches

    assert not token_matches("tökén", "token")
    assert not valid_vonage_signature({"sig": "\x80", "timestamp": "1"}, "secret", "md5hash")
