"""Which PostgreSQL driver for the store: asyncpg or psycopg 3 (async), by measurement.

The store's hot paths are one short transaction per accepted email (an INSERT ... ON CONFLICT
DO NOTHING of its jobs) and the workers' claim (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE
SKIP LOCKED) RETURNING *) followed by one UPDATE per job. This script runs both shapes with
each driver, through a pool of 10 connections and 20 concurrent tasks, on a scratch schema of
the database in $SMSBRIDGE_TEST_DSN (default: the local test database), and prints the rates.

    .venv/bin/python bench/pg_drivers.py [--jobs 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import asyncpg
import psycopg
import psycopg_pool

DSN = os.environ.get("SMSBRIDGE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
TABLE = """CREATE TABLE jobs (id text PRIMARY KEY, key text UNIQUE NOT NULL, body text NOT NULL,
 state text NOT NULL, next_at double precision NOT NULL, lease_until double precision,
 owner text, attempts int NOT NULL DEFAULT 0)"""
INSERT = "INSERT INTO jobs (id, key, body, state, next_at) VALUES ({}) ON CONFLICT (key) DO NOTHING"
CLAIM = (
    "UPDATE jobs SET state = 'sending', lease_until = {0}, owner = {1}, attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND next_at <= {2}"
    " ORDER BY next_at LIMIT {3} FOR UPDATE SKIP LOCKED) RETURNING *"
)
DONE = "UPDATE jobs SET state = 'sent', lease_until = NULL WHERE id = {}"


async def run_asyncpg(schema: str, jobs: int) -> tuple[float, float]:
    pool = await asyncpg.create_pool(
        DSN, min_size=10, max_size=10, server_settings={"search_path": schema}
    )
    insert = INSERT.format("$1, $2, $3, 'queued', $4")
    claim = CLAIM.format("$1", "$2", "$3", "$4")
    done = DONE.format("$1")

    async def add(n: int) -> None:
        async with pool.acquire() as conn:  # one statement: its own transaction, as psycopg's
            await conn.execute(insert, f"a{n}", f"k{n}", "hello", 0.0)

    async def drain() -> None:
        while True:
            async with pool.acquire() as conn:
                rows = await conn.fetch(claim, time.time() + 60, "bench", time.time(), 20)
            if not rows:
                return
            for row in rows:
                async with pool.acquire() as conn:
                    await conn.execute(done, row["id"])

    rates = await _measure(add, drain, jobs)
    await pool.close()
    return rates


async def run_psycopg(schema: str, jobs: int) -> tuple[float, float]:
    pool = psycopg_pool.AsyncConnectionPool(
        DSN, min_size=10, max_size=10, open=False, kwargs={"options": f"-c search_path={schema}"}
    )
    await pool.open()
    insert = INSERT.format("%s, %s, %s, 'queued', %s")
    claim = CLAIM.format("%s", "%s", "%s", "%s")
    done = DONE.format("%s")

    async def add(n: int) -> None:
        async with pool.connection() as conn:
            await conn.execute(insert, (f"p{n}", f"k{n}", "hello", 0.0))

    async def drain() -> None:
        while True:
            async with pool.connection() as conn:
                rows = await (
                    await conn.execute(claim, (time.time() + 60, "bench", time.time(), 20))
                ).fetchall()
            if not rows:
                return
            for row in rows:
                async with pool.connection() as conn:
                    await conn.execute(done, (row[0],))

    rates = await _measure(add, drain, jobs)
    await pool.close()
    return rates


async def _measure(add, drain, jobs: int) -> tuple[float, float]:
    queue = iter(range(jobs))

    async def adder() -> None:
        for n in queue:
            await add(n)

    start = time.perf_counter()
    await asyncio.gather(*(adder() for _ in range(20)))
    ingest = jobs / (time.perf_counter() - start)
    start = time.perf_counter()
    await asyncio.gather(*(drain() for _ in range(4)))
    dispatch = jobs / (time.perf_counter() - start)
    return ingest, dispatch


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=4000)
    args = parser.parse_args()
    for name, runner in (("asyncpg", run_asyncpg), ("psycopg", run_psycopg)) * 3:
        schema = "bench_" + uuid.uuid4().hex[:8]
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"SET search_path = {schema}")
            conn.execute(TABLE)
        try:
            ingest, dispatch = await runner(schema, args.jobs)
        finally:
            with psycopg.connect(DSN, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
        print(f"{name:8}  insert txns/s {ingest:7.0f}   claim+update jobs/s {dispatch:7.0f}")


if __name__ == "__main__":
    asyncio.run(main())
