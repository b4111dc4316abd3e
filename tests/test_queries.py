"""The named SQL files: how they are read, and that every statement in them is used and
compiles against the real schema of both backends."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bridge.store.migrations import migrate_sqlite
from bridge.store.postgres import PostgresStore
from bridge.store.queries import Q, Query, paired, parse
from bridge.store.sqlite_writer import connect
from bridge.store.statements import postgres_text
from tests.conftest import postgres_schema

STORE = Path(__file__).resolve().parents[1] / "bridge" / "store"


def test_a_file_is_read_as_named_statements_without_its_notes() -> None:
    text = (
        "-- A note about the file.\n\n"
        "-- name: one\n-- a note about one\nSELECT 1\nFROM t;\n\n"
        "-- name: one.postgres\nSELECT 1 FROM t FOR UPDATE\n"
    )
    assert parse(text, source="x.sql") == {
        "one": "SELECT 1\nFROM t",
        "one.postgres": "SELECT 1 FROM t FOR UPDATE",
    }
    assert paired(parse(text, source="x.sql")) == {
        "one": Query("one", "SELECT 1\nFROM t", "SELECT 1 FROM t FOR UPDATE")
    }


def test_a_statement_may_be_for_postgresql_only() -> None:
    text = "-- name: two (postgres only)\nWITH d AS (DELETE FROM t RETURNING id) SELECT $1\n"
    sql = "WITH d AS (DELETE FROM t RETURNING id) SELECT $1"
    assert paired(parse(text, source="x.sql")) == {
        "two": Query("two", sql, sql, postgres_only=True)
    }
    with pytest.raises(ValueError, match="PostgreSQL only and for both"):
        paired({"two": "SELECT 1", "two (postgres only)": "SELECT 2"})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", "a second statement named a"),
        ("SELECT 1\n-- name: a\nSELECT 2\n", "SQL before the first"),
        ("-- name: a\n-- only a note\n", "no SQL under a"),
    ],
)
def test_a_malformed_file_is_refused(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse(text, source="x.sql")


def test_a_variant_needs_its_statement_and_the_same_arguments() -> None:
    with pytest.raises(ValueError, match="no statement of its own"):
        paired({"b.postgres": "SELECT 1"})
    with pytest.raises(ValueError, match="other arguments"):
        paired({"b": "SELECT ?", "b.postgres": "SELECT ?, ?"})


@pytest.mark.parametrize(
    ("postgres", "takes"),
    [
        ("SELECT $1, $2 LIMIT $2", True),  # numbered: an argument may be used twice
        ("SELECT $1 LIMIT $1", False),  # one argument, where the statement takes two
        ("SELECT $1, $3", False),  # a number left out
        ("SELECT $1, ?", False),  # numbered and not, mixed
    ],
)
def test_a_variant_may_number_its_placeholders(postgres: str, takes: bool) -> None:
    texts = {"b": "SELECT ? LIMIT ?", "b.postgres": postgres}
    if takes:
        assert paired(texts)["b"].postgres == postgres
    else:
        with pytest.raises(ValueError, match="other arguments"):
            paired(texts)


def test_every_named_statement_is_used_by_the_store() -> None:
    code = "\n".join(path.read_text(encoding="utf-8") for path in STORE.glob("*.py"))
    used = set(re.findall(r"\bQ\.([a-z][a-z0-9_]*)", code))
    assert set(Q.names()) - used == set()
    assert used - set(Q.names()) == set()


def test_every_statement_compiles_on_sqlite(tmp_path: Path) -> None:
    conn = connect(tmp_path / "bridge.db")
    migrate_sqlite(conn)
    for name in Q.names():
        query = getattr(Q, name)
        if query.postgres_only:
            continue
        try:
            conn.execute("EXPLAIN " + query.text, [None] * query.text.count("?"))
        except sqlite3.Error as exc:
            pytest.fail(f"{name}: {exc}")
    conn.close()


async def test_every_statement_compiles_on_postgres() -> None:
    with postgres_schema() as dsn:
        await PostgresStore(dsn).migrate()
        conn = await asyncpg.connect(dsn)
        try:
            for name in Q.names():
                query = getattr(Q, name)
                try:
                    await conn.prepare(postgres_text(query.postgres or query.text))
                except asyncpg.PostgresError as exc:
                    pytest.fail(f"{name}: {exc}")
        finally:
            await conn.close()
