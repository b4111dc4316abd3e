"""Keeping a job's lease while a slow provider call runs.

A claim leases a job for ``queue.lease_seconds``; a provider that takes longer to answer (a
slow API, a long timeout) must not let the lease run out meanwhile, or another bridge would
take the job over and send it again. ``LeaseKeeper`` renews the lease every third of it for
as long as its ``with`` block runs. Most calls end long before the first renewal is due, so
it costs a timer, not a task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

__all__ = ["LeaseKeeper"]

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Call ``renew`` every ``every`` seconds until the block ends or ``renew`` says the lease
    is gone (False); a renewal that fails is logged and tried again at the next turn."""

    def __init__(self, renew: Callable[[], Awaitable[bool]], *, every: float, job_id: str) -> None:
        self._renew = renew
        self._every = every
        self._job_id = job_id
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> LeaseKeeper:
        self._schedule()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()  # a renewal still running is of no use any more

    def _schedule(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._every, self._due)

    def _due(self) -> None:
        self._timer = None
        self._task = asyncio.create_task(self._renewal(), name=f"lease {self._job_id}")

    async def _renewal(self) -> None:
        try:
            kept = await self._renew()
        except Exception:
            log.warning(
                "job %s: its lease could not be renewed; trying again in %.1f s",
                self._job_id,
                self._every,
                exc_info=True,
            )
            kept = True  # the lease may well still be ours: the next turn asks again
        if not kept:
            log.warning(
                "job %s: its lease passed to another worker while the provider was answering",
                self._job_id,
            )
            return
        self._schedule()
