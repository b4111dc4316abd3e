"""Forgetting finished work after ``store.retention_days``, so the store stays small.

Pictures kept for MMS go as soon as they expire (``text.media_expiry_days``), retention or
not. Jobs, routed texts and conversations hold phone numbers and message text: an organisation
should not keep them for ever, and the queue's indexes stay fast when the table does not grow
without bound. One bridge of a cluster does this (``bridge.cluster.OncePerCluster``), once at
start and then every ``interval`` seconds.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bridge.clock import Clock
from bridge.store.base import Upkeep
from bridge.workers.loop import Loop

__all__ = ["Cleanup"]

log = logging.getLogger(__name__)


class Cleanup(Loop):
    def __init__(
        self, *, store: Upkeep, retention_days: int, clock: Clock, interval: float = 3600.0
    ) -> None:
        super().__init__()
        self._store = store
        self._keep = timedelta(days=retention_days)
        self._clock = clock
        self._interval = interval

    async def run(self) -> None:
        while not self.stopping:
            await self.once()
            await self.sleep(self._interval)

    async def once(self) -> int:
        """Purge once; a failure is logged and tried again at the next interval."""
        try:
            now = self._clock()
            deleted = await self._store.purge(before=now - self._keep)
            deleted += await self._store.purge_media(now=now)  # pictures served for MMS
        except Exception:
            log.exception("clean-up failed; trying again in %.0f s", self._interval)
            return 0
        if deleted:
            log.info(
                "clean-up: forgot %d finished record(s) older than %d days",
                deleted,
                self._keep.days,
            )
        return deleted
