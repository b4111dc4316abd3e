"""Deliver one of the bridge's own messages: an email (a notice, an inbound text) through the
mail transport, or an inbound text's JSON to a route's webhook."""

from __future__ import annotations

import logging
from datetime import timedelta

from bridge.clock import Clock
from bridge.errors import PermanentFailure, TemporaryFailure
from bridge.mail.transport import MailTransport
from bridge.metrics.counters import MAIL
from bridge.models import MailJob
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy

__all__ = ["MailDispatcher"]

log = logging.getLogger(__name__)


class MailDispatcher:
    """The ``handle`` of the mail ``JobRunner``.

    A notice that finally cannot be delivered has nobody left to tell, so it is logged at ERROR
    and kept in the store as failed for an administrator to see.
    """

    def __init__(
        self,
        *,
        store: Store,
        transport: MailTransport,
        policy: RetryPolicy,
        clock: Clock,
        owner: str,
        webhooks: MailTransport | None = None,
    ) -> None:
        """``owner`` is the name this bridge's claims lease jobs under: an outcome is recorded
        only while the job is still leased to it."""
        self._store = store
        self._owner = owner
        self._transport = transport
        self._webhooks = webhooks
        self._policy = policy
        self._clock = clock

    async def handle(self, job: MailJob) -> None:
        transport = self._webhooks if job.kind == "webhook" else self._transport
        try:
            if transport is None:
                raise PermanentFailure("no webhook secret is configured (inbound.webhook_secret)")
            await transport.deliver(
                envelope_from=job.envelope_from,
                recipients=job.recipients,
                content=job.content,
                key=job.id,
                retry=job.attempts > 1,
            )
        except TemporaryFailure as exc:
            await self._temporary(job, exc)
        except PermanentFailure as exc:
            await self._refused(job, exc)
        else:
            await self._delivered(job, transport.name)

    async def _delivered(self, job: MailJob, transport: str) -> None:
        if await self._store.mail_sent(job.id, owner=self._owner, now=self._clock()):
            MAIL.labels(job.kind, "delivered").inc()
            log.info("mail %s (%s) handed to %s", job.id, job.kind, transport)
        else:
            self._lost(job, f"handed to {transport}")

    async def _refused(self, job: MailJob, exc: PermanentFailure) -> None:
        now = self._clock()
        if await self._store.mail_failed(job.id, owner=self._owner, error=exc.reason, now=now):
            MAIL.labels(job.kind, "failed").inc()
            log.error("mail %s (%s) refused for good: %s", job.id, job.kind, exc.reason)
        else:
            self._lost(job, "refused for good")

    async def _temporary(self, job: MailJob, exc: TemporaryFailure) -> None:
        now = self._clock()
        if self._policy.exhausted(job.attempts):
            if not await self._store.mail_failed(
                job.id, owner=self._owner, error=exc.reason, now=now
            ):
                self._lost(job, "out of attempts")
                return
            MAIL.labels(job.kind, "failed").inc()
            log.error(
                "mail %s (%s) gave up after %d attempts: %s",
                job.id,
                job.kind,
                job.attempts,
                exc.reason,
            )
            return
        delay = self._policy.delay(job.attempts, retry_after=exc.retry_after)
        at = now + timedelta(seconds=delay)
        if not await self._store.mail_retry(
            job.id, owner=self._owner, error=exc.reason, at=at, now=now
        ):
            self._lost(job, f"attempt {job.attempts} failed")
            return
        MAIL.labels(job.kind, "retried").inc()
        log.warning(
            "mail %s: attempt %d failed (%s); retrying in %.0f s",
            job.id,
            job.attempts,
            exc.reason,
            delay,
        )

    def _lost(self, job: MailJob, what: str) -> None:
        log.warning(
            "mail %s (%s): %s, but its lease has passed to another worker; left to that",
            job.id,
            job.kind,
            what,
        )
