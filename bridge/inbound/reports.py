"""Delivery reports: a provider says a text was delivered, or that it never will be.

Reports arrive by webhook or by polling and may repeat or arrive out of order; the
store moves a job only forward and only once into a final state, and the author's notice for
a final failure is committed with that move. A report that a number has opted out at the
provider (Twilio 21610, Vonage's err-code 9) also records the opt-out in the consent ledger,
once however many texts it refuses, so the listener refuses the next email to it with the
reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bridge.chain.opt_out import provider_opt_out
from bridge.chain.spend_cap import reported_cost
from bridge.clock import Clock
from bridge.mail.notices import failure_notice
from bridge.mail.transport import NoticeSettings
from bridge.metrics.counters import DELIVERY_REPORTS
from bridge.models import DeliveryReport, NewMailJob, SmsJob
from bridge.parsing.numbers import mask
from bridge.store.base import Store

__all__ = ["ReportIntake"]

log = logging.getLogger(__name__)
_STATES = frozenset({"sent", "delivered", "undelivered", "failed"})


class ReportIntake:
    def __init__(
        self,
        *,
        store: Store,
        notices: NoticeSettings,
        clock: Clock,
        mail_queued: Callable[[], None],
        opt_out_scope: str = "organisation",  # compliance.opt_out_scope
        currency: str = "",  # compliance.currency: a reported price in it counts in spend caps
    ) -> None:
        self._opt_out_scope = opt_out_scope
        self._currency = currency
        self._store = store
        self._notices = notices
        self._clock = clock
        self._mail_queued = mail_queued

    async def accept(self, report: DeliveryReport) -> bool:
        """Apply the report; False when it concerns no job we know or changes nothing."""
        state = report.status if report.status in _STATES else None
        job = await self._job(report)
        if job is None:
            return False
        priced = await self._priced(job, report.price)
        if state is None or state == job.state.value:
            return priced
        now = self._clock()
        if report.opted_out:
            await self._opted_out(job, report, now)
        error, notice = None, None
        if state in ("undelivered", "failed"):
            error = report.reason or f"the mobile network reported it {state}"
            notice = self._notice(replace(job, error=error, error_code=report.error_code), now)
        changed = await self._store.sms_reported(
            job.id,
            state=state,
            error=error,
            code=report.error_code,
            now=now,
            notice=notice,
            price=report.price,
        )
        if changed:
            DELIVERY_REPORTS.labels(report.provider, state).inc()
        if changed and notice is not None:
            self._mail_queued()
        log.info("job %s reported %s by %s", job.id, state, report.provider)
        return changed

    async def _priced(self, job: SmsJob, price: str | None) -> bool:
        """A price the job did not have: recorded, and counted in the spend caps when it is
        in compliance.currency (before a failure gives the text's cost back)."""
        if not price or price == job.price:
            return False
        cost = reported_cost(price, self._currency)
        return await self._store.sms_priced(job.id, price=price, cost=cost)

    async def _opted_out(self, job: SmsJob, report: DeliveryReport, now: datetime) -> None:
        event = provider_opt_out(
            job,
            provider=report.provider,
            code=report.error_code,
            reason=report.reason or "the provider reported that they opted out",
            at=now,
            scope=self._opt_out_scope,
            message_id=report.provider_message_id,
        )
        if await self._store.record_consent([event], suppress=True, once=True):
            log.info(
                "job %s: %s reports %s opted out", job.id, report.provider, mask(job.to_number)
            )

    async def _job(self, report: DeliveryReport) -> SmsJob | None:
        """The job by our own reference when the provider echoes it, else by its message id;
        either way only a job that this provider sent."""
        if report.job_id:
            job = await self._store.get_sms(report.job_id)
            return job if job is not None and job.provider == report.provider else None
        return await self._store.find_sms(
            provider=report.provider, provider_message_id=report.provider_message_id
        )

    def _notice(self, job: SmsJob, now: datetime) -> NewMailJob | None:
        if not job.author:
            return None
        content = failure_notice(  # the network tried and could not deliver: not "later"
            job,
            permanent=True,
            from_address=self._notices.from_address,
            now=now,
            hostname=self._notices.hostname,
        )
        return NewMailJob(envelope_from="", recipients=(job.author,), content=content)
