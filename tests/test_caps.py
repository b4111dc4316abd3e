"""Frequency caps per recipient and spend caps per author or team: counted from the store,
shared by bridges on one database, refused with a sentence or deferred; 80% warns once."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.chain.chain import Chain, build_chain, store_facts
from bridge.chain.gate import Gate
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.chain.verdicts import Decision
from bridge.chain.warnings import StoreWarnings
from bridge.errors import ConfigError
from bridge.models import Contact, NewSmsJob, SentWindow, Spent
from bridge.settings.root import Settings
from bridge.store.base import Store
from tests.conftest import make_settings, postgres_schema
from tests.support.facts import Facts

ALL = frozenset(Stage)
UK = "+447700900123"
T0 = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)  # a Wednesday, midday in London


class Sent(Facts):
    """A FactReader that knows when the recipient was texted and what the team spent."""

    def __init__(self, sent: tuple[datetime, ...] = (), spent: tuple[Spent, ...] = ()) -> None:
        super().__init__()
        self.sent, self.spent_rows = sent, spent

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        return tuple(at for at in self.sent if at >= since)

    async def spent(self, *, author: str, at: datetime) -> tuple[Spent, ...]:
        return self.spent_rows


def _chain(tmp_path: Path, compliance: str) -> Chain:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return build_chain(make_settings(tmp_path, extra=f"[compliance]\n{compliance}\n"))


def _request(**fields: Any) -> OutboundRequest:
    base: dict[str, Any] = {
        "source": Source.EMAIL,
        "author": "shop@example.com",
        "to_number": UK,
        "text": "20% off this weekend.",
        "tags": frozenset({"marketing"}),
    }
    return OutboundRequest(**{**base, **fields})


async def _run(chain: Chain, facts: Facts, at: datetime = T0, **fields: Any) -> Decision:
    return await chain.run(_request(**fields), facts=facts, at=at, stages=ALL)


CALENDAR = 'caps = [{category = "marketing", max = 4, per = "month"}]'
ROLLING = 'caps = [{category = "marketing", max = 4, per = "month", mode = "rolling"}]'
DEFER = 'caps = [{category = "marketing", max = 4, per = "month", over = "defer"}]'


async def test_a_fifth_marketing_text_this_month_is_refused_with_a_sentence(
    tmp_path: Path,
) -> None:
    chain = _chain(tmp_path, CALENDAR)
    sent = tuple(T0 - timedelta(days=d) for d in (1, 3, 5, 7))  # all in December
    decision = await _run(chain, Sent(sent))
    assert decision.refusal is not None
    assert decision.refusal.smtp_reply().startswith(
        f"550 5.7.1 {UK} has had 4 marketing texts this month, the most they agreed to"
    )
    assert "it could go from 2027-01-01 00:00 GMT" in decision.refusal.reason
    three = await _run(chain, Sent(sent[:3]))
    assert three.accepted and "4 of 4 marketing texts this month" in three.explain()
    order = await _run(chain, Sent(sent), tags=frozenset())  # transactional: not capped
    assert order.accepted


async def test_a_calendar_month_starts_again_but_a_rolling_one_remembers(tmp_path: Path) -> None:
    late_november = tuple(datetime(2026, 11, d, 12, tzinfo=UTC) for d in (25, 26, 27, 28))
    first = datetime(2026, 12, 1, 12, tzinfo=UTC)
    calendar = await _run(_chain(tmp_path / "c", CALENDAR), Sent(late_november), at=first)
    assert calendar.accepted
    rolling = await _run(_chain(tmp_path / "r", ROLLING), Sent(late_november), at=first)
    assert rolling.refusal is not None and "in the last 30 days" in rolling.refusal.reason
    assert "2026-12-25 12:00 GMT" in rolling.refusal.reason  # when the oldest leaves


async def test_the_calendar_month_is_the_recipients(tmp_path: Path) -> None:
    # 23:30 UTC on 30 November is already 1 December in Sydney (a contact's zone)
    from bridge.models import Contact

    chain = _chain(tmp_path, CALENDAR)
    november = tuple(datetime(2026, 11, d, 1, tzinfo=UTC) for d in (2, 3, 4, 5))
    facts = Sent(november)
    facts.book = {UK: Contact(number=UK, timezone="Australia/Sydney")}
    assert (await _run(chain, facts, at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))).accepted
    london = await _run(chain, Sent(november), at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert not london.accepted


async def test_over_the_cap_a_text_can_wait_for_the_next_period_out_of_quiet_hours(
    tmp_path: Path,
) -> None:
    chain = _chain(tmp_path, DEFER)
    sent = tuple(T0 - timedelta(days=d) for d in (1, 3, 5, 7))
    decision = await _run(chain, Sent(sent))
    assert decision.accepted and decision.not_before == datetime(2027, 1, 1, tzinfo=UTC)
    assert [(h.rule, h.action) for h in decision.record][-1] == ("frequency-cap", "defer")
    quiet = _chain(tmp_path / "q", f'{DEFER}\nquiet_hours = {{start = "21:00", end = "08:00"}}')
    waits = await _run(quiet, Sent(sent))
    assert waits.not_before == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # midnight is quiet


@pytest.mark.parametrize(
    ("compliance", "words"),
    [
        ('caps = [{category = "marketing", max = 0}]', "a number of at least 1"),
        ('caps = [{category = "marketing", max = 4, per = "year"}]', '"day", "week" or "month"'),
        (
            'spend_caps = [{match = "example.com", segments = 10, money = 5.0}]',
            "segments or in money",
        ),
        ('spend_caps = [{match = "example.com", money = 5.0}]', "give compliance.prices"),
        ("prices = {UK = 0.04}", "UK: prices are by country"),
    ],
)
def test_cap_settings_say_what_is_wrong(tmp_path: Path, compliance: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, extra=f"[compliance]\n{compliance}\n")
    assert words in " ".join(f"{key}: {message}" for key, message in info.value.problems)


def _sms(n: int, *, author: str = "a@shop.example.com", to: str = UK, **fields: Any) -> NewSmsJob:
    key = f"<m{n}-{author}@example.com>|{to}"
    return NewSmsJob(
        idempotency_key=key,
        message_id=key.split("|")[0],
        author=author,
        subject="Offer",
        to_number=to,
        sender="ExampleCo",
        text="20% off",
        encoding="GSM-7",
        segments=fields.pop("segments", 1),
        category=fields.pop("category", "marketing"),
        **fields,
    )


async def test_two_bridges_on_one_postgresql_database_share_a_recipients_cap(
    tmp_path: Path,
) -> None:
    from bridge.store.postgres import PostgresStore

    settings = make_settings(tmp_path, extra=f"[compliance]\n{CALENDAR}\n")
    with postgres_schema() as dsn:
        first, second = PostgresStore(dsn), PostgresStore(dsn)
        await first.migrate()
        for store in (first, second):
            await store.open()
        try:
            await first.enqueue_sms([_sms(n) for n in range(2)], now=T0 - timedelta(days=1))
            await second.enqueue_sms([_sms(n) for n in range(2, 4)], now=T0 - timedelta(hours=1))
            await first.enqueue_sms([_sms(9, category="transactional")], now=T0)
            for store in (first, second):
                decision = await _gate(settings, store).decide(_request(), at=T0)
                assert decision.refusal is not None, decision.explain()
                assert "has had 4 marketing texts this month" in decision.refusal.reason
        finally:
            for store in (first, second):
                await store.close()


def _gate(settings: Settings, store: Store) -> Gate:
    warnings = StoreWarnings(store, from_address="sms-bridge@example.com", hostname="bridge")
    return Gate(chain=build_chain(settings), facts=store_facts(settings, store), warn=warnings)


SPEND = """
[[compliance.spend_caps]]
match = "shop.example.com"
per = "month"
segments = 10
admin = "boss@shop.example.com"
"""


async def test_a_teams_spend_cap_warns_its_admin_once_at_80_percent_then_refuses(
    tmp_path: Path, store: Store
) -> None:
    gate = _gate(make_settings(tmp_path, extra=SPEND), store)
    request = _request(author="b@eu.shop.example.com", tags=frozenset())
    await store.enqueue_sms(
        [_sms(1, segments=4), _sms(2, author="b@eu.shop.example.com", segments=3)],
        now=T0 - timedelta(days=2),
    )
    await store.enqueue_sms([_sms(3, author="x@other.example.com", segments=9)], now=T0)
    first = await gate.decide(request, at=T0)  # 7 + 1 = 8 of 10: warn
    assert first.accepted and "shop.example.com: 8 segments of 10 segments" in first.explain()
    [warning] = await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t")
    assert warning.recipients == ("boss@shop.example.com",)
    assert b"has spent 8 segments of 10 segments this month" in warning.content
    await store.enqueue_sms([_sms(4, author="b@eu.shop.example.com")], now=T0)
    second = await gate.decide(request, at=T0)  # 9 of 10: the warning was sent
    assert second.accepted
    assert await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t") == []
    await store.enqueue_sms([_sms(5, segments=2)], now=T0)
    over = await gate.decide(request, at=T0)
    assert over.refusal is not None
    assert over.refusal.smtp_reply().startswith(
        "550 5.7.1 shop.example.com has spent 10 segments of 10 segments this month"
    )
    assert "ask boss@shop.example.com to raise the cap" in over.refusal.reason


async def test_a_spend_cap_in_money_prices_each_segment_by_country(tmp_path: Path) -> None:
    extra = """prices = {GB = 0.04, US = 0.01}
