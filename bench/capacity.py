"""Start-up time and memory: how fast ``smsbridge run`` takes its first email, and its peak RSS
while a queue of 100,000 jobs drains.

- start-up: from starting the process to the first SMTP greeting (``220``) on a fresh data
  folder, repeated; median, best and worst;
- memory: 100,000 jobs written to the SQLite store before the bridge starts (a full queue),
  then the bridge runs with the sandbox provider until all are sent. The figures are the
  process's RSS when idle after start, and its peak (``VmHWM`` in ``/proc/PID/status``) once
  the queue is empty.

    .venv/bin/python bench/capacity.py [--starts 10] [--jobs 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest import _free_port

from bridge.config import load_settings
from bridge.models import NewSmsJob
from bridge.store.factory import open_store


def _config(folder: Path) -> tuple[Path, int]:
    port = _free_port()
    path = folder / "bench.toml"
    path.write_text(
        f"""
[bridge]
data_dir = "{folder / "var"}"
log_level = "WARNING"
[smtp]
port = {port}
domains = ["sms.example.com"]
allowed_senders = ["example.com"]
[http]
port = {_free_port()}
[queue]
workers = 16
""",
        encoding="utf-8",
    )
    return path, port


def _greeting(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                if conn.recv(3) == b"220":
                    return
        except OSError:
            time.sleep(0.005)
    raise SystemExit("the bridge did not greet")


def _start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bridge", "run", "--config", str(config)])


def startup(starts: int) -> list[float]:
    took = []
    for _ in range(starts):
        with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
            config, port = _config(Path(tmp))
            began = time.perf_counter()
            proc = _start(config)
            _greeting(port)
            took.append(time.perf_counter() - began)
            proc.terminate()
            proc.wait(timeout=30)
    return took


async def _fill(config: Path, jobs: int) -> None:
    store = open_store(load_settings(config))
    await store.open()
    now = datetime.now(UTC)
    for start in range(0, jobs, 1000):
        await store.enqueue_sms([
            NewSmsJob(idempotency_key=f"<fill-{i}@example.com>|+4477009{i % 1000:05d}",
                      message_id=f"<fill-{i}@example.com>", author="alice@example.com",
                      subject="bench", to_number=f"+4477009{i % 1000:05d}", sender="ExampleCo",
                      text=f"Benchmark text number {i}.", encoding="GSM-7", segments=1)
            for i in range(start, min(jobs, start + 1000))
        ], now=now)  # fmt: skip
    await store.close()


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory(jobs: int) -> tuple[int, int, float]:
    """(idle RSS, peak RSS) in kB and the drain time in seconds."""
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port = _config(Path(tmp))
        asyncio.run(_fill(config, jobs))
        journal = Path(tmp) / "var" / "sandbox" / "sent.jsonl"
        began = time.perf_counter()
        proc = _start(config)
        try:
            _greeting(port)
            idle = _status_kb(proc.pid, "VmRSS")
            while not journal.exists() or sum(1 for _ in journal.open("rb")) < jobs:
                time.sleep(0.5)
            return idle, _status_kb(proc.pid, "VmHWM"), time.perf_counter() - began
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    took = startup(args.starts)
    print(f"start-up to first 220: median {statistics.median(took) * 1000:.0f} ms,"
          f" best {min(took) * 1000:.0f} ms, worst {max(took) * 1000:.0f} ms"
          f" ({args.starts} starts)")  # fmt: skip
    idle, peak, drained = memory(args.jobs)
    print(f"memory with {args.jobs} jobs queued: RSS {idle / 1024:.0f} MB at start,"
          f" peak {peak / 1024:.0f} MB; drained in {drained:.0f} s"
          f" ({args.jobs / drained:.0f} jobs/s including start-up)")  # fmt: skip


if __name__ == "__main__":
    main()
