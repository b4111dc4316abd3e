"""The outbound chain's rules, as pure functions of a request and facts: no store, no server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.chain.chain import Chain, build_chain
from bridge.chain.content import Content
from bridge.chain.facts import Facts as Known
from bridge.chain.facts import StoreFacts
from bridge.chain.rate_limit import RateLimit
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Verdict
from bridge.models import Contact, ThreadNumbers
from bridge.parsing.thread import Thread
from bridge.store.base import Store
from tests.conftest import make_settings
from tests.support.facts import Facts

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
REPLY, CUSTOMER = "+447700900100", "+447700900123"
SETTINGS = f"""
[[numbers]]
number = "{REPLY}"
rate_per_second = 1.0
[[senders.rules]]
match = "sales.example.com"
sender = "{REPLY}"
max_segments = 1
"""
ALL = frozenset(Stage)


def _request(**fields: object) -> OutboundRequest:
    base: dict[str, object] = {
        "source": Source.EMAIL,
        "author": "rep@sales.example.com",
        "to_number": CUSTOMER,
        "text": "Your parcel is here.",
    }
    return OutboundRequest(**{**base, **fields})  # type: ignore[arg-type]


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    return build_chain(make_settings(tmp_path, extra=SETTINGS))


async def test_the_sender_is_chosen_before_the_opt_out_is_asked_about(chain: Chain) -> None:
    facts = Facts()
    decision = await chain.run(_request(), facts=facts, at=T0, stages=ALL)
    assert decision.accepted and decision.request.sender == REPLY
    assert facts.asked == [(REPLY, CUSTOMER)]  # the opt-out was read for the chosen sender
    assert [(h.rule, h.action) for h in decision.record] == [("sender", "rewrite")]


async def test_an_opt_out_refuses_all_but_the_answer_to_stop(chain: Chain) -> None:
    stopped = Facts(stopped=T0 - timedelta(days=1))
    refused = await chain.run(_request(), facts=stopped, at=T0)
    assert refused.refusal is not None and refused.refusal.smtp_reply().startswith("550 5.7.1")
    assert [h.rule for h in refused.hits][-1] == "opt-out"  # the chain stops at a refusal
    answer = _request(source=Source.COMPLIANCE, author="", sender=REPLY, text="Stopped.")
    assert (await chain.run(answer, facts=stopped, at=T0)).accepted


async def test_a_person_may_not_choose_a_sender_the_bridge_does_not_own(chain: Chain) -> None:
    stranger = _request(source=Source.CLI, sender="+447700900777")
    refused = await chain.run(stranger, facts=Facts(), at=T0)
    assert refused.refusal is not None and "does not send texts from" in refused.refusal.reason
    reply = _request(source=Source.AUTO_REPLY, author="", sender="+447700900777")
    assert (await chain.run(reply, facts=Facts(), at=T0)).accepted  # the number texted


async def test_content_drops_control_characters_and_refuses_an_empty_text(chain: Chain) -> None:
    cleaned = await chain.run(_request(text="Hi\x00 there\x1b"), facts=Facts(), at=T0)
    assert cleaned.request.text == "Hi there"
    assert ("content", "rewrite") in [(h.rule, h.action) for h in cleaned.record]
    empty = await chain.run(_request(text="\x07 "), facts=Facts(), at=T0)
    assert empty.refusal is not None and empty.refusal.status == "5.6.0"


async def test_segments_holds_the_authors_limit(chain: Chain) -> None:
    long = await chain.run(_request(text="word " * 40), facts=Facts(), at=T0)
    assert long.refusal is not None and long.refusal.status == "5.3.4"
    plain = await chain.run(_request(text="It’s here…"), facts=Facts(), at=T0)
    assert (plain.request.text, plain.request.encoding) == ("It's here...", "GSM-7")


async def test_a_rate_limit_defers_at_the_send_stage_only(chain: Chain) -> None:
    sending = _request(sender=REPLY, provider="sandbox")
    later = await chain.run(sending, facts=Facts(wait=2.5), at=T0, stages=frozenset({Stage.SEND}))
    assert later.accepted and later.not_before == T0 + timedelta(seconds=2.5)
    at_once = await chain.run(sending, facts=Facts(wait=2.5), at=T0)  # envelope and content
    assert at_once.not_before is None


def test_rules_are_ordered_by_stage() -> None:
    with pytest.raises(ValueError, match="ordered by stage"):
        Chain([RateLimit(), Content()])


async def test_a_naive_time_is_refused(chain: Chain) -> None:
    with pytest.raises(ValueError, match="aware"):
        await chain.run(_request(), facts=Facts(), at=datetime(2026, 12, 2, 9, 0))


@dataclass(frozen=True, slots=True)
class _Remembers:
    """A rule that needs the recipient's contact and keeps what it was given."""

    seen: list[Contact | None]
    name: str = "remembers"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset({Fact.CONTACT})

    def check(self, request: OutboundRequest, facts: Known) -> Verdict:
        self.seen.append(facts.contact)
        return Accept()


async def test_a_rule_that_needs_the_contact_gets_the_recipients_entry() -> None:
    ann = Contact(number=CUSTOMER, name="Ann", timezone="Europe/London")
    seen: list[Contact | None] = []
    chain = Chain([Content(), _Remembers(seen)])
    facts = Facts(book=(ann,))
    await chain.run(_request(), facts=facts, at=T0)
    await chain.run(_request(to_number="+447700900456"), facts=facts, at=T0)
    assert seen == [ann, None]
    assert facts.looked_up == [CUSTOMER, "+447700900456"]  # read only for the rule needing it


