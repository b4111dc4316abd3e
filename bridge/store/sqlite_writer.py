"""One thread owns the SQLite connection and commits operations in groups.

Each SMTP session wants its jobs durable before it answers 250, and a durable commit costs an
fsync. Instead of one fsync per email, the writer takes every operation that arrived while the
previous commit was running and commits them together (group commit). Each operation is all or
nothing on its own (``bridge.store.statements.run_sqlite`` gives it a SAVEPOINT when it needs
one), so one failing operation does not undo the others; one that took the whole transaction
with it fails the batch.

Several processes may write to one database (the SMTP listener processes of
``smtp.processes``, a command such as ``smsbridge send``). SQLite lets one write transaction
run at a time and makes the others wait (``busy_timeout``, so a commit waits rather than
fails), but it waits by sleeping 1, 2, 5, 10... ms and trying again, so a writer of another
process misses the moment the lock is free. So each writer first takes its turn on a lock
file beside the database (``flock``), which wakes the next writer the moment the last one
commits; meanwhile more operations queue up, and the next group commit takes them all.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["SqliteWriter", "connect", "connect_reader"]

log = logging.getLogger(__name__)
T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], Any]
_Result = tuple["asyncio.Future[Any]", bool, Any]  # a caller's future, success, value or error


@dataclass(slots=True)
class _Pending:
    operation: Operation
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def connect(path: Path) -> sqlite3.Connection:
    """A connection tuned for a durable queue: WAL, fsync at every commit, explicit transactions."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """A connection that only reads, used on the event loop's own thread: in WAL mode a reader
    never waits for the writer, and a point query costs less than handing it to a thread."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=1.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=ON")
    return conn


class SqliteWriter:
    """Runs operations on one connection in one thread, committing them in batches."""

    def __init__(
        self, conn: sqlite3.Connection, *, max_batch: int = 512, turn: Path | None = None
    ) -> None:
        """``turn``: the lock file the writers of every process take turns on (module doc)."""
        self._conn = conn
        self._max_batch = max_batch
        self._turn = None if turn is None else os.open(turn, os.O_RDWR | os.O_CREAT, 0o600)
        self.commits = 0  # transactions committed (each one of many operations, under load)
        self._pending: list[_Pending] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="sqlite-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``operation`` inside a committed transaction and return its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._pending.append(_Pending(operation, future, loop))
            self._cond.notify()
        return await future

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join()
        self._conn.close()
        if self._turn is not None:
            os.close(self._turn)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending:
                    return
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        if self._turn is not None:
            fcntl.flock(self._turn, fcntl.LOCK_EX)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            outcomes = [self._apply(item.operation) for item in batch]
            self._conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            log.error("store commit failed: %s", exc)
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        finally:
            if self._turn is not None:
                fcntl.flock(self._turn, fcntl.LOCK_UN)
        settled: dict[asyncio.AbstractEventLoop, list[_Result]] = {}
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            settled.setdefault(item.loop, []).append((item.future, ok, value))
        # One wake-up of each waiting loop for the whole batch: call_soon_threadsafe writes to
        # the loop's self-pipe each time, a system call per operation otherwise.
        for loop, results in settled.items():
            loop.call_soon_threadsafe(_settle_all, results)

    def _apply(self, operation: Operation) -> tuple[bool, Any]:
        try:
            result = operation(self._conn)
        except Exception as exc:  # handed to the caller's future, not swallowed
            if not self._conn.in_transaction:  # SQLite rolled the whole batch back
                raise sqlite3.OperationalError(f"the transaction was rolled back: {exc}") from exc
            return False, exc
        return True, result


def _settle_all(results: list[_Result]) -> None:
    for future, ok, value in results:
        _settle(future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
