"""A 30-day report by team over 1,000,000 stored texts, on SQLite and PostgreSQL.

The texts are written straight into the store's tables (executemany on SQLite, COPY on
PostgreSQL), not through the chain: 1,000,000 texts over 60 days from 40 authors in 8 teams,
through 4 senders and 2 providers, to 300,000 customers in 3 countries; 90% delivered
(after 2 s to 10 min), 5% undelivered, 3% failed, 1% sent, 1% still queued; a fifth with a
reported price. Besides them, 50,000 inbound texts and 10,000 consent events of customers
(a twentieth and a hundredth of the texts). Then the store is reopened and ``report_data`` +
``compute`` timed for a report of the last 30 days by team (the command's own work, less
printing) three times: wall clock and the process's CPU (the SQLite reads run
in the process; PostgreSQL's work is the server's, so its CPU is not the process's).

    .venv/bin/python bench/report.py                   # both backends, 1,000,000 texts
    .venv/bin/python bench/report.py --backend sqlite --jobs 200000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bridge.reports.figures import compute
from bridge.reports.render import as_table
from bridge.store.postgres import PostgresStore
from bridge.store.sqlite import SqliteStore

DSN = os.environ.get("SMSBRIDGE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
END = datetime(2026, 12, 7, tzinfo=UTC)
DAYS = 60
COLUMNS = (
    "id", "idempotency_key", "message_id", "author", "subject", "to_number", "sender", "body",
    "encoding", "segments", "state", "attempts", "next_attempt_at", "provider",
    "provider_message_id", "price", "error", "error_code", "country", "cost", "created_at",
    "updated_at",
)  # fmt: skip
INBOUND = (
    "id", "provider", "provider_message_id", "from_number", "to_number", "body", "received_at",
    "state", "next_attempt_at", "created_at", "updated_at",
)  # fmt: skip
CONSENT = ("id", "customer_number", "action", "scope", "at", "how")
TEAMS = [f"team{t}.example" for t in range(8)]
AUTHORS = [f"author{a}@{TEAMS[a % 8]}" for a in range(40)]
SENDERS = ["ExampleCo", "+447700900100", "+447700900101", "+14155550199"]
COUNTRIES = [("GB", "+447{:09d}"), ("US", "+1415{:07d}"), ("FR", "+336{:08d}")]
ERRORS = [("30003", "Unreachable handset"), ("30005", "Unknown number"), ("21610", "Opted out")]


def customer(n: int) -> tuple[str, str]:
    """The nth customer's number and country."""
    share = n % 10
    country, pattern = COUNTRIES[0 if share < 6 else 1 if share < 9 else 2]
    return pattern.format(n), country


