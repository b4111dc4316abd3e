"""The store's SQL, kept in the ``.sql`` files beside this module and read once, at import.

Each statement follows a ``-- name: some_name`` line and runs to the next one; a statement
whose PostgreSQL form must differ (claiming with ``FOR UPDATE SKIP LOCKED``) follows
``-- name: some_name.postgres``. Other comment lines are notes for the reader and are left
out of the statement. Statements use ``?`` placeholders (``bridge.store.statements`` numbers
them for asyncpg), so a ``?`` may not appear in a comment inside a statement or a literal.
A PostgreSQL form that needs an argument twice (a claim's limit, in each of its parts) may
number its placeholders itself, ``$1`` to ``$n``, for the same arguments in the same order.

A statement that only PostgreSQL can run (an UPDATE inside WITH, which SQLite lacks) follows
``-- name: some_name (postgres only)``; only ``bridge.store.postgres`` may use it.

A file that breaks these rules (a name given twice, a variant without its statement, a
variant with other placeholders) stops the import, so a mistake shows at start-up, not at
the first use of one statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["Q", "Queries", "Query", "paired", "parse"]

_NAME = re.compile(r"^-- name: ([a-z][a-z0-9_]*)(\.postgres| \(postgres only\))?\s*$")
VARIANT = ".postgres"
ONLY = " (postgres only)"


@dataclass(frozen=True, slots=True)
class Query:
    """One named statement, with its PostgreSQL form when that differs."""

    name: str
    text: str
    postgres: str | None = None
    postgres_only: bool = False  # then ``text`` is PostgreSQL's, and SQLite must not run it


class Queries:
    """Every named statement as an attribute: ``Q.claim_sms``."""

    def __init__(self, queries: dict[str, Query]) -> None:
        self._queries = queries

    def __getattr__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(
                f"no statement is named {name!r} in bridge/store/queries"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._queries)


def parse(text: str, *, source: str) -> dict[str, str]:
    """The statements of one file by name (a PostgreSQL form as ``name.postgres``)."""
    found: dict[str, list[str]] = {}
    body: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        named = _NAME.match(line)
        if named:
            name = named.group(1) + (named.group(2) or "")
            if name in found:
                raise ValueError(f"{source}:{number}: a second statement named {name}")
            body = found[name] = []
        elif not line.strip() or line.lstrip().startswith("--"):
            continue
        elif body is None:
            raise ValueError(f"{source}:{number}: SQL before the first '-- name:' line")
        else:
            body.append(line.rstrip())
    statements = {name: "\n".join(lines).strip().rstrip(";") for name, lines in found.items()}
    empty = [name for name, sql in statements.items() if not sql]
    if empty:
        raise ValueError(f"{source}: no SQL under {', '.join(empty)}")
    return statements


def paired(texts: dict[str, str]) -> dict[str, Query]:
    """Each statement with its PostgreSQL form, checked to take the same arguments."""
    queries = {}
    for name, sql in texts.items():
        if name.endswith(ONLY):
            own = name.removesuffix(ONLY)
            if own in texts or own + VARIANT in texts:
                raise ValueError(f"{own} is named for PostgreSQL only and for both")
            if _arguments(sql) < 0:
                raise ValueError(f"{own} mixes numbered placeholders with others")
            queries[own] = Query(own, sql, sql, postgres_only=True)
            continue
        if name.endswith(VARIANT):
            if name.removesuffix(VARIANT) not in texts:
                raise ValueError(f"{name} has no statement of its own to vary")
            continue
        postgres = texts.get(name + VARIANT)
        if postgres is not None and _arguments(postgres) != sql.count("?"):
            raise ValueError(f"{name}{VARIANT} takes other arguments than {name}")
        queries[name] = Query(name, sql, postgres)
    return queries


def _arguments(postgres: str) -> int:
    """How many arguments a PostgreSQL form takes: its ``?``, or its highest ``$n`` when it
    numbers them itself (then with no ``?`` besides, and no number left out)."""
    numbered = {int(n) for n in _NUMBERED.findall(postgres)}
    if not numbered:
        return postgres.count("?")
    if "?" in postgres or numbered != set(range(1, max(numbered) + 1)):
        return -1
    return max(numbered)


_NUMBERED = re.compile(r"\$(\d+)")


def load() -> Queries:
    """Read every ``.sql`` file of this package; a name may be used once in all of them."""
    texts: dict[str, str] = {}
    files = sorted(resources.files(__name__).iterdir(), key=lambda file: file.name)
    for file in files:
        if not file.name.endswith(".sql"):
            continue
        for name, sql in parse(file.read_text(encoding="utf-8"), source=file.name).items():
            if name in texts:
                raise ValueError(f"{file.name}: {name} is already named in another file")
            texts[name] = sql
    return Queries(paired(texts))


Q = load()
