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
import os
import smtplib
import statistics
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

from harness import (
    DOMAIN,
    QUEUE,
    fill_queue,
    running,
    start,
    wait_greeting,
    wait_journal,
    write_config,
)

RCPT = f"+447700900123@{DOMAIN}"


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
        with running(config, port) as proc:
            idle = _status_kb(proc.pid, "VmRSS")
            wait_journal(Path(tmp) / "var" / "sandbox" / "sent.jsonl", jobs)
            return idle, _status_kb(proc.pid, "VmHWM"), time.perf_counter() - began


def _big_email(megabytes: int) -> bytes:
    """A short text with a ``megabytes`` MB attachment, as a mail client would send it."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@example.com", RCPT, "Big"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("Your documents are attached.")
    msg.add_attachment(
        os.urandom(megabytes * 1024 * 1024 * 3 // 4),
        maintype="application",
        subtype="octet-stream",
        filename="scan.pdf",
    )
    return msg.as_bytes(policy=SMTP)


def big_email(megabytes: int, limit_mb: int) -> tuple[int, int, str]:
    """(RSS when idle, peak RSS) in kB around one email of ``megabytes`` MB, with the size limit
    at ``limit_mb`` MB, and the bridge's answer."""
    raw = _big_email(megabytes)
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port, _ = write_config(Path(tmp), f"{QUEUE}", size_mb=limit_mb)
        with running(config, port) as proc:
            time.sleep(1.0)  # settled
            idle = _status_kb(proc.pid, "VmHWM")
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                try:
                    client.sendmail("alice@example.com", [RCPT], raw)
                    answer = "250"
                except smtplib.SMTPException as exc:
                    answer = str(getattr(exc, "smtp_code", exc))
            return idle, _status_kb(proc.pid, "VmHWM"), answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    took = startup(args.starts)
    print(
        f"start-up to first 220: median {statistics.median(took) * 1000:.0f} ms,"
        f" best {min(took) * 1000:.0f} ms, worst {max(took) * 1000:.0f} ms"
        f" ({args.starts} starts)"
    )
    idle, peak, drained = memory(args.jobs)
    print(
        f"memory with {args.jobs} jobs queued: RSS {idle / 1024:.0f} MB at start,"
        f" peak {peak / 1024:.0f} MB; drained in {drained:.0f} s"
        f" ({args.jobs / drained:.0f} jobs/s including start-up)"
    )
    for limit in (10, 30):
        idle, peak, answer = big_email(25, limit)
        print(
            f"a 25 MB email with the size limit at {limit} MB: answered {answer};"
            f" peak RSS {peak / 1024:.0f} MB, {(peak - idle) / 1024:.0f} MB above idle"
        )


if __name__ == "__main__":
    main()