def texts(jobs: int, customers: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = END.timestamp() - DAYS * 86400
    for i in range(jobs):
        created = start + (DAYS * 86400) * i / jobs
        number, country = customer(rng.randrange(customers))
        roll = rng.random()
        state, updated, error, code = "delivered", created + rng.uniform(2, 600), None, None
        if roll >= 0.90:
            state = ["undelivered"] * 5 + ["failed"] * 3 + ["sent", "queued"]
            state = state[min(int((roll - 0.90) * 100), 9)]
            updated = created + 60
            if state in ("undelivered", "failed"):
                code, error = ERRORS[i % len(ERRORS)]
        taken = state in ("delivered", "undelivered", "sent")
        cost = 0.0079 if taken and rng.random() < 0.2 else None
        yield (
            f"s{i:08d}", f"k{i}", f"<m{i}@example.com>", AUTHORS[i % len(AUTHORS)], "", number,
            SENDERS[i % len(SENDERS)], "Your parcel arrives today.", "GSM-7", 1 + (i % 7 == 0),
            state, 1, created, ["twilio", "vonage"][i % 2] if taken else None,
            f"p{i}" if taken else None, None, error, code, country, cost, created, updated,
        )  # fmt: skip


def inbound(count: int, customers: int, seed: int = 8) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = END.timestamp() - DAYS * 86400
    for i in range(count):
        at = start + rng.uniform(0, DAYS * 86400)
        number, _ = customer(rng.randrange(customers))
        yield (
            f"i{i:08d}", "twilio", f"in{i}", number, "+447700900100", "Thanks", at, "routed",
            at, at, at,
        )  # fmt: skip


def consent(count: int, customers: int, seed: int = 9) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = END.timestamp() - DAYS * 86400
    for i in range(count):
        number, _ = customer(rng.randrange(customers))
        action = "opt-out" if i % 3 else "opt-in"
        yield (f"c{i:08d}", number, action, "*", start + rng.uniform(0, DAYS * 86400), "keyword")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def fill_sqlite(path: Path, jobs: int, customers: int) -> None:
    asyncio.run(_open_close(SqliteStore(path)))  # creates and migrates the file
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(_insert("sms_jobs", COLUMNS), texts(jobs, customers))
        conn.executemany(_insert("inbound_sms", INBOUND), inbound(jobs // 20, customers))
        conn.executemany(_insert("consent_events", CONSENT), consent(jobs // 100, customers))
    conn.execute("ANALYZE")
    conn.close()


async def _open_close(store: Any) -> None:
    await store.open()
    await store.close()


async def fill_postgres(dsn: str, schema: str, jobs: int, customers: int) -> None:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    store = PostgresStore(dsn)
    await store.migrate()
    conn = await asyncpg.connect(DSN, server_settings={"search_path": schema})
    await conn.copy_records_to_table("sms_jobs", records=texts(jobs, customers), columns=COLUMNS)
    records = inbound(jobs // 20, customers)
    await conn.copy_records_to_table("inbound_sms", records=records, columns=INBOUND)
    records = consent(jobs // 100, customers)
    await conn.copy_records_to_table("consent_events", records=records, columns=CONSENT)
    await conn.execute("ANALYZE")
    await conn.close()


async def timed(store: Any, rounds: int = 3) -> tuple[list[tuple[float, float]], str]:
    await store.open()
    try:
        seconds, table = [], ""
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            data = await store.report_data(key="team", start=END - timedelta(days=30), end=END)
            report = compute(data, prices={"GB": 0.04, "US": 0.0079}, currency="GBP")
            seconds.append((time.perf_counter() - started, time.process_time() - cpu))
            table = as_table(report)
        return seconds, table
    finally:
        await store.close()


def show(
    backend: str, fill: float, seconds: list[tuple[float, float]], table: str, jobs: int
) -> None:
    walls = sorted(wall for wall, _ in seconds)
    cpus = ", ".join(f"{cpu:.2f}" for _, cpu in seconds)
    print(f"{backend}: {jobs:,} texts stored in {fill:.1f} s")
    print(
        f"{backend}: a 30-day report by team: best {walls[0]:.2f} s, worst {walls[-1]:.2f} s"
        f" (CPU of this process: {cpus} s)"
    )
    print("\n".join(line for line in table.splitlines() if line.startswith(("Texts", "(all)"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--verbose", action="store_true", help="print the whole report")
    args = parser.parse_args()
    customers = max(1, args.jobs * 3 // 10)
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
            path = Path(tmp) / "bridge.db"
            started = time.perf_counter()
            fill_sqlite(path, args.jobs, customers)
            fill = time.perf_counter() - started
            seconds, table = asyncio.run(timed(SqliteStore(path)))
            show("SQLite", fill, seconds, table, args.jobs)
            if args.verbose:
                print(table)
    if args.backend in ("postgres", "both"):
        schema = "bench_" + uuid.uuid4().hex[:10]
        dsn = f"{DSN}?search_path={schema}"
        try:
            started = time.perf_counter()
            asyncio.run(fill_postgres(dsn, schema, args.jobs, customers))
            fill = time.perf_counter() - started
            seconds, table = asyncio.run(timed(PostgresStore(dsn)))
            show("PostgreSQL", fill, seconds, table, args.jobs)
            if args.verbose:
                print(table)
        finally:
            asyncio.run(_drop(schema))


async def _drop(schema: str) -> None:
    conn = await asyncpg.connect(DSN)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.close()


if __name__ == "__main__":
    main()
