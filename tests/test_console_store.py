"""The console's store operations on SQLite and PostgreSQL: history pages by keyset through
each of their statements (rows with the same time included), a retry's effect on the row
and the spend counts, the audit entries written with it, and the login failures kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.models import NewSmsJob, SendResult
from bridge.store.base import Store
from bridge.store.console_records import AuditEntry, HistoryFilter
from bridge.store.postgres import PostgresStore
from bridge.store.sqlite import SqliteStore
from tests.conftest import postgres_schema

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _job(i: int, author: str = "alice@example.com") -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=f"<m{i}@example.com>|+4477009{i:05d}",
        message_id=f"<m{i}@example.com>",
        author=author,
        subject="Rota",
        to_number=f"+4477009{i % 3:05d}",
        sender="ExampleCo",
        text="Your shift starts at 9.",
        encoding="GSM-7",
        segments=2,
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        opened: Store = SqliteStore(tmp_path / "bridge.db")
        await opened.open()
        yield opened
        await opened.close()
        return
    with postgres_schema() as dsn:
        pg = PostgresStore(dsn)
        await pg.migrate()
        await pg.open()
        yield pg
        await pg.close()


async def _fill(store: Store) -> list[str]:
    """Twelve texts, three at each of four times (ties), two authors; the oldest three are
    claimed and one of them fails, one is sent, one stays 'sending'."""
    ids: list[str] = []
    for slot in range(4):
        jobs = [
            _job(slot * 3 + k, "bob@sales.example.com" if k == 2 else "alice@example.com")
            for k in range(3)
        ]
        queued = await store.enqueue_sms(jobs, now=T0 + timedelta(minutes=slot))
        ids += [q.id for q in queued]
    claimed = await store.claim_sms(
        now=T0 + timedelta(hours=1), limit=3, lease_seconds=60, owner="w"
    )
    first, second = sorted(j.id for j in claimed)[:2]
    now = T0 + timedelta(hours=1)
    await store.sms_failed(first, owner="w", error="gone", code="21", now=now, notice=None)
    await store.sms_sent(second, owner="w", provider="p", result=SendResult("m1"), now=now)
    return ids


async def _all_pages(store: Store, only: HistoryFilter, size: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        rows = await store.history(only, after=after, limit=size)
        seen += [str(row["id"]) for row in rows]
        if len(rows) < size:
            return seen
        last = rows[-1]
        after = (datetime.fromtimestamp(float(last["created_at"]), UTC), str(last["id"]))


async def test_history_pages_through_every_statement(store: Store) -> None:
    ids = await _fill(store)
    newest_first = [j.id for j in await store.recent_sms(limit=100)]
    assert sorted(newest_first) == sorted(ids)
    assert await _all_pages(store, HistoryFilter(), 2) == newest_first
    assert await _all_pages(store, HistoryFilter(), 5) == newest_first
    jobs = {j.id: j for j in await store.recent_sms(limit=100)}
    cases = {
        HistoryFilter(author="alice@example.com"): lambda j: j.author == "alice@example.com",
        HistoryFilter(author="example.com"): lambda j: True,
        HistoryFilter(author="sales.example.com"): lambda j: j.author.endswith(
            "@sales.example.com"
        ),
        HistoryFilter(to_number="+447700900001"): lambda j: j.to_number == "+447700900001",
        HistoryFilter(state="failed"): lambda j: j.state.value == "failed",
        HistoryFilter(state="sending"): lambda j: j.state.value == "sending",
        HistoryFilter(state="queued"): lambda j: j.state.value == "queued",
        HistoryFilter(state="cancelled"): lambda j: False,
        HistoryFilter(state="queued", author="alice@example.com"): lambda j: (
            j.state.value == "queued" and j.author == "alice@example.com"
        ),
        HistoryFilter(since=T0 + timedelta(minutes=2)): lambda j: (
            j.created_at >= T0 + timedelta(minutes=2)
        ),
        HistoryFilter(until=T0 + timedelta(minutes=2)): lambda j: (
            j.created_at < T0 + timedelta(minutes=2)
        ),
    }
    for only, wanted in cases.items():
        expected = [i for i in newest_first if wanted(jobs[i])]
        assert await _all_pages(store, only, 2) == expected, only
    assert len(await _all_pages(store, HistoryFilter(state="sending"), 2)) == 1
    assert len(await _all_pages(store, HistoryFilter(state="failed"), 2)) == 1


def _entry(action: str, job_id: str, *, at: datetime | None = None) -> AuditEntry:
    return AuditEntry(
        at=at or T0 + timedelta(hours=2),
        who="Dana",
        address="127.0.0.1",
        action=action,
        job_id=job_id,
        detail="",
    )


async def test_a_retry_queues_a_failed_text_again_and_counts_it_again(store: Store) -> None:
    await _fill(store)
    [failed] = [j for j in await store.recent_sms(limit=100) if j.state.value == "failed"]
    day = T0.replace(hour=0)
    before = sum(s.day for s in await store.spent(authors="example.com", month=day, day=day))
    now = T0 + timedelta(hours=2)
    assert await store.retry_sms(failed.id, now=now, entry=_entry("retry", failed.id))
    job = await store.get_sms(failed.id)
    assert job is not None and job.state.value == "queued" and job.attempts == 0
    assert job.error is None and job.error_code is None and job.next_attempt_at == now
    after = sum(s.day for s in await store.spent(authors="example.com", month=day, day=day))
    assert after == before + 2  # its two segments, given back when it failed, count again
    again = now + timedelta(seconds=1)  # entries at one instant are ordered by their random ids
    assert not await store.retry_sms(
        failed.id, now=again, entry=_entry("retry", failed.id, at=again)
    )
    sent = next(j for j in await store.recent_sms(limit=100) if j.state.value == "sent")
    assert not await store.retry_sms(sent.id, now=now, entry=_entry("retry", sent.id))
    details = [e.detail for e in await store.audit_of(failed.id)]
    assert details == ["queued again (was failed)", "not retried: was queued"]
    assert [e.detail for e in await store.audit_of(sent.id)] == ["not retried: was sent"]
    claimed = await store.claim_sms(now=now, limit=20, lease_seconds=60, owner="w2")
    assert failed.id in {j.id for j in claimed}


async def test_a_cancel_is_audited_whatever_came_of_it(store: Store) -> None:
    await _fill(store)
    queued = next(j for j in await store.recent_sms(limit=100) if j.state.value == "queued")
    now = T0 + timedelta(hours=2)
    assert await store.cancel_sms_audited(queued.id, now=now, entry=_entry("cancel", queued.id))
    again = now + timedelta(seconds=1)  # entries at one instant are ordered by their random ids
    assert not await store.cancel_sms_audited(
        queued.id, now=again, entry=_entry("cancel", queued.id, at=again)
    )
    log = await store.audit_log(after=None, limit=1)
    assert [e.detail for e in log] == ["not cancelled: was cancelled"]
    older = await store.audit_log(after=(log[0].at, log[0].row_id), limit=10)
    assert [e.detail for e in older] == ["cancelled"]


async def test_login_failures_are_kept_per_address_and_forgotten(store: Store) -> None:
    for minutes in (1, 2, 3):
        await store.login_failed("10.0.0.1", now=T0 + timedelta(minutes=minutes), forget_before=T0)
    await store.login_failed("10.0.0.2", now=T0 + timedelta(minutes=4), forget_before=T0)
    times = await store.login_failures("10.0.0.1", since=T0, limit=2)
    assert times == [(T0 + timedelta(minutes=m)).timestamp() for m in (3, 2)]
    await store.login_succeeded("10.0.0.1", forget_before=T0)
    assert await store.login_failures("10.0.0.1", since=T0, limit=5) == []
    assert len(await store.login_failures("10.0.0.2", since=T0, limit=5)) == 1
    later = T0 + timedelta(hours=1)
    await store.login_failed("10.0.0.3", now=later, forget_before=later - timedelta(minutes=30))
    assert await store.login_failures("10.0.0.2", since=T0, limit=5) == []


async def test_the_charts_count_texts_by_hour_and_state(store: Store) -> None:
    await _fill(store)
    counted = await store.volume(since=T0)
    hour = int(T0.timestamp() // 3600)
    assert sorted(counted) == [
        (hour, "failed", 1),
        (hour, "queued", 9),
        (hour, "sending", 1),
        (hour, "sent", 1),
    ]
    assert await store.volume(since=T0 + timedelta(minutes=4)) == []
