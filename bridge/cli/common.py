"""What every command shares: exit codes, reading the settings, opening the store."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bridge.errors import ConfigError
from bridge.logs.context import IdsFilter
from bridge.logs.json_lines import JsonLines
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

# 0 success, 1 the operation failed (a text refused, nothing to show), 2 bad usage or invalid
# settings (argparse's own convention), 3 the bridge could not start.
EXIT_FAILED, EXIT_USAGE, EXIT_START = 1, 2, 3


def read_settings(path: Path, purpose: Purpose = Purpose.COMMAND) -> Settings:
    """The settings, or the report of every fault on stderr and exit code 2. A command
    needs none of the running service's secrets (``Purpose``); ``run`` asks for ``SERVE``."""
    try:
        return load_settings(path, purpose)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def configure_logging(level: str, log_format: str = "text") -> None:
    """Lines to stderr (journald and Docker collect them there): text for people, or one JSON
    object per line for a log collector, with the ids of the job, customer's text or
    conversation being worked on (``bridge.logs``) as fields of their own."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(IdsFilter())
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # aiosmtpd logs every command, whole addresses (phone numbers) included, at INFO, and
    # httpx every request's URL, which for an aggregator taking its fields in the query string
    # holds the number, the text and the key: keep their chatter for debugging only. Our own
    # lines mask numbers.
    if level != "DEBUG":
        for chatty in ("mail.log", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[Store]:
    store = open_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
