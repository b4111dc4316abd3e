"""The store against both backends (SQLite files, PostgreSQL): idempotency, leases, retries,
atomic notices, inbound texts. The ``store`` fixture (conftest) runs each test on both."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bridge.models import (
    InboundOutcome,
    InboundSms,
    JobState,
    NewMailJob,
    NewSmsJob,
    Queued,
    RuleHit,
    SendResult,
)
from bridge.store import ops_caps, ops_consent, ops_facts
from bridge.store.base import Store
from bridge.store.migrations import (
    SCHEMA_VERSION,
    SchemaTooNew,
    migrate_sqlite,
    migration_sql,
    postgres_sql,
)
from bridge.store.outbox_filter import OutboxFilter
from bridge.store.queries import Q
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite_writer import connect
from bridge.store.statements import Op, count, one_row
from tests.conftest import PG_DSN, postgres_schema

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


def ids(queued: list[Queued]) -> list[str]:
    return [q.id for q in queued]


async def test_same_idempotency_key_is_stored_once(store: Store) -> None:
    [first] = await store.enqueue_sms([job()], now=T0)
    [again] = await store.enqueue_sms([job()], now=T0 + timedelta(minutes=5))
    assert (first.merged, again) == (False, Queued(first.id, merged=True))
    assert len(await store.recent_sms(limit=10)) == 1


async def test_a_key_merges_only_within_its_merge_window(store: Store) -> None:
    """A key made from an email's content (no Message-ID) names one email only for a while:
    the same content later is a new text, and the old job gives up its key."""
    key = "sha256:0f3c|+447700900123"
    windowed = replace(job(key), merge_window=60.0)
    [first] = await store.enqueue_sms([windowed], now=T0)
    [resent] = await store.enqueue_sms([windowed], now=T0 + timedelta(seconds=59))
    assert (first.merged, resent) == (False, Queued(first.id, merged=True))
    [later] = await store.enqueue_sms([windowed], now=T0 + timedelta(seconds=60))
    assert not later.merged and later.id != first.id
    [again] = await store.enqueue_sms([windowed], now=T0 + timedelta(seconds=61))
    assert again == Queued(later.id, merged=True)
    old, new = await store.get_sms(first.id), await store.get_sms(later.id)
    assert old is not None and new is not None
    assert (old.idempotency_key, new.idempotency_key) == (f"{key}|{first.id}", key)
    [forever] = await store.enqueue_sms([job(key)], now=T0 + timedelta(days=30))
    assert forever == Queued(later.id, merged=True)  # no window: the key merges for good


async def test_a_job_keeps_its_chain_and_is_first_due_at_not_before(store: Store) -> None:
    chain = (
        RuleHit("content", "rewrite", "“quotes” made plain"),
        RuleHit("quiet-hours", "defer", "22:00-08:00 Europe/London"),
    )
    deferred = replace(job(), chain=chain, not_before=T0 + timedelta(hours=1))
    [queued] = await store.enqueue_sms([deferred], now=T0)
    assert await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a") == []
    [claimed] = await store.claim_sms(
        now=T0 + timedelta(hours=1), limit=1, lease_seconds=60, owner="a"
    )
    assert (claimed.id, claimed.chain) == (queued.id, chain)
    assert [j.chain for j in await store.recent_sms(limit=1)] == [chain]


async def test_jobs_stored_before_version_7_have_an_empty_chain(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    conn = sqlite3.connect(path)
    for version in range(1, 7):
        conn.executescript(migration_sql(version) + f"\nPRAGMA user_version = {version};")
    conn.execute(
        "INSERT INTO sms_jobs (id, idempotency_key, message_id, author, subject, to_number,"
        " sender, body, encoding, segments, state, next_attempt_at, created_at, updated_at)"
        " VALUES ('s1', 'k', 'm', 'a', 's', '+447700900123', 'X', 'b', 'GSM-7', 1, 'queued',"
        " 0, 0, 0)"
    )
    conn.commit()
    conn.close()
    upgraded = SqliteStore(path)
    await upgraded.open()
    stored = await upgraded.get_sms("s1")
    await upgraded.close()
    assert stored is not None and stored.chain == ()


async def test_the_outbox_lists_by_state_number_author_and_age(store: Store) -> None:
    def made_by(author: str, n: int) -> NewSmsJob:
        return replace(job(f"<m{n}@x>|+44770090012{n}", f"+44770090012{n}"), author=author)

    authors = ["alice@example.com", "bob@sales.example.com", "eve@notexample.com"]
    ids = []
    for n, author in enumerate(authors):
        ids += [
            q.id for q in await store.enqueue_sms([made_by(author, n)], now=T0 + timedelta(hours=n))
        ]
    await store.claim_sms(now=T0 + timedelta(hours=3), limit=1, lease_seconds=60, owner="a")
    await store.sms_failed(ids[0], owner="a", error="no", code=None, now=T0, notice=None)

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
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))
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


async def test_jobs_are_claimed_by_due_time_whichever_their_state(store: Store) -> None:
    """A queued job is due at its next attempt, a leased one when its lease runs out: a job
    left in flight by a crash does not wait behind a backlog that fell due after it."""
    [leased] = ids(await store.enqueue_sms([job("<l@x>|+447700900001")], now=T0))
    await store.claim_sms(now=T0, limit=1, lease_seconds=50, owner="crashed")
    [early] = ids(
        await store.enqueue_sms([job("<e@x>|+447700900002")], now=T0 + timedelta(seconds=5))
    )
    backlog = []
    for n in range(40):  # every one due after the lease ran out
        key = f"<b{n}@x>|+447700900003"
        backlog += ids(await store.enqueue_sms([job(key)], now=T0 + timedelta(seconds=60 + n)))
    claimed = []
    for _ in range(3):
        [one] = await store.claim_sms(
            now=T0 + timedelta(seconds=200), limit=1, lease_seconds=60, owner="b"
        )
        claimed.append(one.id)
    assert claimed == [early, leased, backlog[0]]


def test_the_sqlite_claims_read_only_their_partial_indexes(tmp_path: Path) -> None:
    """Each claim merges its two partial indexes, already in due order, and stops at the
    limit: no scan of the table, no sort of every due job."""
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    for table, query in (
        ("sms_jobs", Q.claim_sms),
        ("mail_jobs", Q.claim_mail),
        ("inbound_sms", Q.claim_inbound),
    ):
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query.text, (0,) * 6)]
        assert not [step for step in plan if step.startswith(f"SCAN {table}")], plan
        assert not [step for step in plan if "TEMP B-TREE" in step], plan
        assert f"SEARCH {table} USING INDEX {table}_waiting (next_attempt_at<?)" in plan, plan
        assert f"SEARCH {table} USING INDEX {table}_leased (lease_until<?)" in plan, plan
    conn.close()


def test_the_guard_rails_counts_read_only_their_covering_indexes(tmp_path: Path) -> None:
    """The facts the chain reads for every text (a recipient's texts of a category, a team's
    and an author's spend) come from indexes alone: no table row read per text counted."""
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    facts = next(
        ops_facts.recipient(
            "+447700900005", "transactional", 1.0, "example.com", 2.0, 3.0, ((1.0, None, 5),)
        )
    )
    by_author = next(ops_caps.spent("a@example.com", 2.0, 3.0))
    for statement in (facts, by_author):
        plan = [
            row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.text, statement.args)
        ]
        reads = [step for step in plan if step.startswith(("SEARCH sms_jobs", "SEARCH spend"))]
        assert reads, plan
        assert all("USING COVERING INDEX" in step for step in reads), plan
    conn.close()


