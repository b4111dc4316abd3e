"""The one shape of every background loop: run until told to stop, sleeping between rounds.

Job runners, pollers, the mailbox watcher, clean-up and the once-per-cluster guard all run as
tasks of the bridge, and all must stop promptly when it shuts down, even in the middle of a
long sleep. ``Loop`` holds the stop event and the interruptible sleep; ``backoff`` is the
delay after repeated failures, shared so every loop backs off the same way.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Loop", "backoff"]


def backoff(failures: int, *, base: float, cap: float) -> float:
    """``base`` doubled for each failure in a row, at most ``cap`` (and never below ``base``)."""
    return min(base * 2.0**failures, max(cap, base))


class Loop:
    """Subclasses implement ``run``; the bridge calls ``stop`` and awaits the task."""

    def __init__(self) -> None:
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if ``stop`` is called meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
