"""Short-link redirect benchmark: 500 clicks a second for 20 seconds against ``smsbridge run``.

The store first holds ``--links`` texts, each with one short link (written as the intake
writes them, with their jobs). The client (this process, asyncio and httpx, 50 keep-alive
connections) sends ``GET /l/<code>`` at a fixed rate, open loop (each request leaves at its
scheduled time, whether or not earlier ones were answered), codes drawn at random, one in ten
with a link-preview User-Agent. Latency is from the request leaving to its 302 arriving;
p50 and p99 are reported. Afterwards every request must be in ``link_clicks`` (written in
batches, within a second), counted or not as its agent says.

    .venv/bin/python bench/links.py
    .venv/bin/python bench/links.py --rate 500 --seconds 20 --links 10000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import pct, running, wait_port, write_config

from bridge.links.codes import new_code
from bridge.models import NewSmsJob, ShortLink
from bridge.settings.load import load_settings
from bridge.store.factory import open_store

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
PREVIEW = "WhatsApp/2.23.20.0 A"


async def fill(config: Path, count: int) -> list[str]:
    """``count`` texts with one short link each; their codes."""
    store = open_store(load_settings(config))
    await store.open()
    codes = [new_code() for _ in range(count)]
    now = datetime.now(UTC)
    for first in range(0, count, 1000):
        jobs = [
            NewSmsJob(
                idempotency_key=f"<links-{i}@example.com>|+4477009{i % 1000:05d}",
                message_id=f"<links-{i}@example.com>",
                author="alice@example.com",
                subject="bench",
                to_number=f"+4477009{i % 1000:05d}",
                sender="ExampleCo",
                text=f"Offer: https://go.example.com/l/{codes[i]}",
                encoding="GSM-7",
                segments=1,
                links=(ShortLink(codes[i], f"https://shop.example.com/item/{i}?utm_source=sms"),),
            )
            for i in range(first, min(count, first + 1000))
        ]
        await store.enqueue_sms(jobs, now=now)
    await store.close()
    # Sent already, as texts whose links are clicked are: else the bridge would spend the
    # run sending 10,000 texts to the sandbox (the first measurements did, and its p99 with it).
    with sqlite3.connect(config.parent / "var" / "smsbridge.db") as conn:
        conn.execute("UPDATE sms_jobs SET state = 'sent'")
    return codes


async def clicks(
    port: int, codes: list[str], rate: float, seconds: float, connections: int = 50
) -> tuple[list[float], int, int]:
    """Latencies (ms, from each request's scheduled time to its answer) of every redirect,
    how many were sent, how many were not 302. A raw HTTP/1.1 client on keep-alive
    connections: httpx's own cost per request would take the bridge's CPU on a small machine."""
    total = int(rate * seconds)
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []
    wrong = 0

    async def connection() -> None:
        nonlocal wrong
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await due.get()) is not None:
            scheduled, request = item
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            wrong += not head.startswith(b"HTTP/1.1 302")
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter() + 0.5
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        agent = PREVIEW if n % 10 == 0 else PHONE
        request = (
            f"GET /l/{random.choice(codes)} HTTP/1.1\r\nHost: go.example.com\r\n"
            f"User-Agent: {agent}\r\n\r\n"
        ).encode()
        due.put_nowait((scheduled, request))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    return latencies, total, wrong


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stored_clicks(folder: Path) -> tuple[int, int]:
    with sqlite3.connect(folder / "var" / "smsbridge.db") as conn:
        row = conn.execute("SELECT COUNT(*), COALESCE(SUM(counted), 0) FROM link_clicks").fetchone()
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500, help="clicks a second")
    parser.add_argument("--seconds", type=float, default=20, help="how long")
    parser.add_argument("--links", type=int, default=10_000, help="short links in the store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config, smtp, http = write_config(folder, '[links]\ndomain = "go.example.com"\n')
        codes = asyncio.run(fill(config, args.links))
        with running(config, smtp) as bridge:
            wait_port(http)
            before = cpu_seconds(bridge.pid)
            latencies, sent, wrong = asyncio.run(clicks(http, codes, args.rate, args.seconds))
            used = cpu_seconds(bridge.pid) - before
            time.sleep(2)  # the last batch of clicks
            stored, counted = stored_clicks(folder)
    print(
        f"{sent} redirects at {args.rate:.0f}/s for {args.seconds:.0f} s over {args.links} links:"
        f" p50 {pct(latencies, 0.5):.2f} ms, p99 {pct(latencies, 0.99):.2f} ms,"
        f" max {max(latencies):.2f} ms; not 302: {wrong}"
    )
    print(f"clicks stored: {stored} of {sent} ({counted} counted, {stored - counted} previews)")
    print(
        f"the bridge's CPU: {used * 1000 / sent:.3f} ms a redirect ({used / args.seconds:.0%} of a core)"
    )


if __name__ == "__main__":
    main()
