"""Choose the store backend the settings name; callers only ever see ``Store``."""

from __future__ import annotations

from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.store.sqlite import SqliteStore

__all__ = ["open_store", "store_errors"]


def open_store(settings: Settings) -> Store:
    """The configured store, not yet opened."""
    store = settings.store
    if store.backend == "postgres" and store.dsn:
        from bridge.store.postgres import PostgresStore  # asyncpg: only for this backend

        password = store.password.get_secret_value() if store.password else None
        return PostgresStore(store.dsn, password=password, pool_size=store.pool_size)
    return SqliteStore(settings.database_path)


def store_errors(*also: type[Exception]) -> tuple[type[Exception], ...]:
    """``also``, and what opening a store raises when it cannot be used: the file system's
    errors and PostgreSQL's (asyncpg is imported here, when something already went wrong)."""
    import asyncpg

    return (*also, OSError, asyncpg.PostgresError)
