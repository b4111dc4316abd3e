"""Compliance keywords and the limits on automatic replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.parsing.numbers import is_e164
from bridge.routing.keywords import Keyword, auto_reply_allowed, keyword_of
from bridge.settings.inbound import InboundSettings

SETTINGS = InboundSettings()
T0 = datetime(2026, 11, 22, 22, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "opted_out", "keyword"),
    [
        ("STOP", False, Keyword.STOP),
        ("stop", False, Keyword.STOP),
        ("  Stop! ", False, Keyword.STOP),
        ("unsubscribe.", False, Keyword.STOP),
        ("OptOut", False, Keyword.STOP),
        ("please stop texting me at 9", False, Keyword.NONE),
        ("Stop it", False, Keyword.NONE),
        ("START", True, Keyword.START),
        ("yes", True, Keyword.START),
        ("Yes", False, Keyword.NONE),
        ("START", False, Keyword.NONE),
        ("help?", False, Keyword.HELP),
        ("Info", True, Keyword.HELP),
        ("", False, Keyword.NONE),
        ("?!", False, Keyword.NONE),
        # Typographic quotes, an ellipsis, emoji, full-width letters: what phones send.
        ("“Stop”", False, Keyword.STOP),
        ("‘STOP’", False, Keyword.STOP),
        ("STOP…", False, Keyword.STOP),
        ("Stop 🙏", False, Keyword.STOP),
        ("🛑 stop", False, Keyword.STOP),
        ("ＳＴＯＰ", False, Keyword.STOP),
        ("Stop!!!", False, Keyword.STOP),
        ("«Help»", False, Keyword.HELP),
        ("St.op", False, Keyword.NONE),
    ],
)
def test_keywords(text: str, opted_out: bool, keyword: Keyword) -> None:
    assert keyword_of(text, SETTINGS, opted_out=opted_out) is keyword


def test_the_lists_are_configurable() -> None:
    settings = InboundSettings(stop_words=("arrêt", "STOP"))
    assert keyword_of("Arrêt", settings, opted_out=False) is Keyword.STOP
    assert keyword_of("quit", settings, opted_out=False) is Keyword.NONE


@pytest.mark.parametrize(
    ("number", "possible"),
    [
        ("+447700900123", True),
        ("+12025550123", True),
        ("60123", False),
        ("+60123", False),
        ("ExampleCo", False),
        ("", False),
    ],
)
def test_no_replies_to_short_codes_or_sender_ids(number: str, possible: bool) -> None:
    assert is_e164(number) is possible


def test_at_most_one_auto_reply_per_interval() -> None:
    customer = "+447700900123"
    assert auto_reply_allowed(customer, last=None, now=T0, settings=SETTINGS)
    recent = T0 - timedelta(minutes=59)
    assert not auto_reply_allowed(customer, last=recent, now=T0, settings=SETTINGS)
    assert auto_reply_allowed(customer, last=T0 - timedelta(hours=1), now=T0, settings=SETTINGS)
    assert not auto_reply_allowed("60123", last=None, now=T0, settings=SETTINGS)
