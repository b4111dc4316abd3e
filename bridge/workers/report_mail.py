"""The scheduled reports (``[[reports]]``), emailed once a period by one bridge of a cluster.

Runs under ``OncePerCluster``, so one bridge checks at a time; each report's period is
claimed in the store with the email in one transaction (``Store.warn_once``, the once-a-key
record the spend caps' warnings use, under ``report|…``), so a restart, or a second bridge
taking over, never sends a period twice. A period found sent (or just sent) is remembered,
so the report is computed at most once a period per process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bridge.clock import Clock
from bridge.reports.figures import compute
from bridge.reports.mail import report_email
from bridge.reports.schedule import due_period, report_key, title
from bridge.settings.reports import ReportSchedule
from bridge.store.base import Caps, Reports
from bridge.workers.loop import Loop

__all__ = ["ReportMailer", "ReportStore", "Reporting"]

log = logging.getLogger(__name__)


class ReportStore(Reports, Caps, Protocol):
    """What the reports read, and where their periods are recorded."""


@dataclass(frozen=True, slots=True)
class Reporting:
    """The settings a report email needs besides its schedule."""

    zone: str
    prices: dict[str, float]
    currency: str
    from_address: str
    hostname: str


class ReportMailer(Loop):
    def __init__(
        self,
        *,
        store: ReportStore,
        schedules: tuple[ReportSchedule, ...],
        reporting: Reporting,
        clock: Clock,
        mail_queued: Callable[[], None],
        interval: float = 60.0,
    ) -> None:
        super().__init__()
        self._store = store
        self._schedules = schedules
        self._reporting = reporting
        self._clock = clock
        self._queued = mail_queued
        self._interval = interval
        self._done: set[str] = set()

    async def run(self) -> None:
        while not self.stopping:
            await self.once()
            await self.sleep(self._interval)

    async def once(self) -> int:
        """Send every report that is due and not yet sent; how many were queued now."""
        sent = 0
        for schedule in self._schedules:
            try:
                sent += await self._one(schedule, self._clock())
            except Exception:
                log.exception("report to %s: failed; trying again later", ", ".join(schedule.to))
        return sent

    async def _one(self, schedule: ReportSchedule, now: datetime) -> int:
        period = due_period(schedule, at=now, zone=ZoneInfo(self._reporting.zone))
        if period is None:
            return 0
        start, end = period
        key = report_key(schedule, start)
        if key in self._done:
            return 0
        data = await self._store.report_data(key=schedule.by, start=start, end=end)
        r = self._reporting
        report = compute(data, prices=r.prices, currency=r.currency)
        mail = report_email(
            report,
            to=schedule.to,
            title=title(schedule, start),
            filename=f"sms-report-{start:%Y-%m-%d}-{schedule.every}-by-{schedule.by}.csv",
            from_address=r.from_address,
            hostname=r.hostname,
            now=now,
        )
        queued = await self._store.warn_once(key, mail, now=now)
        self._done.add(key)
        if not queued:
            log.info("report %s: already sent", key)
            return 0
        log.info("report %s: queued for %s", key, ", ".join(schedule.to))
        self._queued()
        return 1
