"""Clicks on short links, written in batches: the redirect answers at once, and the clicks
it saw are stored together a moment later.

``add`` only appends to a list (no I/O on the redirect's path); the loop writes what has
gathered every ``every`` seconds (one transaction, one commit, whatever the rate), sooner
when ``batch`` clicks are waiting, and once more when the bridge stops. So a click is
durable within a second; a bridge killed outright (SIGKILL, power) loses at most the clicks
of that last second, never a text or a link. A batch the store refuses is kept and tried
again (up to ``keep`` clicks waiting; beyond that the oldest are dropped, and logged).
"""

from __future__ import annotations

import asyncio
import logging

from bridge.models import Click
from bridge.store.base import Links
from bridge.workers.loop import Loop, backoff

__all__ = ["ClickRecorder"]

log = logging.getLogger(__name__)


class ClickRecorder(Loop):
    def __init__(
        self, *, store: Links, every: float = 1.0, batch: int = 500, keep: int = 100_000
    ) -> None:
        super().__init__()
        self._store = store
        self._every = every
        self._batch = batch
        self._keep = keep
        self._waiting: list[Click] = []
        self._full = asyncio.Event()
        self._failures = 0

    def add(self, click: Click) -> None:
        self._waiting.append(click)
        if len(self._waiting) >= self._batch:
            self._full.set()
        if len(self._waiting) > self._keep:
            dropped = len(self._waiting) - self._keep
            del self._waiting[:dropped]
            log.error("%d click(s) dropped: the store has not taken them", dropped)

    async def run(self) -> None:
        while not self.stopping:
            await self._wait()
            await self.flush()
        await self.flush()

    async def _wait(self) -> None:
        wait = self._every if not self._failures else backoff(self._failures, base=1, cap=30)
        full = asyncio.ensure_future(self._full.wait())
        stop = asyncio.ensure_future(self.sleep(wait))
        await asyncio.wait((full, stop), return_when=asyncio.FIRST_COMPLETED)
        for task in (full, stop):
            task.cancel()
        self._full.clear()

    async def flush(self) -> None:
        """Write every click waiting now."""
        if not self._waiting:
            return
        batch, self._waiting = self._waiting, []
        try:
            await self._store.record_clicks(batch)
        except Exception as exc:
            self._failures += 1
            self._waiting[:0] = batch
            log.error("%d click(s) not stored yet: %s", len(batch), type(exc).__name__)
        else:
            self._failures = 0
