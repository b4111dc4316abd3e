"""SMTP's RCPT TO reads the opt-out and what DATA's content stage will ask in one read
(``Chain.run``'s ``read_ahead``); DATA uses that answer only for the very same question and
reads again whenever the question changed: another category, another month, a contact's zone."""

from __future__ import annotations

import asyncio
import smtplib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.app import Bridge
from bridge.chain.chain import build_chain, store_facts
from bridge.chain.gate import Gate
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.verdicts import Decision
from bridge.models import Contact, NewSmsJob
from bridge.settings.root import Settings
from bridge.store.base import Store
from tests.conftest import make_settings
from tests.support.smtp_client import message

UK = "+447700900123"
T0 = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)  # a Wednesday, midday in London
CAPS = """
caps = [
  { category = "transactional", max = 4, per = "month" },
  { category = "marketing", max = 2, per = "month" },
]
"""
SPEND = """
[[compliance.spend_caps]]
match = "shop.example.com"
per = "month"
segments = 10
"""


class _Reads:
    """The store, counting the reads the chain makes of the opt-out and the recipient."""

    _COUNTED = ("suppression", "opted_out_and_recipient", "recipient", "contact", "spent")

    def __init__(self, store: Store) -> None:
        self.store, self.names = store, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        if name in self._COUNTED:
            self.names[name] += 1
        return getattr(self.store, name)


def _settings(tmp_path: Path, extra: str = "") -> Settings:
    return make_settings(tmp_path, extra=f"[compliance]\n{CAPS}\n{extra}\n{SPEND}")


def _gate(settings: Settings, store: Any) -> Gate:
    return Gate(chain=build_chain(settings), facts=store_facts(settings, store))


def _request(**fields: Any) -> OutboundRequest:
    base: dict[str, Any] = {
        "source": Source.EMAIL,
        "author": "a@shop.example.com",
        "to_number": UK,
        "domain": "sms.example.com",
    }
    return OutboundRequest(**{**base, **fields})


async def _email(
    gate: Gate, at: datetime, *, data_at: datetime | None = None, tags: frozenset[str] = frozenset()
) -> Decision:
    """RCPT TO at ``at``, then DATA (at ``data_at``, two seconds later unless given)."""
    envelope = await gate.envelope(_request(), at=at, read_ahead=True)
    if not envelope.accepted:
        return envelope
    text = _request(text="Your order is ready.", subject="Order", tags=tags)
    return await gate.decide(text, at=data_at or at + timedelta(seconds=2), envelope=envelope)


def _sms(n: int, category: str = "transactional") -> NewSmsJob:
    key = f"<m{n}@shop.example.com>|{UK}"
    return NewSmsJob(
        idempotency_key=key,
        message_id=key.split("|")[0],
        author="a@shop.example.com",
        subject="Order",
        to_number=UK,
        sender="ExampleCo",
        text="Your order is ready.",
        encoding="GSM-7",
        segments=1,
        category=category,
    )


async def test_rcpt_reads_the_opt_out_and_what_data_asks_in_one_operation(
    tmp_path: Path, store: Store
) -> None:
    reads = _Reads(store)
    gate = _gate(_settings(tmp_path), reads)
    await store.enqueue_sms([_sms(n) for n in range(3)], now=T0 - timedelta(days=1))
    decision = await _email(gate, T0)
    assert decision.accepted, decision.explain()
    assert "4 of 4 transactional texts this month" in decision.explain()
    assert "shop.example.com: 4 segments of 10 segments" in decision.explain()
    assert reads.names == Counter({"opted_out_and_recipient": 1})
    await store.enqueue_sms([_sms(3)], now=T0 + timedelta(seconds=5))
    full = await _email(gate, T0 + timedelta(minutes=1))
    assert full.refusal is not None and "has had 4 transactional texts" in full.refusal.reason


async def test_a_subject_tag_that_changes_the_category_makes_data_read_again(
    tmp_path: Path, store: Store
) -> None:
    """RCPT TO counted the recipient's transactional texts; the subject's ``[marketing]``
    asks about their marketing texts, which DATA reads."""
    reads = _Reads(store)
    gate = _gate(_settings(tmp_path), reads)
    await store.enqueue_sms([_sms(n, "marketing") for n in range(2)], now=T0 - timedelta(days=1))
    decision = await _email(gate, T0, tags=frozenset({"marketing"}))
    assert decision.refusal is not None, decision.explain()
    assert "has had 2 marketing texts this month" in decision.refusal.reason
    assert reads.names == Counter({"opted_out_and_recipient": 1, "recipient": 1})


