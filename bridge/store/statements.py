"""Store operations written once, run by either backend: SQL as data, the driver apart.

Every store operation is a generator (``Op``) that yields ``Sql`` statements and receives each
one's result: a row count, one row or all rows. ``run_sqlite`` drives it synchronously on the
SQLite writer thread (inside that backend's group commit); ``run_postgres`` drives it with
asyncpg inside one PostgreSQL transaction. So the decisions (what to insert, when a job may
move, what a duplicate means) exist once, and each backend only says how to talk to its
database. The statements are named in ``bridge/store/queries`` (a ``Query``, with its
PostgreSQL form when that must differ); a plain string is taken as it is. They use ``?``
placeholders. Rows are read by column name, which ``sqlite3.Row`` and ``asyncpg.Record`` both
allow.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from bridge.store.queries import Query

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = [
    "Op",
    "Part",
    "PgConnection",
    "Sql",
    "all_rows",
    "count",
    "one_row",
    "read_sqlite",
    "row",
    "rows",
    "run_postgres",
    "run_sqlite",
    "selected",
    "value",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sql:
    text: str
    args: tuple[Any, ...]
    want: Literal["count", "one", "all"]
    postgres: str | None = None  # the PostgreSQL form, when it is not the same text
    alone: bool = False  # the op's only statement: PostgreSQL may run it without BEGIN/COMMIT


Op = Generator[Sql, Any, T]
PgConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


def _sql(
    statement: Query | str, args: tuple[Any, ...], want: Literal["count", "one", "all"], alone: bool
) -> Sql:
    if isinstance(statement, str):
        return Sql(statement, args, want, None, alone)
    return Sql(statement.text, args, want, statement.postgres, alone)


def count(statement: Query | str, *args: Any, alone: bool = False) -> Sql:
    """A statement whose result is the number of rows it changed. ``alone``: it is the whole
    operation, so one statement's own atomicity is enough (no BEGIN and COMMIT round trips)."""
    return _sql(statement, args, "count", alone)


def one_row(statement: Query | str, *args: Any) -> Sql:
    return _sql(statement, args, "one", False)


def all_rows(statement: Query | str, *args: Any, alone: bool = False) -> Sql:
    return _sql(statement, args, "all", alone)


Part: TypeAlias = "tuple[Query, tuple[Any, ...]]"


def selected(parts: Sequence[Part]) -> Sql:
    """One row whose columns ``f0``, ``f1``, ... are ``parts`` (``value``, ``row``, ``rows``),
    each with its arguments: several reads in one statement (``bridge/store/ops_facts.py``)."""
    query = _select_of(tuple(part for part, _ in parts))
    return _sql(query, tuple(arg for _, args in parts for arg in args), "one", False)


def value(statement: Query, *args: Any) -> Part:
    """A statement's one value (a count) as a column of ``selected``."""
    return _wrapped(statement, "value", ()), args


def row(statement: Query, columns: tuple[str, ...], *args: Any) -> Part:
    """A statement's first row, its ``columns`` as a JSON array (NULL without a row)."""
    return _wrapped(statement, "row", columns), args


def rows(statement: Query, columns: tuple[str, ...], *args: Any) -> Part:
    """A statement's rows, each its ``columns`` as a JSON array, in a JSON array."""
    return _wrapped(statement, "rows", columns), args


# How each backend turns a statement into one column: (SQLite, PostgreSQL).
_WRAPS = {
    "value": ("({q})", "({q})"),
    "row": (
        "(SELECT json_array({c}) FROM ({q}) AS part LIMIT 1)",
        "(SELECT json_build_array({c})::text FROM ({q}) AS part LIMIT 1)",
    ),
    "rows": (
        "(SELECT json_group_array(json_array({c})) FROM ({q}) AS part)",
        "(SELECT COALESCE(json_agg(json_build_array({c})), '[]')::text FROM ({q}) AS part)",
    ),
}


@lru_cache(maxsize=64)
def _wrapped(statement: Query, shape: str, columns: tuple[str, ...]) -> Query:
    sqlite, postgres = _WRAPS[shape]
    named = ", ".join(columns)
    return Query(
        statement.name,
        sqlite.format(q=statement.text, c=named),
        postgres.format(q=statement.postgres or statement.text, c=named),
    )


