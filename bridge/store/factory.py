"""Choose the store backend the settings name; callers only ever see ``Store``."""

from __future__ import annotations

from bridge.config import Settings
from bridge.store.base import Store
from bridge.store.sqlite import SqliteStore

__all__ = ["open_store"]


def open_store(settings: Settings) -> Store:
    """The configured store, not yet opened (SQLite is the only backend so far)."""
    return SqliteStore(settings.database_path)
