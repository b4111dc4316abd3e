"""``GET /metrics`` with a million texts stored: how long a scrape takes.

Fills a bridge's store with ``--jobs`` texts (``harness.many_jobs``: one in a hundred waiting,
the rest delivered), starts the bridge on it, and times ``--scrapes`` scrapes of /metrics
from this machine, on SQLite and on PostgreSQL. A scrape reads the queues with one statement
on their partial indexes, so its time should not grow with the texts stored.

    .venv/bin/python bench/metrics.py --jobs 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cluster import _maybe_schema
from harness import QUEUE, fill_queue, many_jobs, pct, running, write_config


def _scrape_times(url: str, scrapes: int) -> list[float]:
    times = []
    with httpx.Client(timeout=10) as client:
        client.get(url).raise_for_status()  # the first one, to warm up
        for _ in range(scrapes):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def run(setup: str, jobs: int, scrapes: int) -> None:
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp, _maybe_schema(setup) as dsn:
        store = f'[store]\nbackend = "postgres"\ndsn = "{dsn}"\n' if dsn else ""
        config, smtp, http = write_config(Path(tmp), store + QUEUE)
        migrate = [sys.executable, "-m", "bridge", "migrate", "--config", str(config)]
        subprocess.run(migrate, check=True, capture_output=True)
        asyncio.run(fill_queue(config, 1))
        started = time.perf_counter()
        many_jobs(dsn or str(Path(tmp) / "var" / "smsbridge.db"), jobs)
        filled = time.perf_counter() - started
        with running(config, smtp):
            times = _scrape_times(f"http://127.0.0.1:{http}/metrics", scrapes)
        print(
            f"/metrics on {setup} with {jobs:,} texts stored (filled in {filled:.0f} s):"
            f" p50 {statistics.median(times) * 1000:.1f} ms,"
            f" p99 {pct(times, 0.99) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--setup", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    for setup in ("sqlite", "postgres") if args.setup == "both" else (args.setup,):
        run(setup, args.jobs, args.scrapes)


if __name__ == "__main__":
    main()
