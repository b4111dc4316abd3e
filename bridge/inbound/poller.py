"""The reply-number poller: for a bridge with no public URL, ask the provider for new texts.

Every ``interval`` it lists the texts sent to one reply number since its cursor, stores each
(the store ignores a provider id it already has, so overlaps are harmless), and only then
moves the cursor, which is itself stored: a restart neither emails a text twice nor skips one.
When the provider fails, the watcher waits longer each time (doubling, at most five minutes)
and says so in the log; the first success brings the interval back. With no status
callbacks either, it also reads the state of the texts sent from the number (delivery reports
by polling).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bridge.clock import Clock
from bridge.errors import TemporaryFailure
from bridge.models import DeliveryReport
from bridge.providers.base import InboundLister
from bridge.store.base import Store
from bridge.workers.loop import Loop, backoff

__all__ = ["ReplyNumberPoller"]

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300.0


class ReplyNumberPoller(Loop):
    def __init__(
        self,
        *,
        provider: InboundLister,
        store: Store,
        reply_number: str,
        interval: float,
        wake: Callable[[], None],
        clock: Clock,
        report: Callable[[DeliveryReport], Awaitable[bool]] | None = None,
    ) -> None:
        super().__init__()
        self._provider = provider
        self._store = store
        self._number = reply_number
        self._interval = interval
        self._wake = wake
        self._report = report
        self._clock = clock

    async def run(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                await self.poll_once()
                failures = 0
            except TemporaryFailure as exc:
                failures += 1
                log.warning(
                    "watching %s: %s; trying again in %.0f s",
                    self._provider.name,
                    exc.reason,
                    self._delay(failures),
                )
            except Exception:
                failures += 1
                log.exception("watching %s failed", self._provider.name)
            await self.sleep(self._delay(failures))

    async def poll_once(self) -> int:
        """One look at the provider; returns how many texts were new."""
        since = await self._store.watch_cursor(
            provider=self._provider.name, reply_number=self._number
        )
        texts = await self._provider.list_inbound(self._number, since=since)
        new = 0
        for sms in texts:
            _, fresh = await self._store.receive_sms(sms, now=self._clock())
            new += fresh
        if texts:
            await self._store.set_watch_cursor(
                provider=self._provider.name,
                reply_number=self._number,
                seen_until=texts[-1].received_at,
            )
        if new:
            self._wake()
        if self._report is not None:
            await self._poll_reports()
        return new

    async def _poll_reports(self) -> None:
        """Delivery reports for a bridge that receives no status callbacks: today's and
        yesterday's texts from this number, each report applied once by the store."""
        assert self._report is not None
        for report in await self._provider.list_reports(self._number, since=self._clock()):
            await self._report(report)

    def _delay(self, failures: int) -> float:
        return backoff(failures, base=self._interval, cap=MAX_BACKOFF_SECONDS)
