"""The inbound worker with a flow, against a real store of each backend: two of a customer's
texts decided at once on the same flow state; the second is decided again, never both
advancing the flow from one state."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.models import InboundSms
from bridge.store.base import Store
from tests.conftest import make_settings
from tests.support.workers import inbound_dispatcher

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
CUSTOMER, REPLY = "+447700900123", "+447700900100"
FLOWS = (Path(__file__).parent / "flows" / "restaurant.toml").read_text(encoding="utf-8")
EXTRA = f"""
[[numbers]]
number = "{REPLY}"
inbox = ["team@example.com"]
timezone = "Europe/London"
{FLOWS}"""


class _ReadTogether:
    """The store, except that two readers of the inbound context both read before either
    goes on: two workers (or two bridges) deciding two texts at the same moment."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._both_read = asyncio.Barrier(2)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def inbound_context(self, **kwargs: Any) -> Any:
        context = await self._store.inbound_context(**kwargs)
        await self._both_read.wait()
        return context


async def _received(store: Store, n: int, body: str) -> None:
    sms = InboundSms(
        provider="sandbox",
        provider_message_id=f"m{n}",
        from_number=CUSTOMER,
        to_number=REPLY,
        text=body,
        received_at=T0 + timedelta(seconds=n),
    )
    await store.receive_sms(sms, now=T0)


async def test_two_texts_at_once_advance_the_flow_one_after_the_other(
    store: Store, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, extra=EXTRA)
    await _received(store, 0, "MENU")
    [menu] = await store.claim_inbound(now=T0, limit=2, lease_seconds=60, owner="t")
    await inbound_dispatcher(store, settings, clock=lambda: T0).handle(menu)
    for n, body in enumerate(("2", "3"), 1):
        await _received(store, n, body)
    now = T0 + timedelta(seconds=5)
    jobs = await store.claim_inbound(now=now, limit=2, lease_seconds=60, owner="t")
    assert len(jobs) == 2
    together: Any = _ReadTogether(store)
    dispatcher = inbound_dispatcher(together, settings, clock=lambda: now)
    await asyncio.gather(*(dispatcher.handle(job) for job in jobs))  # both read the menu
    states = {row.text: row.state for row in await store.recent_inbound(limit=5)}
    assert sorted(states.values()) == ["queued", "routed", "routed"], states
    later = now + timedelta(seconds=2)
    [again] = await store.claim_inbound(now=later, limit=2, lease_seconds=60, owner="t")
    await inbound_dispatcher(store, settings, clock=lambda: later).handle(again)
    flow = (await store.inbound_context(customer=CUSTOMER, reply_number=REPLY)).flow
    assert flow is not None and flow.version == 3  # started, then advanced once per text
    texts = [job.text for job in await store.recent_sms(limit=10)]
    assert len(texts) == 3  # one answer per text, none lost, none twice
    routed = {row.text: row.explanation for row in await store.recent_inbound(limit=5)}
    first, second = ("2", "3") if states["3"] == "queued" else ("3", "2")
    assert "step 'menu'" in (routed[first] or "")  # the one saved first answered the menu
    assert "step 'menu'" not in (routed[second] or "")  # the other, the step after


async def test_the_end_of_a_flow_emails_and_posts_the_answers(store: Store, tmp_path: Path) -> None:
    hooked = EXTRA.replace(
        'notify = ["bookings@example.com"]',
        'notify = ["bookings@example.com"]\nwebhook = "https://hooks.example.com/flows"',
    )
    settings = make_settings(tmp_path, extra=hooked)
    for n, body in enumerate(("MENU", "2", "24/12", "Ann Smith")):
        await _received(store, n, body)
        at = T0 + timedelta(seconds=n + 1)
        [job] = await store.claim_inbound(now=at, limit=1, lease_seconds=60, owner="t")
        await inbound_dispatcher(store, settings, clock=lambda at=at: at).handle(job)
    mails = await store.claim_mail(
        now=T0 + timedelta(minutes=1), limit=10, lease_seconds=60, owner="t"
    )
    by_kind = {mail.kind: mail for mail in mails}
    assert set(by_kind) == {"flow", "webhook"}  # nothing to the team: no hand-over
    assert by_kind["flow"].recipients == ("bookings@example.com",)
    email = by_kind["flow"].content.decode()
    assert "Subject: restaurant: answers from +44 7700 900123" in email
    assert "date: 2026-12-24" in email and "name: Ann Smith" in email
    assert by_kind["webhook"].recipients == ("https://hooks.example.com/flows",)
    posted = json.loads(by_kind["webhook"].content)
    assert posted["event"] == "flow finished" and posted["flow"] == "restaurant"
    assert posted["answers"] == {"date": "2026-12-24", "name": "Ann Smith"}
    assert posted["from"] == CUSTOMER and posted["to"] == REPLY