async def test_the_store_facts_read_the_contact_from_the_store(store: Store) -> None:
    ann = Contact(number=CUSTOMER, name="Ann", timezone="Europe/London")
    await store.save_contacts([ann], now=T0)
    facts = StoreFacts(store)
    assert await facts.contact(CUSTOMER) == ann
    assert await facts.contact("+447700900456") is None


CATEGORIES = """
[compliance]
marketing_domains = ["offers.sms.example.com"]
[[senders.rules]]
match = "news@example.com"
sender = "ExampleCo"
category = "marketing"
"""


@pytest.mark.parametrize(
    ("fields", "category", "why"),
    [
        ({}, "transactional", "compliance.default_category"),
        ({"tags": frozenset({"marketing"})}, "marketing", "[marketing] tag"),
        ({"author": "news@example.com"}, "marketing", "the rule for news@example.com"),
        (
            {"author": "news@example.com", "tags": frozenset({"transactional"})},
            "transactional",
            "[transactional] tag",
        ),
        ({"domain": "offers.sms.example.com"}, "marketing", "offers.sms.example.com"),
        ({"source": Source.AUTO_REPLY, "author": ""}, "transactional", "answer to a customer"),
    ],
)
async def test_a_texts_category_comes_from_tag_rule_address_or_default(
    tmp_path: Path, fields: dict[str, object], category: str, why: str
) -> None:
    chain = build_chain(make_settings(tmp_path, extra=CATEGORIES))
    decision = await chain.run(_request(**fields), facts=Facts(), at=T0, stages=ALL)
    assert decision.request.category == category
    [note] = [h.detail for h in decision.hits if h.rule == "category"]
    assert why in note


class Threads(Facts):
    def __init__(self, numbers: ThreadNumbers) -> None:
        super().__init__()
        self.numbers, self.threads_asked = numbers, 0

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], at: datetime
    ) -> ThreadNumbers:
        self.threads_asked += 1
        return self.numbers


OTHER = "+447700900200"
TWO_NUMBERS = f"""
[[numbers]]
number = "{REPLY}"
[[numbers]]
number = "{OTHER}"
"""


@pytest.mark.parametrize(
    ("thread", "numbers", "sender", "asked"),
    [
        (Thread(via=OTHER), ThreadNumbers(), OTHER, 0),  # the address names it
        (Thread(is_reply=True, headers_known=True), ThreadNumbers(answered=OTHER), OTHER, 1),
        (Thread(is_reply=True, headers_known=True), ThreadNumbers(live=(REPLY,)), REPLY, 1),
        (
            Thread(is_forward=True, headers_known=True),
            ThreadNumbers(answered=OTHER),
            "ExampleCo",
            0,
        ),
        (Thread(headers_known=True), ThreadNumbers(live=(REPLY,)), "ExampleCo", 0),  # a new email
    ],
)
async def test_a_reply_goes_from_the_number_of_its_thread(
    tmp_path: Path, thread: Thread, numbers: ThreadNumbers, sender: str, asked: int
) -> None:
    chain = build_chain(
        make_settings(tmp_path, extra=TWO_NUMBERS, senders={"default": "ExampleCo"})
    )
    facts = Threads(numbers)
    request = _request(author="bob@example.com", thread=thread)
    decision = await chain.run(request, facts=facts, at=T0, stages=ALL)
    assert decision.accepted and decision.request.sender == sender
    assert facts.threads_asked == asked


async def test_an_unknown_thread_with_two_live_numbers_is_refused(tmp_path: Path) -> None:
    chain = build_chain(make_settings(tmp_path, extra=TWO_NUMBERS))
    facts = Threads(ThreadNumbers(live=(REPLY, OTHER)))
    request = _request(author="bob@example.com", thread=Thread(is_reply=True, headers_known=True))
    decision = await chain.run(request, facts=facts, at=T0, stages=ALL)
    assert decision.refusal is not None and decision.refusal.code == 550
    assert "+447700900123.via.447700900100@sms.example.com" in decision.refusal.reason


EVERY_RULE = """
[compliance]
marketing_requires_consent = true
allowed_countries = ["GB"]
send_window = "08:00-21:00"
velocity_new_numbers = 50
caps = [{ category = "marketing", max = 4, per = "month" }]
prices = { GB = 0.04 }
[[compliance.spend_caps]]
match = "example.com"
per = "month"
segments = 1000
admin = "admin@example.com"
[[numbers]]
number = "+447700900100"
rate_per_second = 1.0
"""


def test_a_chain_with_every_rule_on_is_built_in_stage_order(tmp_path: Path) -> None:
    chain = build_chain(make_settings(tmp_path, extra=EVERY_RULE))
    names = [rule.name for rule in chain.rules]
    assert names == [
        "reply-sender",
        "sender",
        "owned-sender",
        "destination",
        "opt-out",
        "schedule",
        "category",
        "consent",
        "content",
        "content-guard",
        "segments",
        "frequency-cap",
        "spend-cap",
        "quiet-hours",
        "velocity",
        "rate-limit",
    ]
