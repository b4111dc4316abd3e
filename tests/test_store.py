"""The store against both backends (SQLite files, PostgreSQL): idempotency, leases, retries,
atomic notices, inbound texts. The ``store`` fixture (conftest) runs each test on both."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bridge.models import InboundOutcome, InboundSms, JobState, NewMailJob, NewSmsJob, SendResult
from bridge.store.base import Store
from bridge.store.outbox_filter import OutboxFilter
from bridge.store.sqlite import SCHEMA_VERSION, SchemaTooNew, SqliteStore
from bridge.store.statements import Op, count

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def job(key: str = "<m1@example.com>|+447700900123", number: str = "+447700900123") -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=key,
        message_id=key.split("|")[0],
        author="alice@example.com",
        subject="Hello",
        to_number=number,
        sender="ExampleCo",
        text="Your order is ready",
        encoding="GSM-7",
        segments=1,
    )


async def test_same_idempotency_key_is_stored_once(store: Store) -> None:
    [first] = await store.enqueue_sms([job()], now=T0)
    [again] = await store.enqueue_sms([job()], now=T0 + timedelta(minutes=5))
    assert again == first
    assert len(await store.recent_sms(limit=10)) == 1


async def test_the_outbox_lists_by_state_number_author_and_age(store: Store) -> None:
    def made_by(author: str, n: int) -> NewSmsJob:
        return replace(job(f"<m{n}@x>|+44770090012{n}", f"+44770090012{n}"), author=author)

    authors = ["alice@example.com", "bob@sales.example.com", "eve@notexample.com"]
    ids = []
    for n, author in enumerate(authors):
        ids += await store.enqueue_sms([made_by(author, n)], now=T0 + timedelta(hours=n))
    await store.claim_sms(now=T0 + timedelta(hours=3), limit=1, lease_seconds=60, owner="a")
    await store.sms_failed(ids[0], error="no", code=None, now=T0, notice=None)

    async def listed(**only: Any) -> list[str]:
        jobs = await store.recent_sms(limit=10, only=OutboxFilter(**only))
        return sorted(j.id for j in jobs)

    assert await listed() == sorted(ids)
    assert await listed(state=JobState.FAILED) == [ids[0]]
    assert await listed(state=JobState.QUEUED) == sorted(ids[1:])
    assert await listed(to_number="+447700900121") == [ids[1]]
    assert await listed(author="example.com") == sorted(ids[:2])  # not notexample.com
    assert await listed(author="BOB@sales.example.com") == [ids[1]]
    assert await listed(author="exa_ple.com") == []  # _ is not a wildcard
    assert await listed(since=T0 + timedelta(minutes=30)) == sorted(ids[1:])
    assert await listed(author="example.com", since=T0 + timedelta(minutes=30)) == [ids[1]]


async def test_claim_leases_a_job_once_until_the_lease_expires(store: Store) -> None:
    [job_id] = await store.enqueue_sms([job()], now=T0)
    [claimed] = await store.claim_sms(now=T0, limit=5, lease_seconds=60, owner="a")
    assert (claimed.id, claimed.state, claimed.attempts) == (job_id, JobState.SENDING, 1)
    assert not claimed.in_doubt
    assert (
        await store.claim_sms(now=T0 + timedelta(seconds=59), limit=5, lease_seconds=60, owner="b")
        == []
    )
    [again] = await store.claim_sms(
        now=T0 + timedelta(seconds=61), limit=5, lease_seconds=60, owner="b"
    )
    assert (again.id, again.attempts, again.in_doubt) == (job_id, 2, True)


async def test_retry_waits_until_its_time(store: Store) -> None:
    [job_id] = await store.enqueue_sms([job()], now=T0)
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.sms_retry(job_id, error="busy", code="503", at=T0 + timedelta(seconds=30), now=T0)
    assert (
        await store.claim_sms(now=T0 + timedelta(seconds=29), limit=1, lease_seconds=60, owner="a")
        == []
    )
    counts = await store.counts()
    assert (counts.waiting, counts.retrying) == (0, 1)
    [again] = await store.claim_sms(
        now=T0 + timedelta(seconds=30), limit=1, lease_seconds=60, owner="a"
    )
    assert (again.error, again.in_doubt) == ("busy", False)


async def test_sent_records_the_provider_and_is_never_claimed_again(store: Store) -> None:
    [job_id] = await store.enqueue_sms([job()], now=T0)
    await store.claim_sms(now=T0, limit=1, lease_seconds=1, owner="a")
    await store.sms_sent(job_id, provider="sandbox", result=SendResult("SB1"), now=T0)
    assert (
        await store.claim_sms(now=T0 + timedelta(hours=1), limit=1, lease_seconds=1, owner="a")
        == []
    )
    stored = await store.get_sms(job_id)
    assert stored is not None
    assert (stored.state, stored.provider, stored.provider_message_id) == (
        JobState.SENT,
        "sandbox",
        "SB1",
    )


async def test_failure_and_its_notice_are_stored_together(store: Store) -> None:
    [job_id] = await store.enqueue_sms([job()], now=T0)
    notice = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"x")
    await store.sms_failed(job_id, error="not a mobile", code="21614", now=T0, notice=notice)
    [mail] = await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="a")
    assert (mail.recipients, mail.content, mail.envelope_from) == (("alice@example.com",), b"x", "")
    stored = await store.get_sms(job_id)
    assert stored is not None and stored.state is JobState.FAILED and stored.error_code == "21614"


async def test_release_leases_makes_in_flight_jobs_claimable_now(store: Store) -> None:
    await store.enqueue_sms([job()], now=T0)
    await store.claim_sms(now=T0, limit=1, lease_seconds=3600, owner="dead")
    assert await store.release_leases(now=T0) == 1
    [again] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="new")
    assert again.in_doubt


async def test_many_concurrent_enqueues_are_all_committed(store: Store) -> None:
    import asyncio

    keys = [f"<m{i}@example.com>|+447700900{i:03d}" for i in range(300)]
    ids = await asyncio.gather(*(store.enqueue_sms([job(k)], now=T0) for k in keys))
    assert len({i for [i] in ids}) == 300
    assert len(await store.recent_sms(limit=1000)) == 300


async def test_a_failing_operation_does_not_undo_its_batch_neighbours(store: Store) -> None:
    import asyncio

    def bad_sql() -> Op[int]:
        changed: int = yield count("INSERT INTO no_such_table VALUES (1)")
        return changed

    async def broken() -> None:
        await store._do(bad_sql())

    results = await asyncio.gather(
        store.enqueue_sms([job("<a>|+447700900001")], now=T0),
        broken(),
        store.enqueue_sms([job("<b>|+447700900002")], now=T0),
        return_exceptions=True,
    )
    assert isinstance(results[1], sqlite3.OperationalError | asyncpg.UndefinedTableError)
    assert len(await store.recent_sms(limit=10)) == 2


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        await SqliteStore(path).open()


async def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    first = SqliteStore(path)
    await first.open()
    [job_id] = await first.enqueue_sms([job()], now=T0)
    await first.close()
    second = SqliteStore(path)
    await second.open()
    assert (await second.get_sms(job_id)) is not None
    await second.close()


def inbound(pmid: str = "SM1", text: str = "Yes please") -> InboundSms:
    return InboundSms(
        provider="twilio",
        provider_message_id=pmid,
        from_number="+447700900123",
        to_number="+447700900100",
        text=text,
        received_at=T0,
    )


async def test_the_same_inbound_text_twice_is_stored_once(store: Store) -> None:
    first, new = await store.receive_sms(inbound(), now=T0)
    again, new_again = await store.receive_sms(inbound(), now=T0 + timedelta(seconds=3))
    assert (again, new, new_again) == (first, True, False)
    assert len(await store.claim_inbound(now=T0, limit=5, lease_seconds=60, owner="a")) == 1


async def test_routing_outcome_is_committed_with_the_routed_mark(store: Store) -> None:
    await store.receive_sms(inbound(text="STOP"), now=T0)
    [job] = await store.claim_inbound(now=T0, limit=5, lease_seconds=60, owner="a")
    mail = NewMailJob(envelope_from="", recipients=("team@example.com",), content=b"x")
    outcome = InboundOutcome(
        route="stop", explanation="STOP", mails=(mail,), suppress=True, auto_replied=True
    )
    assert len(await store.inbound_routed(job, outcome, now=T0)) == 1
    context = await store.inbound_context(customer="+447700900123", reply_number="+447700900100")
    assert context.suppressed_since == T0 and context.last_auto_reply == T0
    assert (
        await store.claim_inbound(now=T0 + timedelta(hours=1), limit=5, lease_seconds=60, owner="b")
        == []
    )


async def test_an_email_to_a_customer_from_a_number_records_the_conversation(
    store: Store,
) -> None:
    from dataclasses import replace

    await store.enqueue_sms([replace(job(), sender="+447700900100")], now=T0)
    await store.enqueue_sms(
        [replace(job("<m2@example.com>|+447700900124", "+447700900124"))], now=T0
    )  # an alphanumeric sender: no replies possible
    context = await store.inbound_context(customer="+447700900123", reply_number="+447700900100")
    assert context.conversation is not None
    assert (context.conversation.author, context.conversation.message_id) == (
        "alice@example.com",
        "<m1@example.com>",
    )
    other = await store.inbound_context(customer="+447700900124", reply_number="ExampleCo")
    assert other.conversation is None


async def test_a_delivery_report_is_recorded_once_with_its_notice(store: Store) -> None:
    [job_id] = await store.enqueue_sms([job()], now=T0)
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.sms_sent(job_id, provider="twilio", result=SendResult("SM9"), now=T0)
    found = await store.find_sms(provider="twilio", provider_message_id="SM9")
    assert found is not None and found.id == job_id
    notice = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"n")
    for _ in range(2):  # the provider repeats its report
        await store.sms_reported(
            job_id, state="undelivered", error="unreachable", code="30003", now=T0, notice=notice
        )
    assert len(await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="a")) == 1
    reported = await store.get_sms(job_id)
    assert reported is not None and reported.state is JobState.UNDELIVERED


async def test_purge_forgets_only_finished_work_older_than_the_cut_off(store: Store) -> None:
    from dataclasses import replace

    old, waiting, recent = (f"<m{n}@example.com>|+447700900123" for n in (1, 2, 3))
    [old_id, waiting_id] = await store.enqueue_sms(
        [replace(job(old), sender="+447700900100"), job(waiting)], now=T0
    )
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.sms_sent(old_id, provider="sandbox", result=SendResult("SB1"), now=T0)
    await store.receive_sms(inbound(text="STOP"), now=T0)
    [text] = await store.claim_inbound(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.inbound_routed(
        text, InboundOutcome(route="stop", explanation="STOP", suppress=True), now=T0
    )
    later = T0 + timedelta(days=100)
    [recent_id] = await store.enqueue_sms([job(recent)], now=later)

    assert await store.purge(before=later - timedelta(days=90)) == 3  # job, text, conversation
    assert await store.get_sms(old_id) is None
    assert {j.id for j in await store.recent_sms(limit=10)} == {waiting_id, recent_id}
    context = await store.inbound_context(customer="+447700900123", reply_number="+447700900100")
    assert context.conversation is None and context.suppressed_since == T0  # STOP is kept
    assert await store.purge(before=later - timedelta(days=90)) == 0


async def test_an_operation_is_all_or_nothing_and_one_marked_alone_may_not_grow(
    store: Store,
) -> None:
    """A second statement that fails undoes the first; an op that says its one statement is
    all of it (PostgreSQL runs that without BEGIN/COMMIT) is stopped if it runs another."""
    [job_id] = await store.enqueue_sms([job()], now=T0)

    def half_done() -> Op[None]:
        yield count("UPDATE sms_jobs SET subject = 'changed' WHERE id = ?", job_id)
        yield count("INSERT INTO no_such_table VALUES (1)")

    def grows() -> Op[None]:
        yield count("UPDATE sms_jobs SET subject = 'alone' WHERE id = ?", job_id, alone=True)
        yield count("UPDATE sms_jobs SET subject = 'second' WHERE id = ?", job_id)

    with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresError)):
        await store._do(half_done())
    assert (await store.get_sms(job_id)).subject == "Hello"  # type: ignore[union-attr]
    if not store.exclusive:  # only PostgreSQL runs a statement marked alone on its own
        with pytest.raises(RuntimeError, match="marked alone"):
            await store._do(grows())