def test_a_teams_spend_is_read_from_the_months_rows_only(tmp_path: Path) -> None:
    """A team's cap is summed for every text: each of its domains is read from the month's
    first day or quarter hour (migration 25), not from every quarter hour kept, which was
    75 ms a text for a team of 50 (bench/spend_caps.py)."""
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    month, day = 1_793_557_800.0, 1_795_199_400.0  # midnights in Kolkata, not in UTC
    for who in ("example.com", "a@example.com"):
        statement = next(ops_caps.spent(who, month, day))
        plan = [
            row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.text, statement.args)
        ]
        assert not [step for step in plan if step.startswith("SCAN spend")], plan
        sums = [step for step in plan if step.startswith("SEARCH") and "=?" in step]
        assert len(sums) == 3, plan  # quarter hours, days, quarter hours
        assert all(
            "COVERING INDEX" in step and ("slot>" in step or "day>" in step) for step in sums
        )
    conn.close()


def test_the_opt_out_read_at_every_rcpt_finds_the_customer_by_index(tmp_path: Path) -> None:
    """Both scopes' opt-out reads find the customer's rows by an index: no scan of the
    suppression list, which an import can fill with an old provider's 100,000 opt-outs."""
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    for reply_number in (None, "+447700900100"):
        statement = next(ops_consent.suppression("+447700900005", reply_number))
        plan = [
            row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.text, statement.args)
        ]
        reads = [step for step in plan if "suppressions" in step]
        assert reads and all(step.startswith("SEARCH suppressions") for step in reads), plan
    conn.close()


