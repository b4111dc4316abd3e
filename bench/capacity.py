"""Start-up time and memory: how fast ``smsbridge run`` takes its first email, and its peak RSS
while a queue of 100,000 jobs drains.

- start-up: from starting the process to the first SMTP greeting (``220``) on a fresh data
  folder, repeated; median, best and worst;
- memory: 100,000 jobs written to the store before the bridge starts (a full queue), then
  the bridge runs with the sandbox provider until all are sent. The figures are the
  process's RSS when idle after start, and its peak (``VmHWM`` in ``/proc/PID/status``) once
  the queue is empty. SQLite, and with ``--postgres`` the PostgreSQL store too (a scratch
  schema of $SMSBRIDGE_TEST_DSN).

Start-up is also given as the CPU time the process used until it greeted, which a busy
machine disturbs far less than the wall clock; from source (every module compiled at each
start, as with ``PYTHONDONTWRITEBYTECODE`` and no installed bytecode) and with the bytecode
cached (as ``pip install`` leaves it; here in a scratch ``PYTHONPYCACHEPREFIX``); and, with
the bytecode cached, again on a data folder a first start created (a restart: the database
is there, its migrations applied).

    .venv/bin/python bench/capacity.py [--starts 10] [--jobs 100000] [--postgres]
        [--only startup,memory,email]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

from harness import (
    DOMAIN,
    QUEUE,
    cpu_seconds,
    fill_queue,
    running,
    scratch_schema,
    start,
    wait_greeting,
    wait_journal,
    write_config,
)

RCPT = f"+447700900123@{DOMAIN}"


def startup(starts: int, *, fresh: bool = True) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds from starting ``smsbridge run`` to its first greeting: on a fresh
    data folder each time (its database created and migrated), or again on one folder."""
    took, cpu = [], []
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as again:
        if not fresh:
            _started(Path(again))
        for _ in range(starts):
            with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
                wall, used = _started(Path(tmp if fresh else again))
            took.append(wall)
            cpu.append(used)
    return took, cpu


def _started(folder: Path) -> tuple[float, float]:
    config, port, _ = write_config(folder, QUEUE)
    began = time.perf_counter()
    proc = start(config)
    wait_greeting(port)
    took = time.perf_counter() - began
    used = cpu_seconds(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    return took, used


@contextmanager
def bytecode(cached: bool) -> Iterator[None]:
    """Child processes with their modules' bytecode cached (in a scratch folder, warmed by
    one start) or compiled from source at each start."""
    saved = {name: os.environ.get(name) for name in _BYTECODE}
    with tempfile.TemporaryDirectory(prefix="smsbridge-pyc-") as prefix:
        os.environ.pop("PYTHONPYCACHEPREFIX", None)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        if cached:
            os.environ["PYTHONPYCACHEPREFIX"] = prefix
            del os.environ["PYTHONDONTWRITEBYTECODE"]
            startup(1)
        try:
            yield
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None)
                if value is not None:
                    os.environ[name] = value


_BYTECODE = ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory(jobs: int, dsn: str | None = None) -> tuple[int, int, float]:
    """(idle RSS, peak RSS) in kB and the drain time in seconds; on PostgreSQL at ``dsn``."""
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        store = f'[store]\nbackend = "postgres"\ndsn = "{dsn}"\n' if dsn else ""
        config, port, _ = write_config(Path(tmp), store + QUEUE)
        if dsn:
            migrate = [sys.executable, "-m", "bridge", "migrate", "--config", str(config)]
            subprocess.run(migrate, check=True, capture_output=True)
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
    parser.add_argument("--postgres", action="store_true", help="memory on PostgreSQL too")
    parser.add_argument("--only", default="startup,memory,email")
    args = parser.parse_args()
    parts = args.only.split(",")
    if "startup" in parts:
        for cached, fresh in ((False, True), (True, True), (True, False)):
            with bytecode(cached):
                took, cpu = startup(args.starts, fresh=fresh)
            how = "bytecode cached" if cached else "from source"
            _startup_line(how + (", fresh folder" if fresh else ", started before"), took, cpu)
    if "memory" in parts:
        _memory_line("SQLite", args.jobs, *memory(args.jobs))
        if args.postgres:
            with scratch_schema() as dsn:
                _memory_line("PostgreSQL", args.jobs, *memory(args.jobs, dsn))
    if "email" in parts:
        _big_emails()


def _startup_line(how: str, took: list[float], cpu: list[float]) -> None:
    print(
        f"start-up to first 220, {how}: median {statistics.median(took) * 1000:.0f} ms,"
        f" best {min(took) * 1000:.0f} ms, worst {max(took) * 1000:.0f} ms"
        f" ({len(took)} starts); CPU median {statistics.median(cpu) * 1000:.0f} ms"
    )


def _memory_line(store: str, jobs: int, idle: int, peak: int, drained: float) -> None:
    print(
        f"memory with {jobs} jobs queued ({store}): RSS {idle / 1024:.0f} MB at start,"
        f" peak {peak / 1024:.0f} MB; drained in {drained:.0f} s"
        f" ({jobs / drained:.0f} jobs/s including start-up)"
    )


def _big_emails() -> None:
    for limit in (10, 30):
        idle, peak, answer = big_email(25, limit)
        print(
            f"a 25 MB email with the size limit at {limit} MB: answered {answer};"
            f" peak RSS {peak / 1024:.0f} MB, {(peak - idle) / 1024:.0f} MB above idle"
        )


if __name__ == "__main__":
    main()
