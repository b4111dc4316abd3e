"""A bulk send's texts in the store, on SQLite and PostgreSQL: stored a chunk per statement,
counted for the caps exactly as texts stored one by one are, stored once however often the
chunk is stored again, and a text from a reply number starting its conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.models import NewBulkSend, NewMailJob, NewSmsJob
from bridge.store.base import Store
from bridge.store.ops_bulk import _ROWS_A_STATEMENT, _insert_rows
from bridge.store.postgres import _CACHEABLE, PostgresStore
from bridge.store.sqlite import SqliteStore
from bridge.store.statements import postgres_text
from tests.conftest import postgres_schema

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _job(i: int, *, sender: str = "ExampleCo", key: str = "bulk") -> NewSmsJob:
    number = f"+4477009{i:05d}" if i % 2 else f"+3361234{i:04d}"
    return NewSmsJob(
        idempotency_key=f"{key}|{number}",
        message_id="<orders@example.com>",
        author="alice@example.com",
        subject="Orders",
        to_number=number,
        sender=sender,
        text=f"Order {i} is ready.",
        encoding="GSM-7",
        segments=1 + i % 2,
        chain=(),
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "db.sqlite")
        await sqlite.open()
        yield sqlite
        await sqlite.close()
        return
    with postgres_schema() as dsn:
        postgres = PostgresStore(dsn)
        await postgres.migrate()
        await postgres.open()
        yield postgres
        await postgres.close()


async def _counts(store: Store) -> tuple[object, ...]:
    spent = await store.spent(authors="alice@example.com", month=NOW, day=NOW)
    return tuple(sorted((s.country, s.month, s.day) for s in spent))


async def test_a_chunk_is_counted_as_texts_stored_one_by_one(store: Store) -> None:
    batch_id, new = await store.receive_bulk(_send(), now=NOW)
    assert new and (await store.receive_bulk(_send(), now=NOW)) == (batch_id, False)
    jobs = [(i + 2, _job(i)) for i in range(40)]
    assert await store.store_bulk_jobs(batch_id, jobs, state="held", now=NOW) == 40
    assert await store.store_bulk_jobs(batch_id, jobs, state="held", now=NOW) == 0  # again
    bulk_counts = await _counts(store)
    await store.enqueue_sms([_job(i, key="one") for i in range(40)], now=NOW)
    both = await _counts(store)
    assert [(c, m // 2, d // 2) for c, m, d in both] == list(bulk_counts)  # twice as many
    stored = await store.recent_sms(limit=100)
    held = [j for j in stored if j.idempotency_key.startswith("bulk|")]
    assert len(held) == 40 and {j.state.value for j in held} == {"held"}
    results = await store.bulk_results(batch_id)
    assert [r["bulk_line"] for r in results] == list(range(2, 42))
    first = await store.new_numbers(
        author="alice@example.com", to_number="+447700900001", since=NOW - timedelta(1), now=NOW
    )
    assert first.new and first.first_at == NOW  # counted as texted, by the chunk's statement


async def test_a_chunk_larger_than_one_statement_stores_every_text_once(store: Store) -> None:
    """More texts than one INSERT takes (``_ROWS_A_STATEMENT``): each stored with its line and
    columns, and a second attempt that overlaps the first stores only the texts it lacked."""
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    jobs = [(i + 2, _job(i)) for i in range(2500)]
    assert await store.store_bulk_jobs(batch_id, jobs[:1200], state="held", now=NOW) == 1200
    assert await store.store_bulk_jobs(batch_id, jobs, state="held", now=NOW) == 1300
    results = await store.bulk_results(batch_id)
    assert [r["bulk_line"] for r in results] == list(range(2, 2502))
    # stored in the order of their numbers (+33 before +44), each still with its own line
    assert [r["to_number"] for r in results] == [_job(i).to_number for i in range(2500)]
    stored = {j.to_number: j for j in await store.recent_sms(limit=3000)}
    assert len(stored) == 2500
    last = stored[_job(2499).to_number]
    assert (last.text, last.segments, last.sender) == ("Order 2499 is ready.", 2, "ExampleCo")


async def test_a_text_from_a_reply_number_starts_its_conversation(store: Store) -> None:
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    job = _job(1, sender="+447700900100")
    assert await store.store_bulk_jobs(batch_id, [(2, job)], state="held", now=NOW) == 1
    conversations = await store.conversations_of(job.to_number)
    assert [c.reply_number for c in conversations] == ["+447700900100"]
    assert await store.send_held(batch_id, now=NOW) is None  # not previewed: nothing to send


def _send() -> NewBulkSend:
    return NewBulkSend(
        token="ab" * 16,
        author="alice@example.com",
        message_id="<orders@example.com>",
        subject="Orders",
        zone="Europe/London",
        expires_at=NOW + timedelta(days=14),
        filename="orders.csv",
        file=b"number\r\n07700900001\r\n",
        template="Hi",
        domain="sms.example.com",
        at_once=False,
    )


async def test_a_cancel_while_the_file_is_read_stops_what_is_stored_after_it(
    store: Store,
) -> None:
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    taken = await store.claim_bulk(now=NOW, lease_seconds=60, owner="w1")
    assert taken is not None and taken.batch_id == batch_id and taken.file.startswith(b"number")
    assert await store.claim_bulk(now=NOW, lease_seconds=60, owner="w2") is None  # leased
    first = [(i + 2, _job(i)) for i in range(10)]
    assert await store.store_bulk_jobs(batch_id, first, state="held", now=NOW) == 10
    done = await store.cancel_batch(batch_id, now=NOW)
    assert done.now == 10
    later = [(i + 2, _job(i)) for i in range(10, 20)]
    assert await store.store_bulk_jobs(batch_id, later, state="held", now=NOW) == 0
    shown = await store.bulk_previewed(
        batch_id, owner="w1", not_sent="[]", preview=_preview(), now=NOW
    )
    assert shown == "cancelled"  # no preview of a cancelled send
    state = await store.bulk_planned(batch_id, owner="w1", state="held", not_sent="[]", now=NOW)
    assert state == "cancelled"
    assert {j.state.value for j in await store.recent_sms(limit=50)} == {"cancelled"}
    assert await store.claim_mail(now=NOW, limit=5, lease_seconds=60, owner="m") == []
    assert await store.send_held(batch_id, now=NOW) is None


def _preview() -> NewMailJob:
    return NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"x")


async def _previewed_then_planned(
    store: Store, batch_id: str, owner: str, now: datetime
) -> tuple[str, str]:
    """What ``bulk_previewed`` and then ``bulk_planned`` answer ``owner``."""
    shown = await store.bulk_previewed(
        batch_id, owner=owner, not_sent="[]", preview=_preview(), now=now
    )
    planned = await store.bulk_planned(batch_id, owner=owner, state="held", not_sent="[]", now=now)
    return shown, planned


async def test_a_lease_that_passed_to_another_worker_stores_no_preview(store: Store) -> None:
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    assert await store.claim_bulk(now=NOW, lease_seconds=60, owner="w1") is not None
    later = NOW + timedelta(seconds=61)  # w1 stalled past its lease: w2 takes the file over
    assert await store.claim_bulk(now=later, lease_seconds=60, owner="w2") is not None
    assert not await store.keep_bulk_lease(batch_id, owner="w1", lease_seconds=60, now=later)
    assert await _previewed_then_planned(store, batch_id, "w1", later) == ("lost", "lost")
    assert await _previewed_then_planned(store, batch_id, "w2", later) == ("previewed", "held")
    assert len(await store.claim_mail(now=later, limit=5, lease_seconds=60, owner="m")) == 1


async def test_a_send_taken_again_after_its_preview_gets_no_second_one(store: Store) -> None:
    """The worker that stored the preview died while storing the texts: the next one
    stores them all, once, and no second preview."""
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    assert await store.claim_bulk(now=NOW, lease_seconds=60, owner="w1") is not None
    shown = await store.bulk_previewed(
        batch_id, owner="w1", not_sent="[]", preview=_preview(), now=NOW
    )
    assert shown == "previewed"
    jobs = [(i + 2, _job(i)) for i in range(10)]
    assert await store.store_bulk_jobs(batch_id, jobs[:4], state="held", now=NOW) == 4
    later = NOW + timedelta(seconds=61)  # w1 died: its lease passes
    assert await store.claim_bulk(now=later, lease_seconds=60, owner="w2") is not None
    again = await store.bulk_previewed(
        batch_id, owner="w2", not_sent="[]", preview=_preview(), now=later
    )
    assert again == "previewed before"
    assert await store.store_bulk_jobs(batch_id, jobs, state="held", now=later) == 6
    assert (
        await store.bulk_planned(batch_id, owner="w2", state="held", not_sent="[]", now=later)
        == "held"
    )
    assert len(await store.claim_mail(now=later, limit=5, lease_seconds=60, owner="m")) == 1
    stored = await store.recent_sms(limit=50)
    assert len(stored) == 10 and {j.state.value for j in stored} == {"held"}


@pytest.mark.parametrize(("everywhere", "stopped"), [(True, 2), (False, 1)])
async def test_send_cancels_texts_to_customers_who_opted_out_since_the_preview(
    store: Store, everywhere: bool, stopped: int
) -> None:
    batch_id, _ = await store.receive_bulk(_send(), now=NOW)
    assert await store.claim_bulk(now=NOW, lease_seconds=60, owner="w") is not None
    jobs = [(i + 2, _job(i, sender="+447700900100")) for i in range(4)]
    await store.store_bulk_jobs(batch_id, jobs, state="held", now=NOW)
    await store.bulk_previewed(batch_id, owner="w", not_sent="[]", preview=_preview(), now=NOW)
    await store.bulk_planned(batch_id, owner="w", state="held", not_sent="[]", now=NOW)
    later = NOW + timedelta(hours=1)
    # a STOP to the texts' own number, and one to another of the bridge's numbers
    await store.suppress(reply_number="+447700900100", customer=jobs[0][1].to_number, now=later)
    await store.suppress(reply_number="+447700900199", customer=jobs[1][1].to_number, now=later)
    assert await store.send_held(batch_id, now=later, everywhere=everywhere) == (
        4 - stopped,
        stopped,
    )
    states = {j.to_number: j.state.value for j in await store.recent_sms(limit=10)}
    assert states[jobs[0][1].to_number] == "cancelled"
    assert states[jobs[1][1].to_number] == ("cancelled" if everywhere else "queued")


def test_a_chunk_statement_is_one_postgresql_keeps_prepared() -> None:
    """asyncpg prepares a statement once a connection only up to a size: a bulk send's
    statement of a thousand texts must fit, or PostgreSQL parses and plans it again for
    every thousand texts stored."""
    text = postgres_text(_insert_rows(_ROWS_A_STATEMENT))
    assert 100_000 < len(text.encode()) <= _CACHEABLE