async def test_rcpt_before_midnight_and_data_after_count_in_the_new_month(
    tmp_path: Path, store: Store
) -> None:
    reads = _Reads(store)
    gate = _gate(_settings(tmp_path), reads)
    new_year = datetime(2027, 1, 1, tzinfo=UTC)  # midnight in London too
    await store.enqueue_sms([_sms(n) for n in range(4)], now=new_year - timedelta(days=3))
    december = await _email(gate, new_year - timedelta(seconds=3))
    assert december.refusal is not None, december.explain()
    assert reads.names == Counter({"opted_out_and_recipient": 1})
    across = await _email(gate, new_year - timedelta(seconds=1), data_at=new_year)
    assert across.accepted and "1 of 4 transactional texts this month" in across.explain()
    assert reads.names == Counter({"opted_out_and_recipient": 2, "recipient": 1})


async def test_a_contacts_own_zone_is_counted_in_at_data(tmp_path: Path, store: Store) -> None:
    """At 02:00 UTC on 1 January it is still December in Los Angeles: RCPT TO counted the
    number's month (London's January), DATA the contact's (December, full)."""
    reads = _Reads(store)
    gate = _gate(_settings(tmp_path), reads)
    new_year = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)
    await store.enqueue_sms([_sms(n) for n in range(4)], now=new_year - timedelta(days=3))
    await store.save_contacts([Contact(number=UK, timezone="America/Los_Angeles")], now=T0)
    decision = await _email(gate, new_year)
    assert decision.refusal is not None, decision.explain()
    assert "has had 4 transactional texts this month" in decision.refusal.reason
    assert reads.names == Counter({"opted_out_and_recipient": 1, "recipient": 1})


@pytest.mark.parametrize(
    ("scope", "stopped_to", "refused"),
    [
        ("organisation", "+447700900999", True),  # a STOP to any of the organisation's numbers
        ("number", "+447700900999", False),  # only to the number texted
        ("number", "ExampleCo", True),
    ],
)
async def test_an_opt_out_read_with_the_recipient_still_refuses_at_rcpt(
    tmp_path: Path, store: Store, scope: str, stopped_to: str, refused: bool
) -> None:
    settings = _settings(tmp_path, f'opt_out_scope = "{scope}"')
    gate = _gate(settings, store)
    await store.suppress(reply_number=stopped_to, customer=UK, now=T0 - timedelta(days=1))
    envelope = await gate.envelope(_request(), at=T0, read_ahead=True)
    assert (envelope.refusal is not None) is refused, envelope.explain()
    if refused:
        assert envelope.refusal is not None
        reason = envelope.refusal.reason  # the STOP read with the recipient's facts
        assert stopped_to in reason and "2026-12-15 12:00 UTC" in reason


async def test_an_email_through_the_smtp_listener_costs_one_read_of_the_store(
    tmp_path: Path,
) -> None:
    """The listener passes ``read_ahead``: on SQLite's reader connection, the email's facts
    are one statement, the opt-out's and the caps' together."""
    settings = _settings(tmp_path)
    async with Bridge(settings) as bridge:
        reader = bridge.store._reader  # type: ignore[attr-defined]
        seen: list[str] = []
        reader.set_trace_callback(seen.append)
        host, port = bridge.smtp_address.rsplit(":", 1)
        refused = await asyncio.to_thread(_send, host, int(port))
        reader.set_trace_callback(None)
        assert refused == {}
        facts = [s for s in seen if "suppressions" in s or "FROM contacts" in s]
        assert len(facts) == 1, facts
        assert "sms_jobs" in facts[0] and "spend_counts" in facts[0]
        jobs = await bridge.store.recent_sms(limit=5)
        assert [job.to_number for job in jobs] == [UK]


def _send(host: str, port: int) -> dict[str, tuple[int, bytes]]:
    msg = message(
        sender="a@shop.example.com", body="Your order is ready.", to=f"{UK}@sms.example.com"
    )
    with smtplib.SMTP(host, port, timeout=30) as client:
        return client.sendmail("a@shop.example.com", [f"{UK}@sms.example.com"], msg.as_bytes())
