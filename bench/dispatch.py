"""Dispatch: texts/s from a full queue to a provider that answers at once, and a per-number
rate limit held under a full queue.

The provider is the generic ``http`` provider (32 workers) talking to a minimal HTTP/1.1
emulator in its own process (keep-alive, a fixed JSON answer, no work), so the figure is the
bridge's own: claim, send over HTTP, record. Jobs are written to the SQLite store before the bridge starts;
the rate is taken from the store's own record of when each job was marked sent.

- throughput: 20,000 jobs, jobs/s from the first "sent" to the last;
- rate limit: 70 jobs from a number limited to 1 text/s (burst 1); the most texts in any
  60-second window of their send times (60 is right, 61 would break the limit).

    .venv/bin/python bench/dispatch.py [--jobs 20000] [--limited 70]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import fill_queue, free_port, running, wait_port, write_config

# 32 workers: with the providers' KeepAliveTransport, 8, 16 and 32 workers measured 1,502-1,977,
# 1,918-2,238 and 2,269-2,616 jobs/s (with httpcore: 780, 643, 522).
QUEUE = "[queue]\nworkers = 32\npoll_seconds = 1.0\n"
ANSWER = b'{"status": "OK", "data": {"message_id": "M1", "cost": "0.01"}}'
REPLY_NUMBER = "+447700900100"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(ANSWER)).encode()
        + b"\r\n\r\n"
        + ANSWER
    )
    try:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            writer.write(response)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _emulator(port: int) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_serve, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _provider(port: int) -> str:
    return f"""
[providers.fast]
type = "http"
url = "http://127.0.0.1:{port}/send"
body = "form"
[providers.fast.fields]
to = "{{to_digits}}"
from = "{{sender}}"
message = "{{text}}"
reference = "{{job_id}}"
[providers.fast.response]
message_id = "data.message_id"
status_field = "status"
success_values = ["OK"]
price_field = "data.cost"
[[numbers]]
number = "{REPLY_NUMBER}"
inbox = ["team@example.com"]
rate_per_second = 1.0
burst = 1
"""


def _sent_times(db: Path) -> list[float]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        rows = conn.execute("SELECT updated_at FROM sms_jobs WHERE state = 'sent'").fetchall()
    return sorted(row[0] for row in rows)


def _run(jobs: int, sender: str, emulator: int) -> list[float]:
    """Fill the queue with ``jobs`` texts from ``sender``, run the bridge until all are sent."""
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port, _ = write_config(Path(tmp), QUEUE + _provider(emulator))
        asyncio.run(fill_queue(config, jobs, sender=sender))
        db = Path(tmp) / "var" / "smsbridge.db"
        with running(config, port):
            deadline = time.monotonic() + 600
            while len(times := _sent_times(db)) < jobs and time.monotonic() < deadline:
                time.sleep(0.5)
        return times


def _most_in_window(times: list[float], window: float) -> int:
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--limited", type=int, default=70)
    parser.add_argument("--emulator", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emulator:
        _emulator(args.emulator)
        return
    port = free_port()
    emulator = subprocess.Popen([sys.executable, __file__, "--emulator", str(port)])
    try:
        wait_port(port)
        times = _run(args.jobs, "ExampleCo", port)
        print(
            f"dispatch: {len(times)} jobs to an HTTP provider that answers at once:"
            f" {(len(times) - 1) / (times[-1] - times[0]):.0f} jobs/s"
        )
        limited = _run(args.limited, REPLY_NUMBER, port)
        print(
            f"rate limit 1/s, burst 1: {len(limited)} texts in"
            f" {limited[-1] - limited[0]:.1f} s; at most {_most_in_window(limited, 60.0)}"
            f" in any 60 s window"
        )
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    main()