currency = "GBP"
[[compliance.spend_caps]]
match = "shop@example.com"
per = "day"
money = 1.00
"""
    chain = _chain(tmp_path, extra)
    spent = (
        Spent("shop@example.com", "GB", month=30, day=20),  # 0.80 today
        Spent("shop@example.com", "US", month=30, day=15),  # 0.15 today
    )
    fits = await _run(chain, Sent(spent=spent), text="x")  # 0.95 + 0.04
    assert fits.accepted and "0.99 GBP of 1.00 GBP" in fits.explain()
    over = await _run(chain, Sent(spent=spent), text="x" * 200)  # two segments: 1.03
    assert (
        over.refusal is not None and "has spent 0.95 GBP of 1.00 GBP today" in over.refusal.reason
    )


async def test_texts_deferred_into_a_month_count_in_it(tmp_path: Path, store: Store) -> None:
    settings = make_settings(tmp_path, extra=f"[compliance]\n{DEFER}\n")
    gate = _gate(settings, store)
    january = datetime(2027, 1, 1, tzinfo=UTC)
    await store.enqueue_sms([_sms(n) for n in range(4)], now=T0 - timedelta(days=1))
    await store.enqueue_sms([_sms(n, not_before=january) for n in range(4, 8)], now=T0)
    decision = await gate.decide(_request(), at=T0)  # December full, January full: February
    assert decision.not_before == datetime(2027, 2, 1, tzinfo=UTC), decision.explain()


class _Reads:
    """The store, counting the reads the chain makes of what it knows about a recipient."""

    def __init__(self, store: Store) -> None:
        self.store, self.names = store, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        if name in ("recipient", "contact", "sent_times", "spent"):
            self.names[name] += 1
        return getattr(self.store, name)


async def test_a_texts_contact_texts_and_spend_are_read_in_one_operation(
    tmp_path: Path, store: Store
) -> None:
    """The frequency cap, the spend cap and quiet hours all ask about the recipient; the
    store is asked once, and each rule still decides on what it counts."""
    quiet = 'send_window = "08:00-21:00"\nquiet_categories = ["marketing"]\n'
    settings = make_settings(tmp_path, extra=f"[compliance]\n{CALENDAR}\n{quiet}{SPEND}")
    reads = _Reads(store)
    gate = Gate(chain=build_chain(settings), facts=store_facts(settings, reads))  # type: ignore[arg-type]
    await store.enqueue_sms([_sms(n) for n in range(3)], now=T0 - timedelta(days=1))
    request = _request(author="b@eu.shop.example.com")
    decision = await gate.decide(request, at=T0)
    assert decision.accepted, decision.explain()
    assert "4 of 4 marketing texts this month" in decision.explain()
    assert "shop.example.com: 4 segments of 10 segments" in decision.explain()
    assert reads.names == Counter({"recipient": 1})


async def test_the_store_counts_a_busy_recipients_texts_only_up_to_the_cap(
    store: Store,
) -> None:
    """A recipient texted 60 times this month: a cap of 100 is answered with a count and no
    rows; a cap of 4 with the count stopped at 4 and the times, to say when there is room."""
    await store.enqueue_sms([_sms(n) for n in range(60)], now=T0 - timedelta(days=2))
    month = SentWindow(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), 100)
    since = T0 - timedelta(days=32)
    asked = {"number": UK, "category": "marketing", "since": since, "authors": None}
    days = {"month": T0, "day": T0}
    roomy = await store.recipient(**asked, **days, windows=(month,))
    assert roomy.counts == (60,) and roomy.sent == ()
    full = await store.recipient(**asked, **days, windows=(replace(month, enough=4),))
    assert full.counts == (4,) and len(full.sent) == 60
    later = SentWindow(T0, None, 100)  # texts made before T0 and not deferred: none go later
    assert (await store.recipient(**asked, **days, windows=(later,))).counts == (0,)


async def test_a_contacts_own_zone_moves_the_month_the_store_counts_in(
    tmp_path: Path, store: Store
) -> None:
    """At 02:00 UTC on 1 January it is still December in Los Angeles: four December texts
    leave a London recipient's new month empty but fill a contact's who lives there."""
    settings = make_settings(tmp_path, extra=f"[compliance]\n{CALENDAR}\n")
    gate = _gate(settings, store)
    new_year = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)
    await store.enqueue_sms([_sms(n) for n in range(4)], now=new_year - timedelta(days=3))
    london = await gate.decide(_request(), at=new_year)
    assert london.accepted and "1 of 4 marketing texts this month" in london.explain()
    contact = Contact(number=UK, timezone="America/Los_Angeles")
    await store.save_contacts([contact], now=new_year)
    los_angeles = await gate.decide(_request(), at=new_year)
    assert los_angeles.refusal is not None, los_angeles.explain()
    assert "has had 4 marketing texts this month" in los_angeles.refusal.reason


async def test_a_teams_spend_sums_whole_days_and_the_quarter_hours_its_zone_cuts(
    store: Store,
) -> None:
    """Whole UTC days are read from their day rows and the rest from quarter hours
    (migration 25): in a zone whose midnight is not UTC's (India, +05:30) a text in the UTC
    day the month or the day begins in counts on the right side of that beginning. A text
    that fails for good gives its segments back from both."""
    month = datetime(2026, 10, 31, 18, 30, tzinfo=UTC)  # 1 November, 00:00 in Kolkata
    day = datetime(2026, 11, 19, 18, 30, tzinfo=UTC)  # 20 November, 00:00 in Kolkata
    sent = [  # (when, segments, author): segments are powers of two, so a sum names its texts
        (month - timedelta(minutes=30), 1, "a@shop.example.com"),  # October there
        (month + timedelta(minutes=30), 2, "a@shop.example.com"),  # the month's first UTC day
        (month + timedelta(hours=9), 4, "b@eu.shop.example.com"),  # a whole UTC day
        (month + timedelta(days=9), 8, "a@shop.example.com"),
        (day - timedelta(minutes=15), 16, "b@eu.shop.example.com"),  # 19 November there
        (day + timedelta(minutes=15), 32, "a@shop.example.com"),  # today, still 19th in UTC
        (day + timedelta(hours=12), 64, "b@eu.shop.example.com"),  # today
        (day, 128, "c@example.org"),  # another team
    ]
    for n, (at, segments, author) in enumerate(sent):
        await store.enqueue_sms([_sms(n, author=author, segments=segments)], now=at)

    async def team() -> tuple[int, int]:
        spent = await store.spent(authors="shop.example.com", month=month, day=day)
        return sum(row.month for row in spent), sum(row.day for row in spent)

    assert await team() == (2 + 4 + 8 + 16 + 32 + 64, 32 + 64)
    mine = await store.spent(authors="a@shop.example.com", month=month, day=day)
    assert [(row.month, row.day) for row in mine] == [(2 + 8 + 32, 32)]

    later = day + timedelta(days=1)
    jobs = await store.claim_sms(now=later, limit=20, lease_seconds=60, owner="w")
    eight = next(job for job in jobs if job.segments == 8)
    await store.sms_failed(eight.id, owner="w", error="no", code=None, now=later, notice=None)
    assert await team() == (2 + 4 + 16 + 32 + 64, 32 + 64)
