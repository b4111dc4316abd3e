"""A text recorded sent and the job that takes its worker's place claimed in one statement
(PostgreSQL: ``Store.sms_sent_claiming``): each text that wants one gets its own job, leased
as a claim leases it, and a job of the same statement's texts is never claimed by it; SQLite
records the text and leaves the next job to the runner's claim. Then a worker on PostgreSQL
goes from job to job without a claim of its own, until its runner drains."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bridge.mail.transport import NoticeSettings
from bridge.models import JobState, OutboundSms, SendResult, SmsJob
from bridge.providers.choice import ProviderChoice
from bridge.store.base import Store
from bridge.store.postgres import PostgresStore
from bridge.workers.retry import RetryPolicy
from bridge.workers.runner import JobRunner
from bridge.workers.sms import SmsDispatcher
from tests.support.jobs import new_job

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
async def database(shared: PostgresStore) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to the store's database, to make it slow or refuse writes."""
    conn = await asyncpg.connect(shared._dsn)
    yield conn
    await conn.close()


async def _sent(
    store: Store, job: SmsJob, *, owner: str = "me", at: datetime = T0, wanted: int = 1
) -> tuple[bool, list[SmsJob]]:
    return await store.sms_sent_claiming(
        job.id,
        owner=owner,
        provider="p",
        result=SendResult("P" + job.id),
        now=at,
        lease_seconds=60,
        wanted=wanted,
    )


async def test_each_text_recorded_gets_the_jobs_it_wants_earliest_due_first(store: Store) -> None:
    await store.enqueue_sms([new_job(n) for n in range(2)], now=T0)
    due = []
    for n in range(2, 6):  # four more, each due a second after the one before
        due += await store.enqueue_sms([new_job(n)], now=T0 + timedelta(seconds=n))
    working = await store.claim_sms(now=T0, limit=2, lease_seconds=60, owner="me")
    at = T0 + timedelta(seconds=10)
    answers = await asyncio.gather(
        _sent(store, working[0], at=at, wanted=2), _sent(store, working[1], at=at)
    )
    for job in working:
        stored = await store.get_sms(job.id)
        assert stored is not None and stored.state is JobState.SENT
    assert [recorded for recorded, _ in answers] == [True, True]
    if store.exclusive:  # SQLite: the runner's claim takes them
        assert [claimed for _, claimed in answers] == [[], []]
        return
    assert [len(claimed) for _, claimed in answers] == [2, 1]
    taken = [job for _, claimed in answers for job in claimed]
    assert {job.id for job in taken} == {queued.id for queued in due[:3]}
    [left] = await store.claim_sms(now=at, limit=10, lease_seconds=60, owner="other")
    assert left.id == due[3].id  # the latest stayed queued
    for job in taken:
        assert (job.state, job.attempts, job.in_doubt) == (JobState.SENDING, 1, False)
        assert not await store.keep_sms_lease(job.id, owner="other", lease_seconds=60, now=at)
        assert await store.keep_sms_lease(job.id, owner="me", lease_seconds=60, now=at)


async def test_the_lease_runs_from_the_text_recorded_and_no_further(shared: PostgresStore) -> None:
    await shared.enqueue_sms([new_job(n) for n in range(2)], now=T0)
    [working] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="me")
    _, [following] = await _sent(shared, working, at=T0 + timedelta(seconds=5))
    # 60 s from the text's time: another bridge may take it over just after, not before
    early = T0 + timedelta(seconds=64)
    assert await shared.claim_sms(now=early, limit=1, lease_seconds=60, owner="x") == []
    late = T0 + timedelta(seconds=65)
    [again] = await shared.claim_sms(now=late, limit=1, lease_seconds=60, owner="x")
    assert (again.id, again.in_doubt) == (following.id, True)


async def test_a_text_whose_lease_ran_out_is_recorded_and_not_claimed_again(
    shared: PostgresStore,
) -> None:
    """Both are due by its own lease: one statement may not update a row twice, so the
    text is recorded, and another job (or none) takes its place."""
    await shared.enqueue_sms([new_job(0)], now=T0)
    [working] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="me")
    recorded, claimed = await _sent(shared, working, at=T0 + timedelta(seconds=90))
    assert (recorded, claimed) == (True, [])
    stored = await shared.get_sms(working.id)
    assert stored is not None and stored.state is JobState.SENT
    await shared.enqueue_sms([new_job(1)], now=T0)
    [other] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="me")
    expired = T0 + timedelta(seconds=120)
    # another expired job of the same owner is claimed in doubt, as a claim would
    await shared.enqueue_sms([new_job(2)], now=T0)
    [third] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="me")
    recorded, [following] = await _sent(shared, other, at=expired)
    assert recorded
    assert (following.id, following.in_doubt, following.attempts) == (third.id, True, 2)


class _Provider:
    name = "fake"

    def __init__(self, price: str | None = None, seconds: float = 0.0) -> None:
        self.sent: list[str] = []
        self._price = price
        self._seconds = seconds

    async def send(self, sms: OutboundSms) -> SendResult:
        await asyncio.sleep(self._seconds)
        self.sent.append(sms.job_id)
        return SendResult(f"F{len(self.sent)}", price=self._price)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        return None


