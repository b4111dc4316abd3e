"""Deliver one SMS job through the provider and record the outcome.

The decision table is small on purpose: accepted -> sent; temporary failure -> retry later
unless the attempts are used up; permanent failure (or attempts used up) -> failed, with the
author's notice stored in the same transaction so it cannot be lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bridge.clock import Clock
from bridge.errors import OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.models import NewMailJob, OutboundSms, SendResult, SmsJob
from bridge.outbound.base import NoticeSettings
from bridge.outbound.notices import failure_notice
from bridge.parsing.numbers import mask
from bridge.providers.base import Provider
from bridge.ratelimit import RateLimiter
from bridge.retry import RetryPolicy
from bridge.store.base import Store

__all__ = ["SmsDispatcher"]

log = logging.getLogger(__name__)
OPTED_OUT_CODES = frozenset({"21610"})  # Twilio: the recipient replied STOP to Twilio itself
UNKNOWN_OUTCOME = (
    "the bridge stopped while handing this text to the SMS provider, and the provider cannot"
    " say whether it was sent; it was not sent again, so that nobody gets it twice"
)


class SmsDispatcher:
    """The ``handle`` of the SMS ``JobRunner``."""

    def __init__(
        self,
        *,
        store: Store,
        provider: Provider,
        policy: RetryPolicy,
        notices: NoticeSettings,
        clock: Clock,
        notice_queued: Callable[[], None],
        limiter: RateLimiter | None = None,
    ) -> None:
        self._store = store
        self._provider = provider
        self._policy = policy
        self._notices = notices
        self._clock = clock
        self._notice_queued = notice_queued
        self._limiter = limiter

    async def handle(self, job: SmsJob) -> None:
        if await self._deferred(job):
            return
        sms = OutboundSms(job_id=job.id, to=job.to_number, sender=job.sender, text=job.text)
        try:
            result = await self._deliver(job, sms)
        except TemporaryFailure as exc:
            await self._temporary(job, exc)
        except PermanentFailure as exc:
            await self._fail(job, exc.reason, exc.code)
        except OutcomeUnknown:
            await self._fail(job, UNKNOWN_OUTCOME, "unknown-outcome")
        else:
            await self._store.sms_sent(
                job.id, provider=self._provider.name, result=result, now=self._clock()
            )
            log.info("job %s sent to %s via %s", job.id, mask(job.to_number), self._provider.name)

    async def _deferred(self, job: SmsJob) -> bool:
        """Put the job back until its number's (or the provider's) rate limit allows it."""
        if self._limiter is None:
            return False
        now = self._clock()
        wait = self._limiter.reserve((self._provider.name, job.sender), now=now.timestamp())
        if wait <= 0:
            return False
        await self._store.sms_defer(job.id, at=now + timedelta(seconds=wait), now=now)
        return True

    async def _deliver(self, job: SmsJob, sms: OutboundSms) -> SendResult:
        """Send, unless an interrupted earlier attempt may already have reached the provider."""
        if job.in_doubt:
            found = await self._provider.find_sent(sms)
            if found is not None:
                log.info("job %s: the provider already had it; not sent again", job.id)
                return found
        return await self._provider.send(sms)

    async def _temporary(self, job: SmsJob, exc: TemporaryFailure) -> None:
        if self._policy.exhausted(job.attempts):
            reason = f"it could not be sent after {job.attempts} attempts; the last error was: "
            await self._fail(job, reason + exc.reason, exc.code)
            return
        now = self._clock()
        delay = self._policy.delay(job.attempts, retry_after=exc.retry_after)
        await self._store.sms_retry(
            job.id, error=exc.reason, code=exc.code, at=now + timedelta(seconds=delay), now=now
        )
        log.warning(
            "job %s to %s: attempt %d failed (%s); retrying in %.0f s",
            job.id, mask(job.to_number), job.attempts, exc.code or "temporary", delay,
        )  # fmt: skip

    async def _fail(self, job: SmsJob, reason: str, code: str | None) -> None:
        now = self._clock()
        failed = _with_error(job, reason, code)
        notice = None
        if job.author:
            content = failure_notice(
                failed, from_address=self._notices.from_address, now=now,
                hostname=self._notices.hostname,
            )  # fmt: skip
            notice = NewMailJob(envelope_from="", recipients=(job.author,), content=content)
        if code in OPTED_OUT_CODES and job.sender.startswith("+"):
            # The provider knows the customer opted out: refuse the next email at RCPT too.
            await self._store.suppress(reply_number=job.sender, customer=job.to_number, now=now)
        await self._store.sms_failed(job.id, error=reason, code=code, now=now, notice=notice)
        log.warning("job %s to %s failed for good (%s)", job.id, mask(job.to_number), code)
        if notice is not None:
            self._notice_queued()


def _with_error(job: SmsJob, reason: str, code: str | None) -> SmsJob:
    return replace(job, error=reason, error_code=code)
