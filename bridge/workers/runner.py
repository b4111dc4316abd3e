"""A claim loop shared by the SMS and mail workers.

It claims as many due jobs as it has free slots, runs each in its own task, and sleeps until
woken (new work was committed, a slot freed up) or until the poll interval passes, which also
picks up jobs written by another process such as ``smsbridge send``.

A handler may answer with the job its worker takes next, leased by a statement that
recorded an outcome (the SMS worker on PostgreSQL, ``Store.sms_sent_claiming``): the task
goes on to it in the same slot, without a claim. ``on_stop`` tells the handler to lease no
more that way when the runner drains; what it already leased is still delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bridge.logs.context import bound
from bridge.workers.loop import Loop

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)
J = TypeVar("J")


class JobRunner(Loop, Generic[J]):
    """Claim with ``claim(limit)``, deliver with ``handle(job)`` (and the job it answers with,
    if any), at most ``concurrency`` at once."""

    def __init__(
        self,
        *,
        name: str,
        claim: Callable[[int], Awaitable[list[J]]],
        handle: Callable[[J], Awaitable[J | None]],
        concurrency: int,
        poll_seconds: float,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self._claim = claim
        self._handle = handle
        self._on_stop = on_stop
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._claiming_done = asyncio.Event()  # set while ``run`` is not in its loop
        self._claiming_done.set()

    def wake(self) -> None:
        """Called after new work is committed, so it is picked up without waiting for a poll."""
        self._wake.set()

    async def run(self) -> None:
        self._claiming_done.clear()
        try:
            while not self.stopping:
                claimed = await self._claim_some()
                if claimed == 0 or len(self._tasks) >= self._concurrency:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll)
        finally:
            self._claiming_done.set()

    async def _claim_some(self) -> int:
        free = self._concurrency - len(self._tasks)
        self._wake.clear()  # when full, the next job to finish wakes the loop again (_done)
        if free <= 0:
            return 0
        try:
            jobs = await self._claim(free)
        except Exception:
            log.exception("%s: claiming jobs failed; trying again in %.1f s", self.name, self._poll)
            return 0
        for job in jobs:
            task = asyncio.create_task(self._guarded(job))
            self._tasks.add(task)
            task.add_done_callback(self._done)
        return len(jobs)

    async def _guarded(self, job: J) -> None:
        following: J | None = job
        while following is not None:
            following = await self._one(following)

    async def _one(self, job: J) -> J | None:
        ids = {"inbound" if self.name == "inbound" else "job": str(getattr(job, "id", ""))}
        try:
            with bound(**ids):  # on every line logged about this job (bridge.logs)
                return await self._handle(job)
        except Exception:
            # The job keeps its lease and is claimed again when it expires: nothing is lost.
            log.exception("%s: unexpected error while delivering a job", self.name)
            return None

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()

    def stop(self) -> None:
        super().stop()
        if self._on_stop is not None:
            self._on_stop()
        self._wake.set()

    async def drain(self, *, grace_seconds: float) -> None:
        """Stop claiming; let jobs in flight finish within the grace period, then cancel them."""
        self.stop()
        # A claim in progress when stop was called still starts its jobs: wait for it, so that
        # those jobs are waited for too rather than running on after the store has closed.
        await self._claiming_done.wait()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
                log.warning(
                    "%s: %d job(s) interrupted; retried at next start", self.name, len(pending)
                )