def test_the_metrics_queue_gauges_read_only_partial_indexes(tmp_path: Path) -> None:
    """/metrics reads the queues at every scrape: it must cost the same with a million stored
    texts as with ten, so no part of its statement may scan a table."""
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + Q.queue_gauges.text, (0,) * 4)]
    tables = [
        step for step in plan if step.startswith(("SCAN", "SEARCH")) and "CONSTANT" not in step
    ]
    assert len(tables) == 8, plan
    partial = ("_waiting", "_leased")  # indexes of the queued and the sending jobs only
    assert all(
        " USING " in step and step.split("INDEX ")[1].split()[0].endswith(partial)
        for step in tables
    ), plan
    conn.close()


async def test_queue_gauges_count_due_later_and_sending_jobs_and_the_oldest_wait(
    store: Store,
) -> None:
    later = replace(job("<m3@example.com>|+447700900125"), not_before=T0 + timedelta(hours=2))
    await store.enqueue_sms([job(), job("<m2@example.com>|+447700900124"), later], now=T0)
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    gauges = await store.queue_gauges(now=T0 + timedelta(seconds=90))
    sms, mail = gauges["sms"], gauges["mail"]
    assert (sms.due, sms.later, sms.sending) == (1, 1, 1)
    assert sms.oldest_seconds == pytest.approx(90)
    assert (mail.due, mail.later, mail.sending, mail.oldest_seconds) == (0, 0, 0, 0.0)


async def test_retry_waits_until_its_time(store: Store) -> None:
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    later = T0 + timedelta(seconds=30)
    await store.sms_retry(job_id, owner="a", error="busy", code="503", at=later, now=T0)
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
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))
    await store.claim_sms(now=T0, limit=1, lease_seconds=1, owner="a")
    await store.sms_sent(job_id, owner="a", provider="sandbox", result=SendResult("SB1"), now=T0)
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
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))
    notice = NewMailJob(envelope_from="", recipients=("alice@example.com",), content=b"x")
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    assert await store.sms_failed(
        job_id, owner="a", error="not a mobile", code="21614", now=T0, notice=notice
    )
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
    keys = [f"<m{i}@example.com>|+447700900{i:03d}" for i in range(300)]
    ids = await asyncio.gather(*(store.enqueue_sms([job(k)], now=T0) for k in keys))
    assert len({q.id for [q] in ids}) == 300
    assert len(await store.recent_sms(limit=1000)) == 300


async def test_a_failing_operation_does_not_undo_its_batch_neighbours(store: Store) -> None:
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


async def test_a_failing_read_fails_only_its_caller(store: Store) -> None:
    """The reads one turn of the event loop asks for are answered together on SQLite
    (``SqliteStore._read``): one that fails must not take its neighbours' answers with it."""
    await store.enqueue_sms([job("<a>|+447700900001")], now=T0)

    def bad_read() -> Op[Any]:
        found = yield one_row("SELECT * FROM no_such_table")
        return found

    results = await asyncio.gather(
        store.suppression(customer="+447700900001", reply_number=None),
        store._read(bad_read()),
        store.queue_gauges(now=T0),
        return_exceptions=True,
    )
    assert results[0] is None
    assert isinstance(results[1], sqlite3.OperationalError | asyncpg.UndefinedTableError)
    assert results[2] and not isinstance(results[2], BaseException)


