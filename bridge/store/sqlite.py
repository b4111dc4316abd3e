"""The embedded store: SQLite in WAL mode, one writer thread, group commit.

One bridge owns a database file at a time (``app.py`` holds a lock file next to it), so at
start-up every lease left by a killed process can be released at once instead of waiting for
it to expire. The operations themselves are shared with PostgreSQL (``bridge.store.ops``).
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import TypeVar

from bridge.store.sql_store import SqlStore
from bridge.store.sqlite_writer import SqliteWriter, connect
from bridge.store.statements import Op, run_sqlite

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SchemaTooNew", "SqliteStore", "migrate"]

T = TypeVar("T")
MIGRATIONS = (
    "001_initial.sql",
    "002_inbound.sql",
    "003_mailboxes.sql",
    "004_providers.sql",
    "005_rate_buckets.sql",
    "006_heartbeats.sql",
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer bridge; running against it could corrupt it."""

    def __init__(self, current: int) -> None:
        super().__init__(
            f"the database has schema version {current}, this bridge knows up to {SCHEMA_VERSION}:"
            " upgrade the bridge"
        )


def migration_sql(version: int) -> str:
    """The SQLite text of migration ``version`` (1-based)."""
    sql_dir = resources.files("bridge.store") / "sql"
    return (sql_dir / f"sqlite_{MIGRATIONS[version - 1]}").read_text(encoding="utf-8")


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's ``user_version``; return the new version."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current)
    for version in range(current + 1, SCHEMA_VERSION + 1):
        script = migration_sql(version)
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return SCHEMA_VERSION


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
            migrate(conn)
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
            before = int(conn.execute("PRAGMA user_version").fetchone()[0])
            return before, migrate(conn)
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
