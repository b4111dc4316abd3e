"""Keeping jobs' leases while slow provider calls run.

A claim leases a job for ``queue.lease_seconds``; a provider that takes longer to answer (a
slow API, a long timeout) must not let the lease run out meanwhile, or another bridge would
take the job over and send it again. ``LeaseKeeper`` renews the lease of every job whose
provider call is running, every third of the lease, so each is renewed within a third of the
lease of its call starting and then every third. One timer serves every call, armed while any
call runs: a busy worker pays a dictionary entry per call, not a timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

__all__ = ["LeaseKeeper"]

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Calls ``renew(job_id)`` every ``every`` seconds for each job inside ``calling(job_id)``.

    ``renew`` answers False when the lease is gone (another worker has the job): that is
    logged, and the call runs on (what it does is no longer recorded: the store's updates are
    fenced). A renewal that fails is logged and tried again at the next turn.
    """

    def __init__(self, renew: Callable[[str], Awaitable[bool]], *, every: float) -> None:
        self._renew = renew
        self._every = every
        self._calls: set[str] = set()
        self._lost: set[str] = set()  # no use renewing these again
        self._timer: asyncio.TimerHandle | None = None
        self._renewals: set[asyncio.Task[None]] = set()

    def calling(self, job_id: str) -> _Call:
        """A ``with`` block for one provider call about ``job_id``."""
        return _Call(self, job_id)

    def _enter(self, job_id: str) -> None:
        if not self._calls:
            self._timer = asyncio.get_running_loop().call_later(self._every, self._due)
        self._calls.add(job_id)

    def _exit(self, job_id: str) -> None:
        self._calls.discard(job_id)
        self._lost.discard(job_id)
        if not self._calls and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _due(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._every, self._due)
        held = sorted(self._calls - self._lost)
        task = asyncio.create_task(self._renew_all(held), name="lease renewal")
        self._renewals.add(task)
        task.add_done_callback(self._renewals.discard)

    async def _renew_all(self, job_ids: list[str]) -> None:
        answers = await asyncio.gather(*map(self._renew, job_ids), return_exceptions=True)
        for job_id, kept in zip(job_ids, answers, strict=True):
            if job_id not in self._calls:
                continue  # its call has ended meanwhile: what the renewal said no longer matters
            if isinstance(kept, Exception):
                log.warning(
                    "job %s: its lease could not be renewed (%s); trying again in %.1f s",
                    job_id,
                    kept,
                    self._every,
                )
            elif isinstance(kept, BaseException):
                raise kept
            elif not kept:
                self._lost.add(job_id)
                log.warning(
                    "job %s: its lease passed to another worker while the provider was answering",
                    job_id,
                )


class _Call:
    __slots__ = ("_job_id", "_keeper")

    def __init__(self, keeper: LeaseKeeper, job_id: str) -> None:
        self._keeper = keeper
        self._job_id = job_id

    def __enter__(self) -> None:
        self._keeper._enter(self._job_id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._keeper._exit(self._job_id)
