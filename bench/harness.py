"""What the benchmarks share: a settings file for a bridge on loopback ports, starting
``smsbridge run`` on it, a queue filled before it starts, the sandbox journal and percentiles.

The benchmarks run as scripts (``python bench/NAME.py``), so this module is imported by its
plain name from the scripts' folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The scripts run from bench/; the repository root holds the test support they share.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.models import NewSmsJob
from bridge.settings.load import load_settings
from bridge.store.factory import open_store

DOMAIN = "sms.example.com"
QUEUE = "[queue]\nworkers = 16\npoll_seconds = 1.0\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(
    folder: Path,
    extra: str = "",
    *,
    public: bool = False,
    size_mb: int = 10,
    processes: int = 1,
    loop: str = "asyncio",
) -> tuple[Path, int, int]:
    """``folder/bench.toml`` for a bridge keeping its data in ``folder/var``, with ``extra``
    TOML appended; (path, SMTP port, HTTP port). ``public`` makes its HTTP address its
    public URL, for webhooks signed over it. ``processes`` is ``smtp.processes``; ``loop``
    is ``bridge.loop``, asyncio's unless a benchmark asks (the figures before uvloop was an
    option were all measured on it, and the test extra installs uvloop)."""
    folder.mkdir(parents=True, exist_ok=True)
    smtp, http = free_port(), free_port()
    public_url = f'public_url = "http://127.0.0.1:{http}"\n' if public else ""
    path = folder / "bench.toml"
    path.write_text(
        f'[bridge]\ndata_dir = "{folder / "var"}"\nlog_level = "WARNING"\nloop = "{loop}"\n'
        f'{public_url}[smtp]\nport = {smtp}\ndomains = ["{DOMAIN}"]\n'
        f'allowed_senders = ["example.com"]\nprocesses = {processes}\n'
        f"max_recipients = 50\nmax_message_size = {size_mb * 1024 * 1024}\n"
        f"[http]\nport = {http}\n{extra}",
        encoding="utf-8",
    )
    return path, smtp, http


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bridge", "run", "--config", str(config)])


@contextmanager
def running(config: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``smsbridge run`` on ``config`` for the block, which starts once it greets on ``port``."""
    proc = start(config)
    try:
        wait_greeting(port)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def smtp_source(
    port: int, emails: int, sessions: int = 20, to: str = f"+447700900123@{DOMAIN}"
) -> float:
    """Postfix's ``smtp-source``: emails/s for ``emails`` emails (a 120-character body, a
    unique Message-ID each, one connection per email) over ``sessions`` sessions."""
    command = [
        "smtp-source",
        "-s",
        str(sessions),
        "-m",
        str(emails),
        "-l",
        "120",
        "-f",
        "alice@example.com",
        "-t",
        to,
        f"127.0.0.1:{port}",
    ]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=900)
    return emails / (time.perf_counter() - began)


def wait_greeting(port: int, timeout: float = 60.0) -> None:
    """Until the bridge's SMTP listener greets with 220."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                if conn.recv(3) == b"220":
                    return
        except OSError:
            time.sleep(0.005)
    raise SystemExit("the bridge did not start")


def wait_listeners(port: int, count: int, timeout: float = 60.0) -> None:
    """Until ``count`` sockets listen on ``port`` (``smtp.processes``: one per process), as
    the kernel's own table lists them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listening = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                listening += int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A"
        if listening >= count:
            return
        time.sleep(0.05)
    raise SystemExit(f"only some of the {count} SMTP listener processes started")


def wait_port(port: int, timeout: float = 15.0) -> None:
    """Until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the bridge did not start")


async def fill_queue(config: Path, jobs: int, *, sender: str = "ExampleCo") -> None:
    """Write ``jobs`` texts to the bridge's store, as if that many emails had been accepted."""
    store = open_store(load_settings(config))
    await store.open()
    now = datetime.now(UTC)
    for first in range(0, jobs, 1000):
        await store.enqueue_sms(
            [
                NewSmsJob(
                    idempotency_key=f"<fill-{i}@example.com>|+4477009{i % 1000:05d}",
                    message_id=f"<fill-{i}@example.com>",
                    author="alice@example.com",
                    subject="bench",
                    to_number=f"+4477009{i % 1000:05d}",
                    sender=sender,
                    text=f"Benchmark text number {i}.",
                    encoding="GSM-7",
                    segments=1,
                )
                for i in range(first, min(jobs, first + 1000))
            ],
            now=now,
        )
    await store.close()


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """The sandbox journal: one line per text handed to the 'provider', with its time."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def wait_journal(path: Path, count: int, timeout: float = 600.0) -> list[dict[str, Any]]:
    """Until ``count`` texts are in the journal (counted, not parsed, while the bridge works)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= count:
            return journal_lines(path)
        time.sleep(0.2)
    raise SystemExit(
        f"only {len(journal_lines(path))} of {count} texts were sent in {timeout:.0f} s"
    )


def cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time so far (Linux ``/proc``).

    Less disturbed by other work on the machine than a rate or a wall time: a busy second
    core slows the wall clock far more than it changes the process's own CPU time per task.
    """
    return _stat_seconds(pid, 11)  # utime, stime


def reaped_cpu_seconds(pid: int) -> float:
    """The CPU time of a process's children that have ended and been waited for (``/proc``'s
    ``cutime`` and ``cstime``): a bulk send's planning child, once its plan is read."""
    return _stat_seconds(pid, 13)


def _stat_seconds(pid: int, at: int) -> float:
    """Two adjacent clock-tick fields of ``/proc/<pid>/stat`` (counted after the name), added."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[at]) + int(fields[at + 1])) / os.sysconf("SC_CLK_TCK")


def family_cpu_seconds(pid: int) -> float:
    """``cpu_seconds`` of a process and of its children (a bridge's SMTP listener
    processes), as they are now."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(family_cpu_seconds(int(child)) for child in children)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Varied = Callable[[str], dict[str, str]]  # the copy's number, as text -> changed columns


def delivered_mostly(number: str) -> dict[str, str]:
    """A store as months of use leave it: one copy in a hundred waiting for tomorrow, the
    rest delivered, created one a second back in time."""
    queued = "x % 100 = 0"
    return {
        "id": f"'b' || {number}",
        "idempotency_key": f"idempotency_key || {number}",
        "message_id": f"message_id || {number}",
        "state": f"CASE WHEN {queued} THEN 'queued' ELSE 'delivered' END",
        "created_at": "created_at - x",
        "updated_at": "created_at - x",
        "next_attempt_at": f"CASE WHEN {queued} THEN created_at + 86400 ELSE created_at - x END",
    }


def many_jobs(db: str, total: int, varied: Varied = delivered_mostly) -> None:
    """Copy the one job in a bridge's store until it holds ``total``, copy ``x`` (1, 2, ...)
    with the columns ``varied`` changes (SQL of ``x``; the rest copied as they are). One
    INSERT … SELECT in the database itself: a million rows in seconds, not through the chain.
    ``db``: the SQLite file, or a PostgreSQL DSN."""
    copies = total - 1
    if db.startswith("postgresql:"):
        import asyncpg  # only the PostgreSQL benchmarks need it

        async def run() -> None:
            conn = await asyncpg.connect(db)
            columns = [r["column_name"] for r in await conn.fetch(_PG_COLUMNS)]
            series = f"generate_series(1, {copies}) AS n(x)"
            await conn.execute(_copy_sql(columns, series, varied("x::text")))
            await conn.execute("ANALYZE sms_jobs")
            await conn.close()

        asyncio.run(run())
        return
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(sms_jobs)")]
        counted = f"SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {copies}"
        series = f"(WITH RECURSIVE n(x) AS ({counted}) SELECT x FROM n) AS n"
        conn.execute(_copy_sql(columns, series, varied("CAST(x AS TEXT)")))
        conn.execute("ANALYZE")


_PG_COLUMNS = (
    "SELECT column_name FROM information_schema.columns"
    " WHERE table_name = 'sms_jobs' AND table_schema = current_schema() ORDER BY ordinal_position"
)


def _copy_sql(columns: list[str], series: str, changed: dict[str, str]) -> str:
    chosen = ", ".join(changed.get(c, c) for c in columns)
    return f"INSERT INTO sms_jobs ({', '.join(columns)}) SELECT {chosen} FROM sms_jobs, {series}"


TEST_DSN = os.environ.get("SMSBRIDGE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_schema(dsn: str = TEST_DSN) -> Iterator[str]:
    """A scratch schema of the PostgreSQL database at ``dsn`` for one benchmark run: its DSN
    with the schema as search path; dropped afterwards, whatever happened."""
    import uuid

    import asyncpg  # only the PostgreSQL benchmarks need it

    name = "bench_" + uuid.uuid4().hex[:10]

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f"CREATE SCHEMA {name}"))
    try:
        yield f"{dsn}{'&' if '?' in dsn else '?'}search_path={name}"
    finally:
        asyncio.run(run(f"DROP SCHEMA {name} CASCADE"))
