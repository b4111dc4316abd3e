"""The embedded store: SQLite in WAL mode, one writer thread, group commit.

One bridge owns a database file at a time (``app.py`` holds a lock file next to it), so at
start-up every lease left by a killed process can be released at once instead of waiting for
it to expire, and the schema is brought up to date at every start (``bridge.store.migrations``).
The operations themselves are shared with PostgreSQL (``bridge.store.ops``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from bridge.store.migrations import migrate_sqlite, sqlite_version
from bridge.store.sql_store import SqlStore
from bridge.store.sqlite_writer import SqliteWriter, connect
from bridge.store.statements import Op, run_sqlite

__all__ = ["SqliteStore"]

T = TypeVar("T")


class SqliteStore(SqlStore):
    """``bridge.store.base.Store`` on a SQLite file."""

    exclusive = True

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: SqliteWriter | None = None

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self._path)
        try:
            migrate_sqlite(conn)
        except BaseException:
            conn.close()
            raise
        self._writer = SqliteWriter(conn)
        self._writer.start()

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
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _do(self, op: Op[T]) -> T:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        return await self._writer.run(lambda conn: run_sqlite(conn, op))
