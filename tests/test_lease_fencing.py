"""Lease fencing: a worker whose lease passed to another worker (its bridge froze for longer
than the lease) neither sends the job nor records an outcome for it, and a worker whose
provider is slow keeps its lease while it waits.

The store's side runs on both backends. A lease passes to another bridge only on a store
bridges share, so the worker's side of a take-over runs on PostgreSQL (``shared``); on SQLite
the worker does not ask before sending (tests/faults/test_frozen_bridge.py has two bridges).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridge.errors import TemporaryFailure
from bridge.mail.transport import NoticeSettings
from bridge.models import JobState, NewMailJob, NewSmsJob, OutboundSms, SendResult, SmsJob
from bridge.providers.choice import ProviderChoice
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=61)  # the first claim's 60 s lease has run out


class _Provider:
    """Sends by running ``during`` (what happens elsewhere while the request is on its way)."""

    name = "fake"

    def __init__(self, during: Callable[[], Awaitable[None]] | None = None) -> None:
        self.sent: list[str] = []
        self._during = during

    async def send(self, sms: OutboundSms) -> SendResult:
        if self._during is not None:
            await self._during()
        self.sent.append(sms.job_id)
        return SendResult(f"F{len(self.sent)}")

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        return None


def _dispatcher(
    store: Store,
    provider: _Provider,
    *,
    lease: float = 60.0,
    clock: Callable[[], datetime] = lambda: T0,
) -> SmsDispatcher:
    return SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(provider),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        notices=NoticeSettings(from_address="sms@example.net", hostname="bridge.test"),
        clock=clock,
        notice_queued=lambda: None,
        owner="frozen",
        lease_seconds=lease,
    )


async def _claimed(store: Store, *, now: datetime = T0, lease: float = 60.0) -> SmsJob:
    job = NewSmsJob(
        idempotency_key="<m@example.com>|+447700900123",
        message_id="<m@example.com>",
        author="alice@example.com",
        subject="Hi",
        to_number="+447700900123",
        sender="ExampleCo",
        text="Hello",
        encoding="GSM-7",
        segments=1,
    )
    await store.enqueue_sms([job], now=now)
    [claimed] = await store.claim_sms(now=now, limit=1, lease_seconds=lease, owner="frozen")
    return claimed


async def _take_over(store: Store) -> SmsJob:
    [taken] = await store.claim_sms(now=LATER, limit=1, lease_seconds=60, owner="other")
    return taken


async def test_only_the_lease_holder_keeps_the_lease_or_records_an_outcome(store: Store) -> None:
    job = await _claimed(store)
    await _take_over(store)
    notice = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"n")
    stale = {"owner": "frozen", "now": LATER}
    assert not await store.keep_sms_lease(job.id, lease_seconds=60, **stale)
    assert not await store.sms_sent(job.id, provider="fake", result=SendResult("F1"), **stale)
    assert not await store.sms_retry(job.id, error="busy", code="503", at=LATER, **stale)
    assert not await store.sms_defer(job.id, at=LATER, **stale)
    assert not await store.sms_failed(job.id, error="no", code="x", notice=notice, **stale)
    assert await store.claim_mail(now=LATER, limit=5, lease_seconds=60, owner="m") == []
    stored = await store.get_sms(job.id)
    assert stored is not None and (stored.state, stored.attempts) == (JobState.SENDING, 2)

    held = T0 + timedelta(seconds=100)
    assert await store.keep_sms_lease(job.id, owner="other", lease_seconds=60, now=held)
    assert (
        await store.claim_sms(now=held + timedelta(seconds=59), limit=1, lease_seconds=9, owner="c")
        == []
    )
    assert await store.sms_sent(
        job.id, owner="other", provider="fake", result=SendResult("F1"), now=held
    )
    assert not await store.keep_sms_lease(job.id, owner="other", lease_seconds=60, now=held)


async def test_an_expired_lease_nobody_took_over_is_kept(store: Store) -> None:
    job = await _claimed(store, lease=10)
    assert await store.keep_sms_lease(
        job.id, owner="frozen", lease_seconds=60, now=T0 + timedelta(seconds=20)
    )
    assert (
        await store.claim_sms(now=T0 + timedelta(seconds=79), limit=1, lease_seconds=9, owner="b")
        == []
    )


async def test_a_mail_job_outcome_is_recorded_only_by_its_lease_holder(store: Store) -> None:
    mail = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"n")
    [mail_id] = await store.enqueue_mail([mail], now=T0)
    await store.claim_mail(now=T0, limit=1, lease_seconds=60, owner="frozen")
    await store.claim_mail(now=LATER, limit=1, lease_seconds=60, owner="other")
    assert not await store.mail_sent(mail_id, owner="frozen", now=LATER)
    assert not await store.mail_retry(mail_id, owner="frozen", error="x", at=LATER, now=LATER)
    assert not await store.mail_failed(mail_id, owner="frozen", error="x", now=LATER)
    assert await store.mail_sent(mail_id, owner="other", now=LATER)


async def test_a_job_taken_over_while_its_bridge_was_frozen_is_not_sent(
    shared: Store, caplog: pytest.LogCaptureFixture
) -> None:
    job = await _claimed(shared)
    await _take_over(shared)  # the bridge was frozen here, for longer than the lease
    provider = _Provider()
    with caplog.at_level(logging.WARNING, logger="bridge.workers.sms"):
        await _dispatcher(shared, provider, clock=lambda: LATER).handle(job)
    assert provider.sent == []
    stored = await shared.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENDING  # still the other's
    assert f"job {job.id}: not sent, but its lease has passed to another worker" in caplog.text


async def _enqueued(store: Store) -> None:
    """A job in the queue, for the dispatcher to claim itself."""
    claimed = await _claimed(store)  # enqueued and claimed, then given back to the queue
    await store.sms_defer(claimed.id, owner="frozen", at=T0, now=T0)


@pytest.mark.parametrize(
    ("seconds", "asks"), [(0, 0), (29, 0), (31, 1)], ids=["at-once", "29s", "31s"]
)
async def test_its_own_claim_confirms_the_lease_for_half_the_lease(
    shared: Store, seconds: int, asks: int
) -> None:
    """A job the dispatcher claimed itself goes without a confirmation while less than half
    the 60 s lease has passed since the claim was asked (no other bridge can have it);
    later, the lease is confirmed first, as for a job claimed by anyone."""
    await _enqueued(shared)
    now = [T0]
    provider = _Provider()
    dispatcher = _dispatcher(shared, provider, clock=lambda: now[0])
    asked: list[str] = []
    original = shared.keep_sms_lease

    async def counted(job_id: str, **kwargs: Any) -> bool:
        asked.append(job_id)
        return await original(job_id, **kwargs)

    shared.keep_sms_lease = counted  # type: ignore[method-assign]
    [job] = await dispatcher.claim(5)
    now[0] = T0 + timedelta(seconds=seconds)
    await dispatcher.handle(job)
    assert (len(asked), provider.sent) == (asks, [job.id])


async def test_a_job_it_claimed_before_it_froze_is_not_sent_once_taken_over(shared: Store) -> None:
    await _enqueued(shared)
    now = [T0]
    dispatcher = _dispatcher(shared, _Provider(), clock=lambda: now[0])
    [job] = await dispatcher.claim(5)
    await _take_over(shared)  # frozen here, for longer than the lease
    now[0] = LATER
    await dispatcher.handle(job)
    stored = await shared.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENDING  # still the other's


@pytest.mark.parametrize("answer", ["sent", "temporary failure"])
async def test_an_outcome_after_the_lease_was_lost_is_not_recorded(
    shared: Store, answer: str
) -> None:
    job = await _claimed(shared)

    async def frozen_mid_call() -> None:
        await _take_over(shared)
        if answer != "sent":
            raise TemporaryFailure("busy", code="503")

    await _dispatcher(shared, _Provider(frozen_mid_call)).handle(job)
    stored = await shared.get_sms(job.id)
    assert stored is not None and (stored.state, stored.error) == (JobState.SENDING, None)
    assert await shared.keep_sms_lease(job.id, owner="other", lease_seconds=60, now=LATER)


async def test_a_confirmation_that_comes_too_late_is_asked_for_again(shared: Store) -> None:
    """The bridge froze while its confirmation was on its way back: the answer (yes) may be
    stale by the time it is read, so it asks again, and the second answer decides."""
    job = await _claimed(shared)
    now = [T0]

    async def never() -> None:
        raise AssertionError("sent on a stale confirmation")

    dispatcher = _dispatcher(shared, _Provider(never), clock=lambda: now[0])
    original = shared.keep_sms_lease

    async def keep_then_lose(job_id: str, **kwargs: Any) -> bool:
        kept = await original(job_id, **kwargs)
        if now[0] == T0:  # the answer is on its way back while the bridge is frozen
            await _take_over(shared)
            now[0] = LATER
        return kept

    shared.keep_sms_lease = keep_then_lose  # type: ignore[method-assign]
    await dispatcher.handle(job)
    stored = await shared.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENDING


async def test_a_confirmation_older_than_half_the_lease_is_asked_for_again(
    shared: Store,
) -> None:
    """Its answer took 31 s of a 60 s lease to come: asked for again, though nobody took the
    job over meanwhile, and the second (prompt) answer lets it go."""
    job = await _claimed(shared)
    now = [T0]
    provider = _Provider()
    dispatcher = _dispatcher(shared, provider, clock=lambda: now[0])
    original = shared.keep_sms_lease
    asked: list[datetime] = []

    async def slow_first(job_id: str, **kwargs: Any) -> bool:
        asked.append(now[0])
        kept = await original(job_id, **kwargs)
        if len(asked) == 1:
            now[0] = T0 + timedelta(seconds=31)
        return kept

    shared.keep_sms_lease = slow_first  # type: ignore[method-assign]
    await dispatcher.handle(job)
    assert (len(asked), provider.sent) == (2, [job.id])


async def test_a_slow_provider_call_keeps_its_lease(store: Store) -> None:
    """A 0.6 s lease and a provider that takes 1.5 s: renewed every 0.2 s, the lease never
    runs out, so no other worker can claim the job meanwhile."""

    def now() -> datetime:
        return datetime.now(UTC)

    job = await _claimed(store, now=now(), lease=0.6)
    taken: list[SmsJob] = []

    async def slow() -> None:
        for _ in range(3):
            await asyncio.sleep(0.5)
            taken.extend(await store.claim_sms(now=now(), limit=1, lease_seconds=60, owner="b"))

    provider = _Provider(slow)
    await _dispatcher(store, provider, lease=0.6, clock=now).handle(job)
    assert taken == [] and provider.sent == [job.id]
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENT


async def test_a_lease_lost_during_a_slow_call_is_reported_once(
    shared: Store, caplog: pytest.LogCaptureFixture
) -> None:
    def now() -> datetime:
        return datetime.now(UTC)

    job = await _claimed(shared, now=now(), lease=0.3)

    async def taken_over_meanwhile() -> None:
        await asyncio.sleep(0.2)
        later = now() + timedelta(seconds=1)
        await shared.claim_sms(now=later, limit=1, lease_seconds=60, owner="other")
        await asyncio.sleep(1.0)  # renewals would come every 0.1 s

    with caplog.at_level(logging.WARNING, logger="bridge.workers.lease"):
        await _dispatcher(shared, _Provider(taken_over_meanwhile), lease=0.3, clock=now).handle(job)
    lost = "its lease passed to another worker while the provider was answering"
    assert caplog.text.count(lost) == 1
    stored = await shared.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENDING  # the other's to finish


async def test_a_job_its_own_bridge_claims_again_is_left_to_the_first_delivery(
    store: Store,
) -> None:
    job = await _claimed(store)
    provider = _Provider(lambda: asyncio.sleep(0.3))
    dispatcher = _dispatcher(store, provider)
    first = asyncio.create_task(dispatcher.handle(job))
    await asyncio.sleep(0.1)
    await dispatcher.handle(job)  # the same job, claimed again by the same owner
    await first
    assert provider.sent == [job.id]
