"""Work that must run on one bridge of a cluster at a time: pollers and mailbox watchers.

Two bridges polling the same reply number would each fetch the same texts (harmless, the
store keeps each once, but twice the provider's rate limit); two watching one IMAP folder
would race to move the same message. So each such worker runs only while its bridge holds a
named lock in the store (``Store.try_lock``: a PostgreSQL advisory lock, or always for a
store only one bridge uses). A bridge that does not hold the lock tries again every
``retry_seconds``; the holder checks every ``check_seconds`` that its lock is still alive and
stops the worker if its database connection, and with it the lock, is gone. When a bridge
dies its connection closes, the lock is released, and another bridge takes over within one
retry interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bridge.store.base import ClusterLocks
from bridge.workers.loop import Loop

__all__ = ["OncePerCluster"]

log = logging.getLogger(__name__)


class OncePerCluster(Loop):
    def __init__(
        self,
        *,
        store: ClusterLocks,
        name: str,
        make: Callable[[], Loop],
        retry_seconds: float = 5.0,
        check_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self._store = store
        self._name = name
        self._make = make
        self._retry = retry_seconds
        self._check = check_seconds

    async def run(self) -> None:
        while not self.stopping:
            try:
                lock = await self._store.try_lock(self._name)
            except Exception as exc:  # the database is away: try again later
                log.warning("%s: cannot ask for the cluster lock (%s)", self._name, exc)
                lock = None
            if lock is None:
                await self.sleep(self._retry)
                continue
            log.info("%s: running on this bridge", self._name)
            try:
                await self._hold(lock.alive)
            finally:
                await lock.release()

    async def _hold(self, alive: Callable[[], Coroutine[Any, Any, bool]]) -> None:
        worker = self._make()
        task = asyncio.create_task(worker.run(), name=self._name)
        try:
            while not self.stopping and not task.done():
                await self.sleep(self._check)
                if not self.stopping and not await alive():
                    log.warning(
                        "%s: lost the cluster lock; another bridge may take over", self._name
                    )
                    break
        finally:
            worker.stop()
            await task