def _runner(
    store: Store, provider: _Provider, claims: list[int], *, concurrency: int = 2
) -> JobRunner[SmsJob]:
    dispatcher = SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(provider),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        notices=NoticeSettings(from_address="sms@example.net", hostname="bridge.test"),
        clock=lambda: datetime.now(UTC),
        notice_queued=lambda: None,
        owner="me",
        lease_seconds=60,
        currency="USD",  # a price in it is written after the text is recorded (sms_priced)
    )

    async def claim(limit: int) -> list[SmsJob]:
        jobs = await dispatcher.claim(limit)
        claims.append(len(jobs))
        return jobs

    return JobRunner(
        name="sms",
        claim=claim,
        handle=dispatcher.handle,
        concurrency=concurrency,
        poll_seconds=0.05,
        on_stop=dispatcher.stop_taking,
    )


async def _drained(store: Store) -> None:
    while (counts := await store.counts()).waiting or counts.sending:
        await asyncio.sleep(0.02)


async def test_a_worker_goes_on_to_the_job_claimed_with_its_text(shared: PostgresStore) -> None:
    await shared.enqueue_sms([new_job(n) for n in range(12)], now=datetime.now(UTC))
    provider, claims = _Provider(), []
    runner = _runner(shared, provider, claims)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(_drained(shared), 10)
    await runner.drain(grace_seconds=5)
    await task
    assert sorted(provider.sent) == sorted(set(provider.sent))  # each sent once
    assert len(provider.sent) == 12
    assert sum(claims) < 12  # most jobs came with a text recorded, not by a claim


async def test_a_draining_runner_leaves_the_next_jobs_queued(shared: PostgresStore) -> None:
    await shared.enqueue_sms([new_job(n) for n in range(6)], now=datetime.now(UTC))
    provider, claims = _Provider(), []
    runner = _runner(shared, provider, claims)
    runner.stop()  # before the first claim: the jobs it claims are its last
    await runner._claim_some()
    await runner.drain(grace_seconds=5)
    assert len(provider.sent) == 2
    counts = await shared.counts()
    assert (counts.waiting, counts.sending) == (4, 0)


async def test_a_failure_after_the_text_was_recorded_does_not_strand_the_next_job(
    shared: PostgresStore, database: asyncpg.Connection
) -> None:
    """The price's write fails (here the database refuses it): the text stays recorded sent,
    the error is logged, and the job claimed in its place is still delivered by the worker."""
    await database.execute(_REFUSE_PRICES)
    await shared.enqueue_sms([new_job(n) for n in range(4)], now=datetime.now(UTC))
    provider, claims = _Provider(price="-0.0079 USD"), []
    runner = _runner(shared, provider, claims, concurrency=1)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(_drained(shared), 10)
    await runner.drain(grace_seconds=5)
    await task
    assert len(set(provider.sent)) == len(provider.sent) == 4
    assert sum(claims) == 1  # the others each came with the text before them
    states = await database.fetch("SELECT state, cost FROM sms_jobs")
    assert {(row["state"], row["cost"]) for row in states} == {("sent", None)}


_REFUSE_PRICES = """
CREATE FUNCTION refuse_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'prices cannot be written'; END $$;
CREATE TRIGGER refuse_price BEFORE UPDATE OF cost ON sms_jobs
    FOR EACH ROW EXECUTE FUNCTION refuse_price();
"""


async def test_a_workers_next_send_does_not_wait_for_its_last_texts_record(
    shared: PostgresStore, database: asyncpg.Connection
) -> None:
    """The database takes 0.2 s to record each text and the provider 0.2 s to take one: one
    worker sends eight texts in about 2 s (its first record, which claims two jobs, and its
    last are waited for), where waiting for every record would take 3.2 s."""
    await database.execute(_SLOW_RECORDS)
    await shared.enqueue_sms([new_job(n) for n in range(8)], now=datetime.now(UTC))
    provider, claims = _Provider(seconds=0.2), []
    runner = _runner(shared, provider, claims, concurrency=1)
    started = time.monotonic()
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(_drained(shared), 10)
    took = time.monotonic() - started
    await runner.drain(grace_seconds=5)
    await task
    assert len(set(provider.sent)) == len(provider.sent) == 8
    assert took < 2.7, took


_SLOW_RECORDS = """
CREATE FUNCTION slow_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$;
CREATE TRIGGER slow_record BEFORE UPDATE ON sms_jobs
    FOR EACH ROW WHEN (NEW.state = 'sent') EXECUTE FUNCTION slow_record();
"""


async def test_in_one_statement_only_the_first_owners_texts_get_jobs(shared: PostgresStore) -> None:
    """Every text of one bridge has one owner; a text of another in the same group (two
    bridges' stores are never one object, but a test may mix them) is recorded, given none."""
    await shared.enqueue_sms([new_job(n) for n in range(5)], now=T0)
    [mine] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="me")
    [theirs] = await shared.claim_sms(now=T0, limit=1, lease_seconds=60, owner="other")
    answers = await asyncio.gather(
        _sent(shared, mine), _sent(shared, theirs, owner="other", wanted=2)
    )
    assert [(recorded, len(claimed)) for recorded, claimed in answers] == [(True, 1), (True, 0)]
    assert answers[0][1][0].id not in {mine.id, theirs.id}
