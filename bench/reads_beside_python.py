"""A read on the event loop's thread while another thread runs Python, as the SQLite writer does.

Python's ``sqlite3`` lets go of the interpreter lock for every step of a statement, so a read
on the event loop hands the lock to any other thread that wants it and waits to take it back.
The bridge's writer thread runs Python between its statements (each operation's own code, the
commit's bookkeeping). This times the opt-out read made at every RCPT TO (the store's own
statement, on a reader connection as the store opens it) with nothing else running, beside a
thread in C that does not hold the lock (hashing), and beside a thread running Python.

    .venv/bin/python bench/reads_beside_python.py
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import threading
import time
from pathlib import Path

import harness  # noqa: F401  (puts the repository on the path)

from bridge.store import ops_consent
from bridge.store.migrations import migrate_sqlite
from bridge.store.sqlite_writer import connect, connect_reader


def _busy(kind: str, stop: threading.Event) -> None:
    data = b"x" * (1 << 20)
    while not stop.is_set():
        if kind == "C":
            hashlib.sha256(data).digest()  # lets go of the lock while it hashes
        else:
            total = 0
            for n in range(1000):
                total += n


def _timed(conn, reads: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    statement = next(ops_consent.suppression("+447700900123", None))
    cpu, wall = [], []
    for _ in range(reads):
        c, w = time.thread_time(), time.perf_counter()
        conn.execute(statement.text, statement.args).fetchall()
        cpu.append((time.thread_time() - c) * 1e6)
        wall.append((time.perf_counter() - w) * 1e6)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsbridge-reads-") as tmp:
        path = Path(tmp) / "bridge.db"
        migrate_sqlite(connect(path))
        conn = connect_reader(path)
        for beside in ("nothing", "C", "Python", "nothing"):
            stop = threading.Event()
            thread = threading.Thread(target=_busy, args=(beside, stop))
            if beside != "nothing":
                thread.start()
            time.sleep(0.2)
            cpu, wall = _timed(conn, args.reads)
            stop.set()
            if beside != "nothing":
                thread.join()
            print(f"beside {beside}: {cpu:.0f} µs of CPU, {wall:.0f} µs of wall time a read (p50)")
        conn.close()


if __name__ == "__main__":
    main()
