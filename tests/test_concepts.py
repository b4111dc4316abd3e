"""One definition per concept, used the same way wherever the bridge needs it.

Each test here once failed because two parts of the bridge had their own copy of a rule and
the copies had drifted: a customer's "“Stop”" not opting out while a routing keyword read it
fine, ``GB`` meaning one thing for routes and another for provider rules, a parent domain
matching in the allow-list but not in provider rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.chain.sender import sender_for
from bridge.models import SmsJob
from bridge.parsing.addresses import matches
from bridge.parsing.keywords import first_word, whole_text_keyword
from bridge.parsing.numbers import country_of, digits, number_type, plus_digits
from bridge.providers.base import webhook_path
from bridge.providers.choice import ProviderChoice
from bridge.providers.registry import KINDS
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxSettings
from bridge.routing.matchers import InboundText, KeywordIs, SenderMatches
from bridge.settings.providers import ProviderRule
from bridge.settings.text import SenderRule, SendersSettings
from tests.support.jobs import claimed_job

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

# Every kind of +44 number: a valid mobile, Ofcom's drama mobile, drama London and Manchester
# landlines, drama freephone (+44 808 157 0xxx), and a number in an unallocated block.
UK_NUMBERS = [
    "+447400123456",
    "+447700900123",
    "+442079460000",
    "+441614960000",
    "+448081570000",
    "+447000000000",
]


@pytest.mark.parametrize(
    "text", ["STOP", "“Stop”", "‘stop’", "STOP…", "Stop 🙏", "ＳＴＯＰ", "stop!", '"Stop."']
)
def test_keywords_have_one_normal_form(text: str) -> None:
    assert whole_text_keyword(text) == "stop"
    assert first_word(text) == "stop"  # routing keywords read the same word


def test_a_routing_keyword_matches_as_stop_does() -> None:
    renew = KeywordIs(("renew",))
    for text in ("“Renew”", "RENEW…", "Renew 🙏 please", "ＲＥＮＥＷ"):
        assert renew.check(InboundText("+447700900123", "+447700900100", text), at=T0) is None


@pytest.mark.parametrize("number", UK_NUMBERS)
def test_gb_means_every_plus_44_number_in_routes_and_provider_rules(number: str) -> None:
    assert country_of(number) == "GB"
    route = SenderMatches(("GB",))
    assert route.check(InboundText(number, "+447700900100", "Hi"), at=T0) is None
    choice = ProviderChoice(
        [_carrier("uk"), _carrier("world")],
        [ProviderRule(countries=("GB",), providers=("uk",))],
    )
    assert [c.name for c in choice.carriers_for(_job(number, author="a@example.com"))] == ["uk"]


def test_other_countries_keep_their_own_code() -> None:
    assert country_of("+12025550123") == "US"
    assert country_of("+33612345678") == "FR"
    assert country_of("+80012345678") is None  # non-geographic
    assert SenderMatches(("GB",)).check(InboundText("+12025550123", "+1", "x"), at=T0)


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("alice@example.com", True),
        ("bob@sales.example.com", True),
        ("BOB@Sales.Example.COM", True),
        ("eve@example.com.evil.test", False),
        ("eve@notexample.com", False),
        ("root@localhost", True),
        ("cron@buildhost", True),
    ],
)
def test_domains_match_the_same_everywhere(author: str, expected: bool) -> None:
    patterns = ("example.com", "localhost", "buildhost")
    assert matches(author, patterns) is expected  # the allow-list
    senders = SendersSettings(
        default="Other", rules=tuple(SenderRule(match=p, sender="Matched") for p in patterns)
    )
    assert (sender_for(author, settings=senders).sender == "Matched") is expected
    choice = ProviderChoice(
        [_carrier("theirs"), _carrier("fallback")],
        [ProviderRule(authors=patterns, providers=("theirs",))],
    )
    chosen = [c.name for c in choice.carriers_for(_job("+447700900123", author=author))]
    assert (chosen == ["theirs"]) is expected


def test_numbers_to_and_from_providers_digits() -> None:
    assert digits("+447700900123") == "447700900123"
    assert digits("ExampleCo") == "ExampleCo"
    assert plus_digits(" 447700900123 ") == "+447700900123"
    assert plus_digits("ExampleCo") == "ExampleCo"
    assert number_type("+447700900123") == "mobile"
    assert number_type("+442079460000") in ("landline", "unknown")


def test_every_provider_kind_is_described_once() -> None:
    """The registry's name for a kind is its settings' ``type``, and its webhooks live at the
    one path ``webhook_path`` gives."""
    for kind in KINDS:
        assert kind.settings.model_fields["type"].default == kind.name
    assert webhook_path("twilio", "status") == "/webhooks/twilio/status"


def _carrier(name: str):  # type: ignore[no-untyped-def]
    from bridge.providers.base import Carrier
    from bridge.providers.breaker import Breaker

    return Carrier(name, SandboxProvider(SandboxSettings(), name=name), Breaker(5, 30.0))


def _job(number: str, *, author: str) -> SmsJob:
    return claimed_job(to_number=number, author=author)