async def test_reads_asked_in_one_turn_share_one_snapshot(tmp_path: Path) -> None:
    """Each read after a commit finds SQLite's page cache emptied, so the reads of one turn of
    the event loop (every SMTP session's at once) run in one read transaction: the first
    fills the cache for the rest. A read alone needs no BEGIN; none is left open."""
    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    try:
        assert store._reader is not None
        seen: list[str] = []
        store._reader.set_trace_callback(seen.append)
        numbers = [f"+44770090000{i}" for i in range(3)]
        answers = await asyncio.gather(
            *(store.suppression(customer=n, reply_number=None) for n in numbers)
        )
        assert answers == [None, None, None]
        assert seen[0] == "BEGIN" and seen[-1] == "COMMIT" and len(seen) == 5, seen
        seen.clear()
        assert await store.suppression(customer=numbers[0], reply_number=None) is None
        assert len(seen) == 1 and not seen[0].startswith("BEGIN"), seen
        assert not store._reader.in_transaction
    finally:
        await store.close()


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
    [job_id] = ids(await first.enqueue_sms([job()], now=T0))
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
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.sms_sent(job_id, owner="a", provider="twilio", result=SendResult("SM9"), now=T0)
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
    old, waiting, recent = (f"<m{n}@example.com>|+447700900123" for n in (1, 2, 3))
    [old_id, waiting_id] = ids(
        await store.enqueue_sms([replace(job(old), sender="+447700900100"), job(waiting)], now=T0)
    )
    await store.claim_sms(now=T0, limit=2, lease_seconds=60, owner="a")  # both due at T0
    assert await store.sms_sent(
        old_id, owner="a", provider="sandbox", result=SendResult("SB1"), now=T0
    )
    await store.receive_sms(inbound(text="STOP"), now=T0)
    [text] = await store.claim_inbound(now=T0, limit=1, lease_seconds=60, owner="a")
    await store.inbound_routed(
        text, InboundOutcome(route="stop", explanation="STOP", suppress=True), now=T0
    )
    later = T0 + timedelta(days=100)
    [recent_id] = ids(await store.enqueue_sms([job(recent)], now=later))

    assert (
        await store.purge(before=later - timedelta(days=90)) == 6
    )  # job, text, conversation, first text, spend count by quarter hour and by day
    assert await store.get_sms(old_id) is None
    assert {j.id for j in await store.recent_sms(limit=10)} == {waiting_id, recent_id}
    context = await store.inbound_context(customer="+447700900123", reply_number="+447700900100")
    assert context.conversation is None and context.suppressed_since == T0  # STOP is kept
    assert await store.purge(before=later - timedelta(days=90)) == 0


async def test_an_operation_is_all_or_nothing_and_one_marked_alone_may_not_grow(
    store: Store,
) -> None:
    """A second statement that fails undoes the first; an op that says its one statement is
    all of it (run without BEGIN/COMMIT on PostgreSQL, without a SAVEPOINT on SQLite) is
    stopped if it runs another, and one that fails leaves its batch neighbours alone."""
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))

    def half_done() -> Op[None]:
        yield count("UPDATE sms_jobs SET subject = 'changed' WHERE id = ?", job_id)
        yield count("INSERT INTO no_such_table VALUES (1)")

    def grows() -> Op[None]:
        yield count("UPDATE sms_jobs SET subject = 'alone' WHERE id = ?", job_id, alone=True)
        yield count("UPDATE sms_jobs SET subject = 'second' WHERE id = ?", job_id)

    with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresError)):
        await store._do(half_done())
    assert (await store.get_sms(job_id)).subject == "Hello"  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="marked alone"):
        await store._do(grows())

    def fails_alone() -> Op[None]:
        yield count("UPDATE sms_jobs SET no_such_column = 1 WHERE id = ?", job_id, alone=True)

    results = await asyncio.gather(
        store._do(fails_alone()),
        store.enqueue_sms([job("<n@x>|+447700900009")], now=T0),
        return_exceptions=True,
    )
    assert isinstance(results[0], sqlite3.OperationalError | asyncpg.PostgresError)
    assert len(await store.recent_sms(limit=10)) == 2


