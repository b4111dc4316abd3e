"""The admin console's history pages with a million texts stored, through the running
bridge's HTTP: the first page, filtered pages and a deep page (by keyset), on SQLite and on
PostgreSQL.

Fills the store in the database itself (one INSERT … SELECT, not through the chain) with
``--jobs`` texts made over the last ``--jobs`` seconds: forty authors, a hundred thousand
numbers, one in a hundred waiting, one in fifty failed, one in fifty undelivered, the rest
delivered. Then starts the bridge on it, logs in to the console as a browser does, and times
``--requests`` loads of each page (after one to warm up).

    .venv/bin/python bench/console.py --jobs 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cluster import _maybe_schema
from harness import QUEUE, fill_queue, many_jobs, pct, running, wait_port, write_config

PASSWORD = "bench-console-password"
ADMIN = "[admin]\nenabled = true\n"


def _varied(number: str) -> dict[str, str]:
    """Each copy ``x`` of the one stored job varied as the docstring says."""
    return {
        "id": f"'c' || {number}",
        "idempotency_key": f"idempotency_key || {number}",
        "message_id": f"message_id || {number}",
        "author": f"'staff' || {_text('x % 40')} || '@example.com'",
        "to_number": f"'+447700' || {_text('900000 + x % 100000')}",
        "state": "CASE WHEN x % 100 = 0 THEN 'queued' WHEN x % 50 = 1 THEN 'failed'"
        " WHEN x % 50 = 2 THEN 'undelivered' ELSE 'delivered' END",
        "error": "CASE WHEN x % 50 = 1 THEN 'the number is not in service' END",
        "provider": "'sandbox'",
        "attempts": "1",
        "created_at": "created_at - x",
        "updated_at": "created_at - x + 5",
        "next_attempt_at": "CASE WHEN x % 100 = 0 THEN created_at + 86400 ELSE created_at - x END",
    }


def _text(expression: str) -> str:
    return f"CAST({expression} AS TEXT)"


def fill(db: str, total: int) -> None:
    many_jobs(db, total, _varied)


def _login(client: httpx.Client) -> None:
    form = client.get("/admin").text
    token = re.search(r'name="csrf" value="([^"]*)"', form)
    assert token is not None
    answer = client.post("/admin/login", data={"csrf": token.group(1), "password": PASSWORD})
    assert answer.status_code == 303, answer.text


def _times(client: httpx.Client, path: str, params: dict[str, str], requests: int) -> list[float]:
    first = client.get(path, params=params)
    assert first.status_code == 200, first
    assert "/history" not in path or 'id="history' in first.text
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def _keyset_at(db: str, offset: int) -> str:
    """The keyset of the row ``offset`` rows from the newest, read once in the database."""
    sql = f"SELECT created_at, id FROM sms_jobs ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET {offset}"
    if db.startswith("postgresql:"):
        import asyncpg

        async def read() -> tuple[float, str]:
            conn = await asyncpg.connect(db)
            row = await conn.fetchrow(sql)
            await conn.close()
            return float(row["created_at"]), str(row["id"])

        at, row_id = asyncio.run(read())
    else:
        with sqlite3.connect(db) as conn:
            at, row_id = conn.execute(sql).fetchone()
    return f"{float(at)!r}~{row_id}"


def run(setup: str, jobs: int, requests: int) -> None:
    os.environ["SMSBRIDGE_ADMIN__PASSWORD"] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp, _maybe_schema(setup) as dsn:
        store = f'[store]\nbackend = "postgres"\ndsn = "{dsn}"\n' if dsn else ""
        config, smtp, http = write_config(Path(tmp), store + QUEUE + ADMIN)
        migrate = [sys.executable, "-m", "bridge", "migrate", "--config", str(config)]
        subprocess.run(migrate, check=True, capture_output=True)
        asyncio.run(fill_queue(config, 1))
        db = dsn or str(Path(tmp) / "var" / "smsbridge.db")
        started = time.perf_counter()
        fill(db, jobs)
        filled = time.perf_counter() - started
        deep = _keyset_at(db, jobs * 9 // 10)
        pages = {
            "first page": {},
            "state failed": {"state": "failed"},
            "one author": {"author": "staff7@example.com"},
            "a domain": {"author": "example.com"},
            "one number": {"number": "+447700900123"},
            "a day, 6 days back": _window(6),
            "deep page (90%)": {"after": deep},
            "deep, failed": {"after": deep, "state": "failed"},
            "state cancelled (none)": {"state": "cancelled"},
            "state queued (1%)": {"state": "queued"},
            "state sending (none)": {"state": "sending"},
        }
        with (
            running(config, smtp),
            httpx.Client(base_url=f"http://127.0.0.1:{http}", timeout=60) as client,
        ):
            wait_port(http)  # the HTTP listener starts after the SMTP one
            _login(client)
            print(f"history on {setup} with {jobs:,} texts stored (filled in {filled:.0f} s):")
            for name, params in pages.items():
                times = _times(client, "/admin/history", params, requests)
                print(
                    f"  {name:24} p50 {statistics.median(times) * 1000:6.1f} ms,"
                    f" p95 {pct(times, 0.95) * 1000:6.1f} ms, max {max(times) * 1000:6.1f} ms"
                )
            times = _times(client, "/admin", {}, max(3, requests // 10))
            print(
                f"  {'overview (/admin)':24} p50 {statistics.median(times) * 1000:6.1f} ms"
                " (its queue counts read the texts failed in the last day)"
            )
            started = time.perf_counter()
            client.get("/admin/health").raise_for_status()  # reads the charts' week
            first = time.perf_counter() - started
            times = _times(client, "/admin/health", {}, max(3, requests // 10))
            print(
                f"  {'providers, first load':24} {first * 1000:6.1f} ms (the week's charts read);"
                f" then p50 {statistics.median(times) * 1000:.1f} ms (charts kept a minute)"
            )


def _window(days_ago: float) -> dict[str, str]:
    """A day's texts, ending ``days_ago`` days before now: a time range far from the newest."""
    until = datetime.now(UTC) - timedelta(days=days_ago)
    since = until - timedelta(days=1)
    return {"since": f"{since:%Y-%m-%d %H:%M}", "until": f"{until:%Y-%m-%d %H:%M}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--setup", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for setup in ("sqlite", "postgres") if args.setup == "both" else (args.setup,):
        run(setup, args.jobs, args.requests)


if __name__ == "__main__":
    main()
