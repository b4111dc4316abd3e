"""The shared store: PostgreSQL through asyncpg, for several bridges on one database.

Every operation is one transaction on a pooled connection, running the same operations as
SQLite (``bridge.store.ops``); jobs are claimed with ``FOR UPDATE SKIP LOCKED``, so two
bridges never lease the same job, and idempotency keys and provider message ids are unique
constraints, so an email or a webhook that reaches both bridges is stored once. asyncpg was
chosen over psycopg 3 by measurement (``bench/pg_drivers.py``, docs/benchmarks.md).

The schema is versioned like SQLite's, from the same migration files
(``bridge.store.migrations``): ``migrate`` applies them, ``open`` only checks.

The workers' two writes per text, the lease confirmed before the provider call and the text
recorded sent after it, are made in groups (``bridge.store.grouped``): the ones the workers
ask for while one statement is on its way go together in the next, one round trip for many,
as SQLite's writer commits many operations at once. A claim takes many jobs in one statement,
and the statement that records texts sent also leases the jobs their workers take next
(``sms_sent_claiming``), so a busy worker needs no claim of its own.

Work that must run once per cluster takes a session advisory lock (``try_lock``) on a
connection of its own, outside the pool: when its bridge dies the connection closes,
PostgreSQL releases the lock, and another bridge's next attempt takes over.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from bridge.models import SendResult, SmsJob
from bridge.store import ops
from bridge.store.grouped import Grouped
from bridge.store.migrations import check_postgres, lock_key, migrate_postgres
from bridge.store.rows import sms_row, ts
from bridge.store.sql_store import SqlStore
from bridge.store.statements import Op, read_postgres, run_postgres

__all__ = ["ClusterLock", "PostgresStore"]

log = logging.getLogger(__name__)
# Statements up to this size are prepared once a connection (asyncpg's default is 15 KiB). A
# bulk send stores a thousand texts a statement, 21,000 parameters and about 150 KB of text:
# prepared again for each thousand, PostgreSQL parsed and planned it each time.
_CACHEABLE = 256 * 1024
T = TypeVar("T")
Recorded = tuple[bool, list[SmsJob]]  # a text recorded sent? and the jobs claimed with it


class ClusterLock:
    """A held advisory lock and the connection it lives on (one of its own, not pooled)."""

    def __init__(self, conn: asyncpg.Connection, held: set[ClusterLock]) -> None:
        self._conn = conn
        self._held = held
        held.add(self)

    async def alive(self) -> bool:
        """Still held? False once the connection (and with it the lock) is gone."""
        try:
            return bool(await self._conn.fetchval("SELECT 1", timeout=10))
        except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            return False

    async def release(self) -> None:
        """Give the lock up; closing its connection releases it whatever state it is in."""
        self._held.discard(self)
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await self._conn.close(timeout=10)


class PostgresStore(SqlStore):
    """``bridge.store.base.Store`` on PostgreSQL."""

    exclusive = False
    writes_in_process = False
    claims_with_records = True

    def __init__(self, dsn: str, *, password: str | None = None, pool_size: int = 10) -> None:
        self._dsn = dsn
        self._password = password
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._locks: set[ClusterLock] = set()
        # texts sent: four statements on their way at once (docs/benchmarks.md, issue 24)
        self._sent: Grouped[ops.Sent, Recorded] = Grouped(self._record_sent, lanes=4)
        self._kept: Grouped[ops.Kept, bool] = Grouped(self._keep_leases)

    async def _connect(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                password=self._password,
                min_size=1,
                max_size=self._pool_size,
                reset=_end_transaction,
                max_cacheable_statement_size=_CACHEABLE,
            )
        return self._pool

    async def open(self) -> None:
        pool = await self._connect()
        async with pool.acquire() as conn:
            await check_postgres(conn)

    async def migrate(self) -> tuple[int, int]:
        """Bring the schema to this bridge's version; (before, after)."""
        pool = await self._connect()
        async with pool.acquire() as conn:
            return await migrate_postgres(conn)

    async def close(self) -> None:
        await self._kept.close()
        await self._sent.close()
        for lock in list(self._locks):
            await lock.release()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _read(self, op: Op[T]) -> T:
        """On one connection, each statement on its own: the outbound chain's facts for a
        text, read together, cost their statements' round trips and nothing more."""
        if self._pool is None:
            raise RuntimeError("the store is not open")
        async with self._pool.acquire() as conn:
            return await read_postgres(conn, op)

    async def _do(self, op: Op[T]) -> T:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        async with self._pool.acquire() as conn:
            return await run_postgres(conn, op)

    async def sms_sent(
        self, job_id: str, *, owner: str, provider: str, result: SendResult, now: datetime
    ) -> bool:
        """Recorded with the other texts sent meanwhile, in one statement (``Grouped``)."""
        recorded, _ = await self._sent(ops.Sent(job_id, owner, provider, result, ts(now)))
        return recorded

    async def sms_sent_claiming(
        self,
        job_id: str,
        *,
        owner: str,
        provider: str,
        result: SendResult,
        now: datetime,
        lease_seconds: float,
        wanted: int = 1,
    ) -> Recorded:
        """Recorded with the other texts sent meanwhile, and the jobs each wants claimed, in
        one statement (``Grouped``, ``Q.sms_sent_claiming``)."""
        text = ops.Sent(job_id, owner, provider, result, ts(now), lease_seconds, wanted)
        return await self._sent(text)

    async def _record_sent(self, texts: Sequence[ops.Sent]) -> list[Recorded]:
        """The group's texts recorded, and as many jobs claimed as they want in all, handed
        out in order. The jobs are leased for the first such text's owner and lease, from the
        latest of their times: every text of one bridge has the same owner and lease (another
        bridge's text, in a test, gets none)."""
        wanting = [text for text in texts if text.wanted > 0]
        if not wanting:
            recorded = await self._do(ops.sms_sent_many(texts))
            return [(text.job_id in recorded, []) for text in texts]
        first = wanting[0]
        takes = [
            text.wanted if (text.owner, text.lease) == (first.owner, first.lease) else 0
            for text in texts
        ]
        now = max(text.now for text, n in zip(texts, takes, strict=True) if n)
        recorded, rows = await self._do(
            ops.sms_sent_claiming(texts, first.owner, now, first.lease, sum(takes))
        )
        jobs = [sms_row(row) for row in rows]
        answers: list[Recorded] = []
        for text, n in zip(texts, takes, strict=True):
            answers.append((text.job_id in recorded, jobs[:n]))
            del jobs[:n]
        return answers

    async def keep_sms_lease(
        self, job_id: str, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool:
        """Kept with the other leases asked for meanwhile, in one statement (``Grouped``)."""
        return await self._kept(ops.Kept(job_id, owner, ts(now) + lease_seconds))

    async def _keep_leases(self, leases: Sequence[ops.Kept]) -> list[bool]:
        kept = await self._do(ops.keep_sms_leases(leases))
        return [lease.job_id in kept for lease in leases]

    async def try_lock(self, name: str) -> ClusterLock | None:
        """Hold ``name`` for this bridge until ``release``, or None if another bridge does."""
        if self._pool is None:
            raise RuntimeError("the store is not open")
        conn = await asyncpg.connect(self._dsn, password=self._password)
        try:
            held = await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(name))
        except BaseException:
            conn.terminate()
            raise
        if not held:
            await conn.close()
            return None
        return ClusterLock(conn, self._locks)


async def _end_transaction(conn: asyncpg.Connection[Any]) -> None:
    """What a pooled connection needs before its next use: no transaction left open.

    asyncpg's default reset also unlocks advisory locks, closes cursors, unlistens and resets
    settings, in one more round trip per operation (a tenth of the bridge's time on this
    backend). The store's operations leave none of those behind: its only advisory lock is
    transaction-scoped (migrations), and the cluster locks live on connections of their own.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")