@lru_cache(maxsize=64)
def _select_of(parts: tuple[Query, ...]) -> Query:
    text = ", ".join(f"{part.text} AS f{i}" for i, part in enumerate(parts))
    postgres = ", ".join(f"{part.postgres or part.text} AS f{i}" for i, part in enumerate(parts))
    name = "+".join(part.name for part in parts)
    return Query(name, f"SELECT {text}", f"SELECT {postgres}")


def run_sqlite(conn: sqlite3.Connection, op: Op[T]) -> T:
    """Run ``op`` on a SQLite connection already inside a transaction (the writer's group
    commit), all or nothing: in a SAVEPOINT of its own, so that one failing operation does not
    undo its neighbours. An operation whose first statement is marked ``alone`` needs none (a
    statement that fails undoes itself), which saves two statements per hot update on the
    writer thread; it may not run a second statement.
    """
    try:
        statement = next(op)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    if statement.alone:
        try:
            op.send(_execute(conn, statement))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        raise RuntimeError(f"an operation marked alone ran a second statement: {op}")
    conn.execute("SAVEPOINT op")
    try:
        while True:
            statement = op.send(_execute(conn, statement))
    except StopIteration as done:
        conn.execute("RELEASE op")
        return done.value  # type: ignore[no-any-return]
    except BaseException:
        if conn.in_transaction:  # else SQLite already rolled everything back (a full disk)
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
        raise


def read_sqlite(conn: sqlite3.Connection, op: Op[T]) -> T:
    """Run ``op``, which only reads, on a connection of its own: each statement sees what was
    committed when it ran, or when the caller's read transaction began (``SqliteStore`` runs
    the reads of one turn of the event loop in one). No SAVEPOINT (nothing to undo), and every
    row is fetched, so no statement is left open to hold a snapshot (and the WAL) behind it."""
    try:
        statement = next(op)
        while True:
            if statement.want == "count":  # (and the connection is query_only besides)
                raise RuntimeError(f"a read ran a statement that writes: {statement.text}")
            rows = conn.execute(statement.text, statement.args).fetchall()
            statement = op.send(rows if statement.want == "all" else (rows[0] if rows else None))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _execute(conn: sqlite3.Connection, statement: Sql) -> Any:
    cursor = conn.execute(statement.text, statement.args)
    if statement.want == "count":
        return cursor.rowcount
    if statement.want == "one":
        return cursor.fetchone()
    return cursor.fetchall()


async def read_postgres(conn: PgConnection, op: Op[T]) -> T:
    """Run ``op``, which only reads, statement by statement outside a transaction, as
    ``read_sqlite`` does: no BEGIN and COMMIT round trips for reads that need no snapshot."""
    try:
        statement = next(op)
        while True:
            if statement.want == "count":
                raise RuntimeError(f"a read ran a statement that writes: {statement.text}")
            statement = op.send(await _run(conn, statement))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_postgres(conn: PgConnection, op: Op[T]) -> T:
    """Run ``op`` on an asyncpg connection, as one transaction.

    An operation whose first statement is marked ``alone`` runs it on its own (a single
    statement is atomic by itself), which saves two round trips: a fifth of the time of the
    workers' hot updates. It may not yield a second statement.
    """
    try:
        statement = next(op)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    if statement.alone:
        try:
            op.send(await _run(conn, statement))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        raise RuntimeError(f"an operation marked alone ran a second statement: {op}")
    async with conn.transaction():  # committed when the op returns (StopIteration is caught
        while True:  # inside, or the transaction would take it for an error and roll back)
            try:
                statement = op.send(await _run(conn, statement))
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


async def _run(conn: PgConnection, statement: Sql) -> Any:
    text = postgres_text(statement.postgres or statement.text)
    if statement.want == "count":
        return _rowcount(await conn.execute(text, *statement.args))
    if statement.want == "one":
        return await conn.fetchrow(text, *statement.args)
    return await conn.fetch(text, *statement.args)


@lru_cache(maxsize=512)
def postgres_text(text: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, ...`` (our SQL has no ``?`` in literals)."""
    numbers = iter(range(1, text.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(numbers)}", text)


def _rowcount(status: str) -> int:
    """asyncpg's command status ("UPDATE 3", "INSERT 0 1") as a row count."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
