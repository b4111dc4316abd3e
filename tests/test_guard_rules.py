"""The content guard and the destination policy, through ``build_chain``, with fake facts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.chain.chain import Chain, build_chain
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.errors import ConfigError
from tests.conftest import make_settings
from tests.support.facts import Facts

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CUSTOMER = "+447700900123"
CARD = "4111 1111 1111 1111"
ALL = frozenset(Stage)


def _request(**fields: Any) -> OutboundRequest:
    base: dict[str, Any] = {
        "source": Source.EMAIL,
        "author": "rep@example.com",
        "to_number": CUSTOMER,
        "text": "Your parcel is here.",
    }
    return OutboundRequest(**{**base, **fields})


def _chain(tmp_path: Path, extra: str = "", **sections: dict[str, Any]) -> Chain:
    return build_chain(make_settings(tmp_path, extra=extra, **sections))


async def _run(chain: Chain, **fields: Any) -> Any:
    return await chain.run(_request(**fields), facts=Facts(), at=T0, stages=ALL)


def test_the_guards_stand_where_they_must(tmp_path: Path) -> None:
    names = [rule.name for rule in _chain(tmp_path).rules]
    assert names.index("owned-sender") < names.index("destination") < names.index("opt-out")
    assert names.index("category") < names.index("content-guard") < names.index("segments")


async def test_a_card_number_is_masked_and_the_record_never_holds_it(tmp_path: Path) -> None:
    decision = await _run(_chain(tmp_path), text=f"Card {CARD} charged.")
    assert decision.accepted
    assert decision.request.text == "Card **** **** **** 1111 charged."
    assert decision.request.encoding == "GSM-7"  # the mask is GSM-7: no price doubled
    [hit] = [h for h in decision.record if h.rule == "content-guard"]
    assert (hit.action, hit.detail) == ("rewrite", "masked 1 card number")
    assert "4111" not in decision.explain()


async def test_an_order_number_that_fails_luhn_is_sent_as_written(tmp_path: Path) -> None:
    decision = await _run(_chain(tmp_path), text="Order 4111111111111112 shipped.")
    assert decision.request.text == "Order 4111111111111112 shipped."
    assert "content-guard" not in [h.rule for h in decision.record]


async def test_refuse_names_the_kind_and_where_to_send_it_never_the_value(
    tmp_path: Path,
) -> None:
    chain = _chain(tmp_path, compliance={"ibans": "refuse", "card_numbers": "refuse"})
    decision = await _run(chain, text="Pay to GB82 WEST 1234 5698 7654 32 please")
    assert decision.refusal is not None
    assert decision.refusal.smtp_reply().startswith("550 5.7.1 The text contains an IBAN;")
    assert "secure channel" in decision.refusal.reason
    assert "5698" not in decision.refusal.reason and "5698" not in decision.explain()
    card = await _run(chain, text=f"Card {CARD}")
    assert card.refusal is not None and "does not send card numbers by text" in card.refusal.reason


async def test_allow_sends_the_sort_code_as_written(tmp_path: Path) -> None:
    chain = _chain(tmp_path, compliance={"sort_codes": "allow"})
    decision = await _run(chain, text="Sort 12-34-56 12345678")
    assert decision.request.text == "Sort 12-34-56 12345678"


PATTERNS = """
[[compliance.patterns]]
name = "customer password"
regex = "PW:\\\\S+"
action = "refuse"
[[compliance.patterns]]
name = "member number"
regex = "M\\\\d{8}"
action = "mask"
"""


async def test_an_administrators_patterns_refuse_or_mask(tmp_path: Path) -> None:
    chain = _chain(tmp_path, extra=PATTERNS)
    refused = await _run(chain, text="Your PW:hunter2 is set")
    assert refused.refusal is not None
    assert "contains a customer password" in refused.refusal.reason
    assert "hunter2" not in refused.refusal.reason
    masked = await _run(chain, text="Member M12345678 welcome")
    assert masked.request.text == "Member *****5678 welcome"
    assert ("content-guard", "masked 1 member number") in [
        (h.rule, h.detail) for h in masked.record
    ]


def _problem(tmp_path: Path, extra: str = "", **sections: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, extra=extra, **sections)
    return " ".join(str(problem) for problem in info.value.problems)


def test_a_pattern_that_does_not_compile_is_a_settings_error(tmp_path: Path) -> None:
    bad = '[[compliance.patterns]]\nname = "x"\nregex = "(unclosed"\n'
    assert "not a valid regular expression" in _problem(tmp_path, extra=bad)


async def test_marketing_gets_the_opt_out_line_counted_in_its_segments(tmp_path: Path) -> None:
    chain = _chain(tmp_path)
    offer = await _run(chain, text="20% off today.", tags=frozenset({"marketing"}))
    assert offer.request.text == "20% off today.\nReply STOP to opt out"
    assert offer.request.segments == 1
    assert ("content-guard", "added the opt-out line") in [(h.rule, h.detail) for h in offer.record]
    has_it = await _run(chain, text="Sale! Text STOP to end.", tags=frozenset({"marketing"}))
    assert has_it.request.text == "Sale! Text STOP to end."
    not_an_instruction = await _run(
        chain, text="Don't stop shopping!", tags=frozenset({"marketing"})
    )
    assert not_an_instruction.request.text.endswith("\nReply STOP to opt out")
    order = await _run(chain, text="Your order shipped.")
    assert order.request.text == "Your order shipped."  # transactional: unchanged


async def test_the_opt_out_line_can_push_a_text_over_its_limit(tmp_path: Path) -> None:
    chain = _chain(tmp_path, text={"max_segments": 1})
    decision = await _run(chain, text="x" * 150, tags=frozenset({"marketing"}))
    assert decision.refusal is not None and decision.refusal.status == "5.3.4"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("+449012345678", "is a premium-rate number; this bridge does not text premium-rate"),
        ("+19005551234", "is a premium-rate number"),
        ("+447012345678", "is a personal number"),
        ("+442079460000", "is a landline number"),
        ("+881631234567", "belongs to no country"),
    ],
)
async def test_toll_fraud_destinations_are_refused_at_the_envelope(
    tmp_path: Path, number: str, words: str
) -> None:
    chain = _chain(tmp_path)
    request = _request(to_number=number, text=None)
    decision = await chain.run(request, facts=Facts(), at=T0, stages=frozenset({Stage.ENVELOPE}))
    assert decision.refusal is not None and decision.refusal.code == 550
    assert decision.refusal.status == "5.7.1" and words in decision.refusal.reason
    assert "Ask your administrator" in decision.refusal.reason
    assert [h.rule for h in decision.hits][-1] == "destination"


async def test_mobiles_pass_and_a_sender_rule_may_allow_landlines(tmp_path: Path) -> None:
    rules = '[[senders.rules]]\nmatch = "office.example.com"\nsender = "Office"\n'
    rules += 'allow_number_types = ["FIXED_LINE"]\n'
    chain = _chain(tmp_path, extra=rules)
    assert (await _run(chain)).accepted
    assert (await _run(chain, to_number="+12025550123")).accepted
    landline = "+442079460000"
    assert not (await _run(chain, to_number=landline)).accepted
    assert (await _run(chain, to_number=landline, author="ann@office.example.com")).accepted


COUNTRIES = """
[compliance]
allowed_countries = ["gb", "IE"]
[[senders.rules]]
match = "us.example.com"
sender = "ExampleUS"
allowed_countries = ["US"]
"""


async def test_countries_are_limited_but_not_for_answers_to_a_customer(tmp_path: Path) -> None:
    chain = _chain(tmp_path, extra=COUNTRIES)
    us = "+12025550123"
    refused = await _run(chain, to_number=us)
    assert refused.refusal is not None
    assert "is a number in US; this bridge texts only numbers in GB, IE" in refused.refusal.reason
    answer = await _run(chain, to_number=us, source=Source.AUTO_REPLY, author="", sender="Example")
    assert "destination" not in [h.rule for h in answer.record]
    assert (await _run(chain, to_number=us, author="bo@us.example.com")).accepted
    assert not (await _run(chain, author="bo@us.example.com")).accepted  # GB, for them


@pytest.mark.parametrize(
    ("compliance", "words"),
    [
        ({"allowed_countries": ["XX"]}, "not a country code"),
        ({"blocked_number_types": ["PREMIUM"]}, "not a kind of number"),
        ({"alert_to": ["not an address"]}, "not an email address"),
    ],
)
def test_bad_destination_settings_say_what_to_write(
    tmp_path: Path, compliance: dict[str, Any], words: str
) -> None:
    assert words in _problem(tmp_path, compliance=compliance)


def test_no_destination_rule_when_nothing_is_limited(tmp_path: Path) -> None:
    open_door = {"blocked_number_types": [], "block_non_geographic": False}
    assert "destination" not in [r.name for r in _chain(tmp_path, compliance=open_door).rules]
