"""Flow states in the store, on SQLite and on PostgreSQL with two bridges: saved with the
text's outcome; two texts decided on the same state cannot both advance it (the second's
whole outcome, its answer included, rolls back and the text is decided again)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.models import FlowState, FlowUpdate, InboundOutcome, InboundSms, NewSmsJob
from bridge.store.base import Store
from bridge.store.migrations import SCHEMA_VERSION
from bridge.store.ops_flows import FlowConflict
from bridge.store.postgres import PostgresStore
from bridge.store.sqlite import SqliteStore
from tests.conftest import postgres_schema

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
CUSTOMER, NUMBER = "+447700900123", "+447700900100"


def _answer(inbound_id: str, text: str) -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=f"{inbound_id}|flow",
        message_id=f"<{inbound_id}@inbound>",
        author="",
        subject="",
        to_number=CUSTOMER,
        sender=NUMBER,
        text=text,
        encoding="GSM-7",
        segments=1,
    )


def _outcome(inbound_id: str, state: FlowState | None, expected: int | None) -> InboundOutcome:
    return InboundOutcome(
        route="flow restaurant",
        explanation="",
        texts=(_answer(inbound_id, f"answer to {inbound_id}"),),
        flow=FlowUpdate(state=state, expected=expected),
    )


async def _two_texts_one_state(first: Store, second: Store) -> None:
    for n, body in enumerate(("MENU", "2")):
        sms = InboundSms(
            provider="sandbox",
            provider_message_id=f"m{n}",
            from_number=CUSTOMER,
            to_number=NUMBER,
            text=body,
            received_at=T0 + timedelta(seconds=n),
        )
        await first.receive_sms(sms, now=T0)
    one = await first.claim_inbound(
        now=T0 + timedelta(seconds=5), limit=1, lease_seconds=60, owner="a"
    )
    two = await second.claim_inbound(
        now=T0 + timedelta(seconds=5), limit=1, lease_seconds=60, owner="b"
    )
    assert len(one) == len(two) == 1
    menu = FlowState(flow="restaurant", step="menu", updated_at=T0)
    date = FlowState(flow="restaurant", step="date", updated_at=T0)
    # both were decided with no state stored
    assert (await first.inbound_context(customer=CUSTOMER, reply_number=NUMBER)).flow is None
    await first.inbound_routed(one[0], _outcome(one[0].id, menu, None), now=T0)
    with pytest.raises(FlowConflict):
        await second.inbound_routed(two[0], _outcome(two[0].id, date, None), now=T0)
    saved = (await second.inbound_context(customer=CUSTOMER, reply_number=NUMBER)).flow
    assert saved is not None and (saved.step, saved.version) == ("menu", 1)
    texts = [job.text for job in await second.recent_sms(limit=10)]
    assert texts == [f"answer to {one[0].id}"]  # the second's answer rolled back with it
    # decided again on version 1, it saves; a stale save after that is refused
    await second.inbound_routed(two[0], _outcome(two[0].id, date, 1), now=T0)
    saved = (await first.inbound_context(customer=CUSTOMER, reply_number=NUMBER)).flow
    assert saved is not None and (saved.step, saved.version) == ("date", 2)
    with pytest.raises(FlowConflict):
        await first.inbound_routed(one[0], _outcome(one[0].id, menu, 1), now=T0)
    await first.inbound_routed(one[0], _outcome(one[0].id, None, 2), now=T0)  # the flow ends
    assert (await first.inbound_context(customer=CUSTOMER, reply_number=NUMBER)).flow is None
    # a text routed past the flows on a state that has changed since is decided again too
    routed = InboundOutcome(route="inbox", explanation="")
    stale = FlowUpdate(state=None, expected=2, keep=True)
    with pytest.raises(FlowConflict):
        await first.inbound_routed(two[0], replace(routed, flow=stale), now=T0)
    kept = FlowUpdate(state=None, expected=None, keep=True)
    await first.inbound_routed(two[0], replace(routed, flow=kept), now=T0)


async def test_a_flow_state_is_advanced_once_on_sqlite(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    try:
        await _two_texts_one_state(store, store)
    finally:
        await store.close()


async def test_a_flow_state_is_shared_by_two_bridges_on_postgres() -> None:
    with postgres_schema() as dsn:
        first, second = PostgresStore(dsn), PostgresStore(dsn)
        assert (await first.migrate())[1] == SCHEMA_VERSION
        for store in (first, second):
            await store.open()
        try:
            await _two_texts_one_state(first, second)
        finally:
            for store in (first, second):
                await store.close()
