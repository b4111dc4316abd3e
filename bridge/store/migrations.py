"""The schema's versions, and how each backend is brought up to the newest.

The migrations are the files of ``bridge/store/sql``, written for SQLite and applied in
order; PostgreSQL runs the same files with three type names mapped (REAL to DOUBLE PRECISION,
BLOB to BYTEA, INTEGER to BIGINT), so both databases always have the same tables. SQLite
keeps its version in ``PRAGMA user_version`` and is migrated at every start (one bridge owns
the file). PostgreSQL keeps it in the ``schema_version`` table and is migrated only by
``smsbridge migrate``, under an advisory lock, so two bridges started together cannot both
migrate; a bridge refuses a schema older (run ``smsbridge migrate``) or newer than it knows.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from importlib import resources

from bridge.store.statements import PgConnection

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SchemaTooNew",
    "SchemaTooOld",
    "check_postgres",
    "lock_key",
    "migrate_postgres",
    "migrate_sqlite",
    "migration_sql",
    "postgres_sql",
    "sqlite_version",
]

MIGRATIONS = (
    "001_initial.sql",
    "002_inbound.sql",
    "003_mailboxes.sql",
    "004_providers.sql",
    "005_rate_buckets.sql",
    "006_heartbeats.sql",
    "007_chain.sql",
    "008_conversations.sql",
    "009_contacts.sql",
    "010_media.sql",
    "011_categories.sql",
    "012_consent.sql",
    "013_caps.sql",
    "014_velocity.sql",
    "015_batches.sql",
    "016_reported_prices.sql",
    "017_bulk.sql",
    "018_flows.sql",
    "019_console.sql",
    "020_api_tokens.sql",
    "021_links.sql",
    "022_covering_counts.sql",
    "023_bulk_previewed.sql",
    "024_suppressions_by_customer.sql",
    "025_spend_days.sql",
)
SCHEMA_VERSION = len(MIGRATIONS)
MIGRATION_LOCK = "smsbridge migrations"
_TYPES = {"REAL": "DOUBLE PRECISION", "BLOB": "BYTEA", "INTEGER": "BIGINT"}


class SchemaTooNew(RuntimeError):
    """The database was written by a newer bridge; running against it could corrupt it."""

    def __init__(self, current: int) -> None:
        super().__init__(
            f"the database has schema version {current}, this bridge knows up to {SCHEMA_VERSION}:"
            " upgrade the bridge"
        )


class SchemaTooOld(RuntimeError):
    """A shared database not yet migrated: only ``smsbridge migrate`` changes its schema."""

    def __init__(self, current: int) -> None:
        super().__init__(
            f"the database has schema version {current} and this bridge needs {SCHEMA_VERSION}:"
            " run `smsbridge migrate` first"
        )


def migration_sql(version: int) -> str:
    """The SQLite text of migration ``version`` (1-based)."""
    sql_dir = resources.files("bridge.store") / "sql"
    return (sql_dir / f"sqlite_{MIGRATIONS[version - 1]}").read_text(encoding="utf-8")


def postgres_sql(sqlite_sql: str) -> str:
    """A migration's SQLite text in PostgreSQL's types."""
    return re.sub(r"\b(REAL|BLOB|INTEGER)\b", lambda m: _TYPES[m.group(1)], sqlite_sql)


def lock_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (the migration lock
    here, the cluster locks in ``bridge.store.postgres``)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def sqlite_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate_sqlite(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's ``user_version``; return the new version.

    All of them in one transaction, as on PostgreSQL: one that fails leaves the file as it
    was, and a new file is made with one fsync, not one a migration (a fresh data folder's
    first start was 0.2-0.5 s slower for the 21 commits, docs/benchmarks.md)."""
    current = sqlite_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current)
    if current == SCHEMA_VERSION:
        return SCHEMA_VERSION
    scripts = "\n".join(
        migration_sql(version) for version in range(current + 1, SCHEMA_VERSION + 1)
    )
    try:
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{scripts}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


async def postgres_version(conn: PgConnection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    value = await conn.fetchval("SELECT max(version) FROM schema_version")
    return int(value or 0)


async def check_postgres(conn: PgConnection) -> None:
    """Refuse a schema this bridge was not written for (``open`` never migrates)."""
    current = await postgres_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current)
    if current < SCHEMA_VERSION:
        raise SchemaTooOld(current)


async def migrate_postgres(conn: PgConnection) -> tuple[int, int]:
    """Bring the schema to this bridge's version in one transaction; (before, after)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(MIGRATION_LOCK))
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        before = await postgres_version(conn)
        if before > SCHEMA_VERSION:
            raise SchemaTooNew(before)
        for version in range(before + 1, SCHEMA_VERSION + 1):
            await conn.execute(postgres_sql(migration_sql(version)))
        await conn.execute("DELETE FROM schema_version")
        await conn.execute("INSERT INTO schema_version VALUES ($1)", max(before, SCHEMA_VERSION))
    return before, max(before, SCHEMA_VERSION)
