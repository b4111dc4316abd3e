"""What every command shares: exit codes, reading the settings, opening the store."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bridge.cli.exits import EXIT_FAILED, EXIT_START, EXIT_USAGE
from bridge.errors import ConfigError
from bridge.logs.setup import configure_logging
from bridge.settings.load import Purpose, load_settings
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.store.factory import open_store

__all__ = [
    "EXIT_FAILED",
    "EXIT_START",
    "EXIT_USAGE",
    "configure_logging",
    "opened_store",
    "read_settings",
]


def read_settings(path: Path, purpose: Purpose = Purpose.COMMAND) -> Settings:
    """The settings, or the report of every fault on stderr and exit code 2. A command
    needs none of the running service's secrets (``Purpose``); ``run`` asks for ``SERVE``."""
    try:
        return load_settings(path, purpose)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[Store]:
    store = open_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
