"""The embedded store: SQLite in WAL mode, one writer thread, group commit.

One bridge owns a database file at a time (``app.py`` holds a lock file next to it), so at
start-up every lease left by a killed process can be released at once instead of waiting for
it to expire, and the schema is brought up to date at every start (``bridge.store.migrations``).
The operations themselves are shared with PostgreSQL (``bridge.store.ops``). The outbound
chain's facts, read for every text, are read on the event loop's own thread through a second,
read-only connection (WAL readers never wait for the writer): handing each to the writer thread
cost more than the query (docs/benchmarks.md, issue 18). The SMTP listener processes
(``smtp.processes``) open the same file, each with its own writer: the writers take turns on
a lock file beside it (``<file>-writer``, ``sqlite_writer.py``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bridge.store.migrations import migrate_sqlite, sqlite_version
from bridge.store.sql_store import SqlStore
from bridge.store.sqlite_writer import SqliteWriter, connect, connect_reader
from bridge.store.statements import Op, read_sqlite, run_sqlite

__all__ = ["SqliteStore"]

T = TypeVar("T")


@dataclass(slots=True)
class _Reads:
    """The reads asked for in one turn of ``loop``, each with the future its caller awaits."""

    loop: asyncio.AbstractEventLoop
    asked: list[tuple[Op[Any], asyncio.Future[Any]]] = field(default_factory=list)


class SqliteStore(SqlStore):
    """``bridge.store.base.Store`` on a SQLite file."""

    exclusive = True
    writes_in_process = True

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: SqliteWriter | None = None
        self._reader: sqlite3.Connection | None = None
        self._reads: _Reads | None = None  # asked for in this turn of the event loop

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self._path)
        try:
            migrate_sqlite(conn)
        except BaseException:
            conn.close()
            raise
        self._writer = SqliteWriter(conn, turn=self._path.with_name(self._path.name + "-writer"))
        self._writer.start()
        self._reader = connect_reader(self._path)

    async def migrate(self) -> tuple[int, int]:
        """Bring the file's schema up to date, as ``open`` also does; (before, after)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self._path)
        try:
            before = sqlite_version(conn)
            return before, migrate_sqlite(conn)
        finally:
            conn.close()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _do(self, op: Op[T]) -> T:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        return await self._writer.run(lambda conn: run_sqlite(conn, op))

    async def _read(self, op: Op[T]) -> T:
        """On the loop's thread, on the reader connection: the chain's facts for every text
        would otherwise queue behind the group commits (docs/benchmarks.md, issue 18).

        The reads asked for in one turn of the event loop (the opt-outs of every SMTP
        session whose RCPT TO arrived together, say) are answered together at the end of
        it (``_read_together``)."""
        if self._reader is None:
            raise RuntimeError("the store is not open")
        loop = asyncio.get_running_loop()
        reads = self._reads
        if reads is None or reads.loop is not loop:
            reads = self._reads = _Reads(loop)
            loop.call_soon(self._read_together, reads)
        future: asyncio.Future[T] = loop.create_future()
        reads.asked.append((op, future))
        return await future

    def _read_together(self, reads: _Reads) -> None:
        """Run the turn's reads in one read transaction. Every commit of the writer empties
        this connection's page cache, so each read alone paid for reading its pages again;
        in one transaction the first read fills the cache for the rest (one snapshot,
        committed before the first began). A read that fails fails only its caller."""
        if self._reads is reads:
            self._reads = None
        conn = self._reader
        if conn is None:  # closed since they were asked for
            for _, future in reads.asked:
                if not future.done():
                    future.set_exception(RuntimeError("the store is not open"))
            return
        together = len(reads.asked) > 1
        if together:
            conn.execute("BEGIN")
        try:
            for op, future in reads.asked:
                if future.done():  # its caller was cancelled
                    continue
                try:
                    future.set_result(read_sqlite(conn, op))
                except Exception as error:  # the caller's to handle, not its neighbours'
                    future.set_exception(error)
        finally:
            if together:
                conn.execute("COMMIT")

    async def _read_long(self, op: Op[T]) -> T:
        """A read that takes seconds (a report): in a thread, on a connection of its own, so
        that neither the event loop nor the writer waits for it."""
        if self._reader is None:
            raise RuntimeError("the store is not open")

        def read() -> T:
            conn = connect_reader(self._path)
            try:
                return read_sqlite(conn, op)
            finally:
                conn.close()

        return await asyncio.to_thread(read)
