"""The ids of what a log line is about (a job, a customer's text, a conversation), set once
where the work starts and added to every line logged while it runs, by the worker's task
alone: asyncio gives each task its own copy of the context, so concurrent jobs never mix.

    with bound(job=job.id):
        await handle(job)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["FIELDS", "IdsFilter", "bind", "bound"]

FIELDS = ("job", "inbound", "conversation")
_IDS: ContextVar[dict[str, str] | None] = ContextVar("smsbridge_log_ids", default=None)


@contextmanager
def bound(**ids: str) -> Iterator[None]:
    """Add ``ids`` (of ``FIELDS``; empty ones left out) to every line logged in the block."""
    token = _IDS.set({**(_IDS.get() or {}), **{k: v for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _IDS.reset(token)


def bind(**ids: str) -> None:
    """Add ``ids`` for the rest of the current task (inside a ``bound`` block: until it ends)."""
    _IDS.set({**(_IDS.get() or {}), **{k: v for k, v in ids.items() if v}})


class IdsFilter(logging.Filter):
    """Puts the bound ids on each record as ``record.ids`` (a dict, maybe empty)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ids = _IDS.get() or {}
        return True
