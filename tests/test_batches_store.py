"""Batches in the store, on SQLite and on PostgreSQL with two bridges: a cancel racing the
workers' claims leaves every text either cancelled or claimed, never both, and no claim ever
takes a cancelled text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.models import NewBatch, NewMailJob, NewSmsJob
from bridge.store.base import Store
from bridge.store.migrations import SCHEMA_VERSION
from bridge.store.postgres import PostgresStore
from bridge.store.sqlite import SqliteStore
from tests.conftest import postgres_schema

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TEXTS = 300


def _jobs(n: int) -> list[NewSmsJob]:
    return [
        NewSmsJob(
            idempotency_key=f"<rota@example.com>|+4477009{i:05d}",
            message_id="<rota@example.com>",
            author="alice@example.com",
            subject="Rota",
            to_number=f"+4477009{i:05d}",
            sender="ExampleCo",
            text="Your shift starts at 9.",
            encoding="GSM-7",
            segments=1,
            not_before=T0,
        )
        for i in range(n)
    ]


def _batch(token: str) -> NewBatch:
    confirmation = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"x")
    return NewBatch(
        token=token,
        author="alice@example.com",
        kind="scheduled",
        message_id="<rota@example.com>",
        subject="Rota",
        zone="Europe/London",
        expires_at=T0 + timedelta(days=7),
        confirmation=confirmation,
    )


async def _race(cancelling: Store, claiming: list[Store]) -> None:
    now = T0 - timedelta(days=1)
    queued = await cancelling.enqueue_batch(_batch("ab" * 16), _jobs(TEXTS), now=now)
    again = await cancelling.enqueue_batch(_batch("cd" * 16), _jobs(TEXTS), now=now)
    assert all(q.merged for q in again)  # redelivered: no second batch
    assert await cancelling.batch("cd" * 16) is None
    batch = await cancelling.batch("ab" * 16)
    assert batch is not None and batch["author"] == "alice@example.com"

    async def claimer(store: Store, owner: str) -> list[str]:
        got: list[str] = []
        while found := await store.claim_sms(now=T0, limit=2, lease_seconds=60, owner=owner):
            got += [job.id for job in found]
            await asyncio.sleep(0.002)  # as a worker sends between claims
        return got

    claims = asyncio.gather(*(claimer(s, f"w{i}") for i, s in enumerate(claiming)))
    await asyncio.sleep(0)  # the workers are under way
    done = await cancelling.cancel_batch(str(batch["id"]), now=T0)
    claimed = {job_id for claim in await claims for job_id in claim}
    states = {job.id: job.state.value for job in await cancelling.recent_sms(limit=TEXTS * 2)}
    cancelled = {job_id for job_id, state in states.items() if state == "cancelled"}
    assert len(states) == len(queued) == TEXTS
    assert not cancelled & claimed and cancelled | claimed == set(states)
    assert (done.now, done.gone) == (len(cancelled), len(claimed))
    listed = await cancelling.scheduled(state="cancelled", limit=TEXTS)
    assert {str(row["id"]) for row in listed} == cancelled
    assert {row["token"] for row in listed} <= {"ab" * 16}
    later = T0 + timedelta(days=9)  # every lease long over: the claimed ones are taken again
    again_claimed = await cancelling.claim_sms(
        now=later, limit=TEXTS * 2, lease_seconds=60, owner="x"
    )
    assert {job.id for job in again_claimed} == claimed  # never a cancelled one


async def test_a_cancel_and_the_claims_never_both_take_a_text_on_sqlite(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    try:
        await _race(store, [store, store])
    finally:
        await store.close()


async def test_a_cancel_on_one_bridge_and_claims_on_two_on_postgres() -> None:
    with postgres_schema() as dsn:
        first, second = PostgresStore(dsn), PostgresStore(dsn)
        assert (await first.migrate())[1] == SCHEMA_VERSION
        for store in (first, second):
            await store.open()
        try:
            await _race(second, [first, first, second])
        finally:
            for store in (first, second):
                await store.close()
