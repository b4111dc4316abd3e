"""SMTP ingest benchmark: emails/s with parallel sessions, and accept-to-provider latency.

Runs ``smsbridge run`` as a subprocess (sandbox provider, SQLite in a temporary folder) and
drives it with 20 parallel SMTP sessions: Postfix's ``smtp-source`` when it is installed, else
a minimal asyncio SMTP client in this script. Every 250 the bridge gives is after a durable
commit, so "accepted" means "on disk".

Latency is measured inside the bridge's own records: from the job's commit (``created_at`` in
the store, the moment before the 250) to the sandbox provider being called (the ``at`` of its
journal line), both from the same clock.

    .venv/bin/python bench/ingest.py                 # both phases, default sizes
    .venv/bin/python bench/ingest.py --emails 10000 --rate 100 --seconds 30
    .venv/bin/python bench/ingest.py --emails 10000 --rules all   # every guard rail on

``--rules none`` turns off the guard rails that are on by default (the destination policy,
the content guard, the opt-out line); ``--rules all`` switches every rule of the outbound
chain on, set so that none holds the benchmark's texts back: every rule reads its facts and
decides, and every text is sent (docs/compliance.md, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from harness import (
    DOMAIN,
    QUEUE,
    family_cpu_seconds,
    pct,
    running,
    smtp_source,
    wait_journal,
    wait_listeners,
    write_config,
)

RULES = {
    "default": "",
    "none": """
[compliance]
blocked_number_types = []
block_non_geographic = false
card_numbers = "allow"
ibans = "allow"
sort_codes = "allow"
opt_out_line = ""
""",
    "all": """
[compliance]
opt_out_scope = "organisation"
marketing_requires_consent = true
allowed_countries = ["GB"]
send_window = "00:00-23:59"
quiet_days = []
quiet_categories = ["marketing", "transactional"]
velocity_new_numbers = 1000000
caps = [{ category = "transactional", max = 100000, per = "month", mode = "calendar" }]
prices = { GB = 0.04 }
[[compliance.patterns]]
name = "customer password"
regex = "PW:[^ ]+"
[[compliance.spend_caps]]
match = "example.com"
per = "month"
segments = 10000000
admin = "admin@example.com"
[[numbers]]
number = "+447700900100"
rate_per_second = 100000.0
burst = 100000
""",
}


def _message(i: int) -> bytes:
    return (
        f"From: alice@example.com\r\nTo: +4477009{i % 1000:05d}@{DOMAIN}\r\n"
        f"Subject: bench\r\nMessage-ID: <bench-{i}-{time.time_ns()}@example.com>\r\n\r\n"
        f"Benchmark text number {i}: your order is ready for collection.\r\n"
    ).encode()


async def _expect(reader: asyncio.StreamReader, code: bytes) -> bytes:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the bridge closed the connection")
        if line[3:4] != b"-":
            if not line.startswith(code):
                raise RuntimeError(f"unexpected answer: {line!r}")
            return line


async def _session(port: int, numbers: list[int], latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _expect(reader, b"220")
    writer.write(b"EHLO bench.example.com\r\n")
    await _expect(reader, b"250")
    for i in numbers:
        started = time.perf_counter()
        writer.write(b"MAIL FROM:<alice@example.com>\r\n")
        await _expect(reader, b"250")
        writer.write(f"RCPT TO:<+4477009{i % 1000:05d}@{DOMAIN}>\r\n".encode())
        await _expect(reader, b"250")
        writer.write(b"DATA\r\n")
        await _expect(reader, b"354")
        writer.write(_message(i) + b".\r\n")
        await _expect(reader, b"250")
        latencies.append(time.perf_counter() - started)
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()
    return len(numbers)


async def python_client(port: int, emails: int, sessions: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    chunks = [list(range(s, emails, sessions)) for s in range(sessions)]
    started = time.perf_counter()
    await asyncio.gather(*(_session(port, chunk, latencies) for chunk in chunks))
    return time.perf_counter() - started, latencies


async def _paced(port: int, rate: float, seconds: float) -> int:
    """Send ``rate`` emails a second (each on its own short session) for ``seconds``."""
    total = int(rate * seconds)
    latencies: list[float] = []
    tasks = []
    start = time.perf_counter()
    for i in range(total):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_session(port, [1_000_000 + i], latencies)))
    await asyncio.gather(*tasks)
    return total


def _provider_latencies(db: Path, journal: Path, since: float) -> list[float]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        created = dict(
            conn.execute(
                "SELECT id, created_at FROM sms_jobs WHERE created_at >= ?", (since,)
            ).fetchall()
        )
    result = []
    for line in journal.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["job_id"] in created:
            result.append(entry["at"] - created[entry["job_id"]])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rate", type=float, default=100.0, help="emails/s for the latency phase")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--client", choices=["auto", "python", "smtp-source"], default="auto")
    parser.add_argument("--rules", choices=sorted(RULES), default="default")
    parser.add_argument("--processes", type=int, default=1, help="smtp.processes")
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    args = parser.parse_args()
    # smtp-source sends every email to one number: with the guard rails on, a frequency cap
    # would count one customer's 10,000 texts a month, so "auto" compares rules with this
    # script's own client, which texts 1,000 numbers
    use_source = args.client == "smtp-source" or (
        args.client == "auto"
        and args.rules == "default"
        and shutil.which("smtp-source") is not None
    )
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port, _ = write_config(
            Path(tmp), QUEUE + RULES[args.rules], processes=args.processes, loop=args.loop
        )
        var = Path(tmp) / "var"
        db, journal = var / "smsbridge.db", var / "sandbox" / "sent.jsonl"
        with running(config, port) as proc:
            wait_listeners(port, args.processes)
            session_ms: list[float] = []
            cpu_before = family_cpu_seconds(proc.pid)
            if use_source:
                rate, client = smtp_source(port, args.emails, args.sessions), "smtp-source"
            else:
                elapsed, session_ms = asyncio.run(python_client(port, args.emails, args.sessions))
                rate, client = args.emails / elapsed, "asyncio client"
            print(
                f"ingest ({args.rules} rules, {args.processes} SMTP processes, {args.loop}):"
                f" {args.emails} emails, {args.sessions} sessions"
                f" ({client}):"
                f" {rate:.0f} emails/s"
            )
            wait_journal(journal, args.emails)
            cpu_ms = (family_cpu_seconds(proc.pid) - cpu_before) * 1000 / args.emails
            print(f"  bridge CPU per email (intake and dispatch): {cpu_ms:.2f} ms")
            if session_ms:
                print(
                    f"  MAIL..250 per email: p50 {pct(session_ms, 0.5) * 1000:.1f} ms,"
                    f" p99 {pct(session_ms, 0.99) * 1000:.1f} ms"
                )
            wait_journal(journal, args.emails)
            since = time.time()
            sent = asyncio.run(_paced(port, args.rate, args.seconds))
            wait_journal(journal, args.emails + sent)
            lat = _provider_latencies(db, journal, since)
            print(
                f"latency at {args.rate:.0f} emails/s for {args.seconds:.0f} s"
                f" ({len(lat)} texts), commit to provider call:"
                f" p50 {statistics.median(lat) * 1000:.1f} ms,"
                f" p99 {pct(lat, 0.99) * 1000:.1f} ms"
            )


if __name__ == "__main__":
    main()
