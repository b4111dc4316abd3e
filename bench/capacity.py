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
import statistics
import tempfile
import time
from pathlib import Path

from harness import QUEUE, fill_queue, start, wait_greeting, wait_journal, write_config


def startup(starts: int) -> list[float]:
    took = []
    for _ in range(starts):
        with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
            config, port, _ = write_config(Path(tmp), QUEUE)
            began = time.perf_counter()
            proc = start(config)
            wait_greeting(port)
            took.append(time.perf_counter() - began)
            proc.terminate()
            proc.wait(timeout=30)
    return took


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory(jobs: int) -> tuple[int, int, float]:
    """(idle RSS, peak RSS) in kB and the drain time in seconds."""
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port, _ = write_config(Path(tmp), QUEUE)
        asyncio.run(fill_queue(config, jobs))
        began = time.perf_counter()
        proc = start(config)
        try:
            wait_greeting(port)
            idle = _status_kb(proc.pid, "VmRSS")
            wait_journal(Path(tmp) / "var" / "sandbox" / "sent.jsonl", jobs)
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
