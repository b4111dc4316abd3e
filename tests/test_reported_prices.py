"""Spend caps in money count a text at the price its provider reported, when it reported one
in ``compliance.currency`` (in the send's answer or a delivery report), and at the table's
estimate (``compliance.prices``) otherwise; a text that fails for good costs nothing either
way. The SMS worker and the report intake against a real store (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.chain.chain import build_chain, store_facts
from bridge.chain.gate import Gate
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.spend_cap import reported_cost
from bridge.chain.verdicts import Decision
from bridge.chain.warnings import StoreWarnings
from bridge.inbound.reports import ReportIntake
from bridge.mail.transport import NoticeSettings
from bridge.models import DeliveryReport, NewSmsJob, OutboundSms, SendResult
from bridge.providers.choice import ProviderChoice
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher
from tests.conftest import make_settings

T0 = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)
UK = "+447700900123"
AUTHOR = "shop@example.com"
NOTICES = NoticeSettings(from_address="sms@example.net", hostname="bridge.test")
CAP = """[compliance]
prices = { GB = 0.04 }
currency = "GBP"
timezone = "Europe/London"
[[compliance.spend_caps]]
match = "shop@example.com"
per = "day"
money = 1.00
"""


@pytest.mark.parametrize(
    ("price", "cost"),
    [
        ("-0.0079 USD", 0.0079),  # Twilio: negative for a charge, with its unit
        ("0.0079 usd", 0.0079),
        ("-0.03 GBP", None),  # another currency: no rates are guessed
        ("0.0333", None),  # Vonage's bare message-price: its currency is not said
        ("2 credits", None),  # The SMS Works
        ("free USD", None),
        ("nan USD", None),
        ("", None),
        (None, None),
    ],
)
def test_a_reported_price_counts_only_in_the_caps_currency(
    price: str | None, cost: float | None
) -> None:
    assert reported_cost(price, "USD") == cost


class Priced:
    """A provider that reports what each text cost in its answer, as Twilio's resource does."""

    name = "twilio"

    def __init__(self, price: str | None) -> None:
        self.price = price

    async def send(self, sms: OutboundSms) -> SendResult:
        return SendResult(provider_message_id=f"SM{sms.job_id}", price=self.price)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        return None


def _settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, extra=CAP)


async def _send(store: Store, n: int, *, price: str | None, segments: int = 5) -> None:
    """Store ``n`` texts of ``segments`` each and send them through a provider that reports
    ``price`` for each."""
    jobs = [
        NewSmsJob(
            idempotency_key=f"<m{i}-{price}@example.com>|{UK}",
            message_id=f"<m{i}-{price}@example.com>",
            author=AUTHOR,
            subject="",
            to_number=UK,
            sender="ExampleCo",
            text="Your order is ready.",
            encoding="GSM-7",
            segments=segments,
        )
        for i in range(n)
    ]
    await store.enqueue_sms(jobs, now=T0)
    dispatcher = SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(Priced(price)),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        notices=NOTICES,
        clock=lambda: T0,
        notice_queued=lambda: None,
        owner="t",
        lease_seconds=60,
        currency="GBP",
    )
    for job in await store.claim_sms(now=T0, limit=10, lease_seconds=60, owner="t"):
        await dispatcher.handle(job)


async def _decide(settings: Settings, store: Store) -> Decision:
    warnings = StoreWarnings(store, from_address="sms@example.net", hostname="bridge")
    gate = Gate(chain=build_chain(settings), facts=store_facts(settings, store), warn=warnings)
    request = OutboundRequest(source=Source.EMAIL, author=AUTHOR, to_number=UK, text="Hello")
    return await gate.decide(request, at=T0 + timedelta(minutes=1))


async def test_a_text_with_a_reported_price_counts_that_price(tmp_path: Path, store: Store) -> None:
    settings = _settings(tmp_path)
    await _send(store, 2, price="-0.0100 GBP")  # 10 segments, 0.02 GBP, not 10 x 0.04
    await _send(store, 1, price=None)  # 5 segments at the table's 0.04: 0.20
    decision = await _decide(settings, store)
    assert decision.accepted, decision.explain()
    assert "shop@example.com: 0.26 GBP of 1.00 GBP" in decision.explain()  # 0.02 + 0.20 + 0.04
    [job, *_] = [j for j in await store.recent_sms(limit=10) if j.price]
    assert job.price == "-0.0100 GBP"


async def test_without_a_price_in_the_caps_currency_the_table_counts(
    tmp_path: Path, store: Store
) -> None:
    settings = _settings(tmp_path)
    await _send(store, 4, price="-0.0100 USD")  # 20 segments at 0.04: 0.80
    decision = await _decide(settings, store)
    assert "shop@example.com: 0.84 GBP of 1.00 GBP" in decision.explain()
    await _send(store, 1, price=None)  # 1.00 now: the next text goes over
    over = await _decide(settings, store)
    assert over.refusal is not None and "has spent 1.00 GBP of 1.00 GBP" in over.refusal.reason


async def test_a_price_in_a_later_report_replaces_the_estimate_once(
    tmp_path: Path, store: Store
) -> None:
    settings = _settings(tmp_path)
    await _send(store, 1, price=None)  # 0.20 estimated
    [job] = await store.recent_sms(limit=10)
    intake = ReportIntake(
        store=store,
        notices=NOTICES,
        clock=lambda: T0,
        mail_queued=lambda: None,
        currency="GBP",
    )
    delivered = DeliveryReport(
        provider="twilio",
        provider_message_id=f"SM{job.id}",
        status="delivered",
        price="-0.0500 GBP",
    )
    assert await intake.accept(delivered)
    assert not await intake.accept(delivered)  # a repeat changes nothing
    decision = await _decide(settings, store)
    assert "shop@example.com: 0.09 GBP of 1.00 GBP" in decision.explain()  # 0.05 + 0.04
    # a price that comes only with a later poll, the state unchanged, is recorded too
    later = DeliveryReport(
        provider="twilio",
        provider_message_id=f"SM{job.id}",
        status="delivered",
        price="-0.0600 GBP",
    )
    assert await intake.accept(later)
    assert "shop@example.com: 0.10 GBP of 1.00 GBP" in (await _decide(settings, store)).explain()


async def test_a_text_that_fails_after_its_price_costs_nothing(
    tmp_path: Path, store: Store
) -> None:
    settings = _settings(tmp_path)
    await _send(store, 1, price="-0.3000 GBP")
    [job] = await store.recent_sms(limit=10)
    intake = ReportIntake(
        store=store, notices=NOTICES, clock=lambda: T0, mail_queued=lambda: None, currency="GBP"
    )
    failed = DeliveryReport(
        provider="twilio", provider_message_id=f"SM{job.id}", status="failed", error_code="30008"
    )
    assert await intake.accept(failed)
    decision = await _decide(settings, store)
    assert "shop@example.com: 0.04 GBP of 1.00 GBP" in decision.explain()