async def test_a_read_sees_what_is_committed_and_on_sqlite_may_not_write(store: Store) -> None:
    """The chain's facts are read apart from the writes (on SQLite, on the loop's thread with a
    connection of its own): every committed write is seen at once, and there a statement that
    would change anything is stopped."""
    [job_id] = ids(await store.enqueue_sms([job()], now=T0))

    def subject() -> Op[str]:
        row = yield one_row("SELECT subject FROM sms_jobs WHERE id = ?", job_id)
        return str(row["subject"])

    def writes() -> Op[int]:
        changed = yield count("UPDATE sms_jobs SET subject = 'read' WHERE id = ?", job_id)
        return int(changed)

    assert await store._read(subject()) == "Hello"
    await store._do(writes())
    assert await store._read(subject()) == "read"
    if isinstance(store, SqliteStore):
        with pytest.raises(RuntimeError, match="writes"):
            await store._read(writes())


def test_pending_migrations_apply_together_or_not_at_all(tmp_path: Path) -> None:
    """A file at version 19 whose next migration cannot apply (its table is there already)
    is left exactly at 19; a new file is made in one transaction."""
    path = tmp_path / "bridge.db"
    conn = sqlite3.connect(path)
    for version in range(1, 20):
        conn.executescript(migration_sql(version) + f"\nPRAGMA user_version = {version};")
    conn.execute("CREATE TABLE short_links (code TEXT)")  # migration 21 makes it
    conn.commit()
    with pytest.raises(sqlite3.OperationalError, match="short_links already exists"):
        migrate_sqlite(conn)
    assert conn.execute("PRAGMA user_version").fetchone() == (19,)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "api_tokens" not in tables  # migration 20's table, undone with the rest
    conn.close()
    fresh = sqlite3.connect(tmp_path / "fresh.db")
    assert migrate_sqlite(fresh) == SCHEMA_VERSION
    assert fresh.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    fresh.close()


_QUARTERS = [  # (author, rdomain, country, slot, segments): two UTC days, one split at 18:30
    ("a@example.com", "com.example.", "GB", 1_795_132_800.0, 1),  # 00:00 UTC
    ("a@example.com", "com.example.", "GB", 1_795_199_400.0, 2),  # 18:30
    ("a@example.com", "com.example.", "GB", 1_795_218_300.0, 4),  # 23:45, the last quarter
    ("a@example.com", "com.example.", "GB", 1_795_219_200.0, 8),  # 00:00 the next day
    ("b@example.com", "com.example.", "US", 1_795_199_400.0, 16),
]
_DAYS = [
    ("a@example.com", "GB", 1_795_132_800.0, 7),
    ("a@example.com", "GB", 1_795_219_200.0, 8),
    ("b@example.com", "US", 1_795_132_800.0, 16),
]
_ADD = "INSERT INTO spend_counts (author, rdomain, country, slot, segments) VALUES (?, ?, ?, ?, ?)"
_DAYS_OF = "SELECT author, country, day, segments FROM spend_days ORDER BY author, day"


def test_migration_25_counts_the_quarter_hours_kept_by_utc_day(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "bridge.db")
    for version in range(1, 25):
        conn.executescript(migration_sql(version))
    conn.executemany(_ADD, _QUARTERS)
    conn.executescript(migration_sql(25))
    assert conn.execute(_DAYS_OF).fetchall() == _DAYS
    conn.close()


def test_migration_25_counts_the_same_days_on_postgresql() -> None:
    import psycopg

    with postgres_schema() as dsn, psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {dsn.split('search_path=')[1]}")
        for version in range(1, 25):
            conn.execute(postgres_sql(migration_sql(version)))
        with conn.cursor() as cursor:
            cursor.executemany(_ADD.replace("?", "%s"), _QUARTERS)
        conn.execute(postgres_sql(migration_sql(25)))
        found = conn.execute(_DAYS_OF).fetchall()
    assert [(a, c, float(d), int(n)) for a, c, d, n in found] == _DAYS
