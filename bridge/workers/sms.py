"""Deliver one SMS job through the provider and record the outcome.

The decision table is small on purpose: accepted -> sent; temporary failure -> the next
provider in the job's failover list, or retry later unless the attempts are used up;
permanent failure (or attempts used up) -> failed, with the author's notice stored in the
same transaction so it cannot be lost. When the author's sender rule sets ``email_fallback``
and the address book has the recipient's address, the text is emailed to them instead, in
that same transaction, and the notice says so (never after an opt-out, nor when the text may
have reached them after all).

A text is never handed to two providers. Failing over happens only when the first provider
surely did not take it (it answered with an error, or could not be reached). When its answer
never came, the job stays with that provider: the next attempt first asks it whether it has
the text (``find_sent``); a provider that cannot tell makes the job fail with a plain reason
for the author rather than risk a second text. The same question is asked of every provider
the job could have used when a process died in the middle of a send.

A job is the worker's only while its claim's lease holds. A bridge frozen for longer than its
lease (a VM stall, SIGSTOP) wakes up with jobs another bridge may have taken over and sent, so
right before each provider call the worker confirms that it still holds the lease (and extends
it), keeps it while the provider answers, and records an outcome only while it still holds it;
a job it lost is left alone, with a warning. On a store only this bridge uses (SQLite) no other
bridge can take a lease over and this bridge never delivers one job twice at once, so the
confirmation could only say yes: it is not asked for, which saves a write per text. See
docs/reliability.md for what stays open.

On PostgreSQL the statement that records a text sent also leases the worker's next job, and
the worker goes on while it is on its way (``_next``): the database and the provider work at
once, and nobody claims for the worker (docs/benchmarks.md, dispatch).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bridge.chain.gate import Gate
from bridge.chain.opt_out import provider_opt_out
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.sender import sender_for
from bridge.chain.spend_cap import reported_cost
from bridge.clock import Clock
from bridge.errors import DeliveryFailure, OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.mail.fallback import fallback_email
from bridge.mail.notices import failure_notice
from bridge.mail.transport import NoticeSettings
from bridge.media.urls import media_url
from bridge.metrics.counters import PROVIDER_SECONDS, TEXTS_FAILED, TEXTS_SENT
from bridge.metrics.latest import LATEST
from bridge.models import Contact, NewMailJob, OutboundSms, SendResult, SmsJob
from bridge.parsing.numbers import country_of, mask
from bridge.providers.base import Carrier
from bridge.providers.breaker import BreakerState
from bridge.providers.choice import ProviderChoice
from bridge.settings.text import SendersSettings
from bridge.store.base import Store
from bridge.workers.lease import LeaseKeeper
from bridge.workers.retry import RetryPolicy

__all__ = ["SmsDispatcher"]

log = logging.getLogger(__name__)
UNKNOWN_OUTCOME = (
    "the bridge stopped while handing this text to the SMS provider, and the provider cannot"
    " say whether it was sent; it was not sent again, so that nobody gets it twice"
)
UNKNOWN_CODE = "unknown-outcome"


class SmsDispatcher:
    """The ``handle`` of the SMS ``JobRunner``."""

    def __init__(
        self,
        *,
        store: Store,
        providers: ProviderChoice,
        policy: RetryPolicy,
        notices: NoticeSettings,
        clock: Clock,
        notice_queued: Callable[[], None],
        owner: str,
        lease_seconds: float,
        gate: Gate | None = None,
        senders: SendersSettings | None = None,
        public_url: str | None = None,  # pictures (MMS) are served under it
        opt_out_scope: str = "organisation",  # compliance.opt_out_scope
        currency: str = "",  # compliance.currency: a reported price in it counts in spend caps
    ) -> None:
        self._public_url = public_url
        """``owner`` is the name this bridge's claims lease jobs under, ``lease_seconds`` how
        long a lease lasts (``queue.lease_seconds``); ``senders`` the sender rules, whose
        ``email_fallback`` emails a failed text to the recipient (None: never); a provider's
        refusal because the customer opted out is recorded in the consent ledger with
        ``opt_out_scope``."""
        self._opt_out_scope = opt_out_scope
        self._currency = currency
        self._store = store
        self._providers = providers
        self._policy = policy
        self._notices = notices
        self._clock = clock
        self._notice_queued = notice_queued
        self._owner = owner
        self._lease = lease_seconds
        self._gate = gate  # the outbound chain's send stage (rate limits); None: no rules
        self._senders = senders
        self._shared = not store.exclusive  # only then can a lease pass to another bridge
        self._handling: set[str] = set()
        self._keeper = LeaseKeeper(self._renew, every=lease_seconds / 3)
        self._claimed: dict[str, datetime] = {}  # job id: when this worker's claim asked
        # On PostgreSQL a text's record claims the jobs its worker takes next (``_next``):
        self._recording: dict[str, asyncio.Task[list[SmsJob]]] = {}  # by the text's job id
        self._pending: dict[str, asyncio.Task[list[SmsJob]]] = {}  # the record before a job
        self._ready: dict[str, SmsJob] = {}  # the job a worker takes after this one
        self._taking = True  # until the runner drains (stop_taking)

    async def claim(self, limit: int) -> list[SmsJob]:
        """Lease up to ``limit`` due jobs (the ``JobRunner``'s claim). When each was asked for
        is kept: the claim is its lease's first confirmation (``_still_held``)."""
        asked = self._clock()
        jobs = await self._store.claim_sms(
            now=asked, limit=limit, lease_seconds=self._lease, owner=self._owner
        )
        for job in jobs:
            self._claimed[job.id] = asked
        return jobs

    def stop_taking(self) -> None:
        """The runner drains: a text sent is recorded without claiming a job in its place."""
        self._taking = False

    async def handle(self, job: SmsJob) -> SmsJob | None:
        """Deliver ``job`` unless this bridge is already delivering it: a bridge that was
        frozen past a lease may claim its own job again, and both claims share one owner.
        The answer is the job this worker takes next, claimed with a text's record (``_next``)."""
        if job.id in self._handling:
            log.warning("job %s: claimed again while still being delivered; left to that", job.id)
            return None
        self._handling.add(job.id)
        try:
            await self._deliver(job)
        except Exception:  # its lease runs out and it is claimed again; the worker goes on
            log.exception("job %s: unexpected error while delivering it", job.id)
        finally:
            self._handling.discard(job.id)
            self._claimed.pop(job.id, None)
        return await self._next(job)

    async def _next(self, job: SmsJob) -> SmsJob | None:
        """The job this worker takes after ``job``, on PostgreSQL (SQLite's records claim
        none: the runner's claim gives the worker its next job).

        A text's record claims the job after the next one, and the worker does not wait for
        it: it goes on to the job the record before claimed, so the provider's next send
        and the record are on their way at once (docs/benchmarks.md, dispatch). A worker
        with no such job yet (its first text) waits for its record, which claims two."""
        recording = self._recording.pop(job.id, None)
        ready = self._ready.pop(job.id, None)
        before = self._pending.pop(job.id, None)
        if ready is None and before is not None:
            claimed = await before
            ready = claimed[0] if claimed else None
        if ready is not None:
            if recording is not None:
                self._pending[ready.id] = recording
            return ready
        if recording is None:
            return None
        claimed = await recording
        if len(claimed) > 1:
            self._ready[claimed[0].id] = claimed[1]
        return claimed[0] if claimed else None

    async def _deliver(self, job: SmsJob) -> None:
        sms = OutboundSms(
            job_id=job.id,
            to=job.to_number,
            sender=job.sender,
            text=job.text,
            encoding=job.encoding,
            queued_at=job.created_at,
            media_urls=self._media_urls(job),
        )
        carriers = self._providers.carriers_for(job)
        try:
            found = await self._reconcile(job, sms, carriers)
        except TemporaryFailure as exc:
            await self._temporary(job, exc, maybe_sent_via=job.maybe_sent_via)
            return
        except OutcomeUnknown:
            await self._fail(job, UNKNOWN_OUTCOME, UNKNOWN_CODE)
            return
        if found is not None:
            log.info("job %s: %s already had it; not sent again", job.id, found[0])
            await self._sent(job, *found)
            return
        if await self._stopped_since(job):
            return
        await self._attempt(job, sms, carriers)

    async def _stopped_since(self, job: SmsJob) -> bool:
        """A person's text that waited (scheduled, held for SEND, deferred by quiet hours or a
        cap, retried) is asked about again before it goes: a STOP, or a destination policy,
        that came after the chain accepted it fails it for good, and its author is told why.
        A text that goes at once was asked moments ago, so it is not asked again; the
        bridge's own answers (author "") answer the customer's latest text, STOP included."""
        now = self._clock()
        if self._gate is None or not job.author or now - job.created_at < _WAITED:
            return False
        decision = await self._gate.again(_request(job), at=now)
        if decision.refusal is None:
            return False
        opted_out = any(hit.rule == "opt-out" and hit.action == "refuse" for hit in decision.hits)
        code = "opted_out" if opted_out else "refused-before-sending"
        await self._fail(job, decision.refusal.reason, code, permanent=True, opted_out=opted_out)
        return True

    def _media_urls(self, job: SmsJob) -> tuple[str, ...]:
        if not job.media or self._public_url is None:
            return ()
        return tuple(media_url(self._public_url, token) for token in job.media)

    async def _reconcile(
        self, job: SmsJob, sms: OutboundSms, chain: list[Carrier]
    ) -> tuple[str, SendResult] | None:
        """Ask every provider that may already have this text (after a crash in the middle of a
        send, or an answer that never came) before anything else happens to it."""
        names = [job.maybe_sent_via] if job.maybe_sent_via else []
        if job.in_doubt:
            names += [carrier.name for carrier in chain if carrier.name not in names]
        for name in names:
            carrier = self._providers.get(name)
            if carrier is None:  # a provider no longer configured cannot be asked
                raise OutcomeUnknown(job.id)
            with self._keeper.calling(job.id):
                found = await carrier.provider.find_sent(sms)
            if found is not None:
                return name, found
        return None

    async def _attempt(self, job: SmsJob, sms: OutboundSms, chain: list[Carrier]) -> None:
        """Try each provider in turn; fail over only when the text surely did not go out."""
        last: TemporaryFailure | None = None
        for carrier in chain:
            now = self._clock().timestamp()
            if carrier.breaker.state(now) is BreakerState.OPEN:
                continue
            if await self._deferred(job, carrier.name):
                return
            if self._shared:
                # from here on a freeze may be caught too late (tests/faults/test_frozen_bridge.py)
                log.debug("job %s: its lease checked before %s has it", job.id, carrier.name)
                if not await self._still_held(job):
                    return
            if not carrier.breaker.allow(now):
                continue  # another text is already probing this provider
            started = time.perf_counter()
            try:
                with self._keeper.calling(job.id):
                    result = await carrier.provider.send(_for(carrier, sms))
            except TemporaryFailure as exc:
                _timed(carrier.name, "temporary", started, exc, self._clock())
                self._failed(carrier, exc)
                if exc.maybe_sent:
                    await self._temporary(job, exc, maybe_sent_via=carrier.name)
                    return
                last = exc
                continue
            except PermanentFailure as exc:
                _timed(carrier.name, "permanent", started, exc, self._clock())
                carrier.breaker.succeeded()  # it answered: the provider itself is healthy
                if exc.opted_out:
                    await self._opted_out(job, carrier.name, exc)
                await self._fail(
                    job,
                    exc.reason,
                    exc.code,
                    permanent=True,
                    opted_out=exc.opted_out,
                    provider=carrier.name,
                )
                return
            _timed(carrier.name, "sent", started)
            carrier.breaker.succeeded()
            await self._sent(job, carrier.name, result)
            return
        if last is not None:
            await self._temporary(job, last)
        else:
            await self._wait_for_circuit(job, chain)

    async def _wait_for_circuit(self, job: SmsJob, chain: list[Carrier]) -> None:
        """Every provider it may use is paused: wait, without spending one of the text's
        attempts, until the first half-opens. Only the probes count; they fail texts in turn."""
        now = self._clock()
        wait = min((c.breaker.reopens_in(now.timestamp()) for c in chain), default=0.0)
        names = ", ".join(carrier.name for carrier in chain)
        reason = f"every SMS provider it may use ({names}) kept failing and is paused for a while"
        deferred = await self._store.sms_defer(
            job.id,
            owner=self._owner,
            at=now + timedelta(seconds=max(wait, 0.1)),
            now=now,
            why=(reason, "circuit-open"),
        )
        if not deferred:
            self._lost(job, "every provider is paused")

    def _failed(self, carrier: Carrier, exc: TemporaryFailure) -> None:
        if carrier.breaker.failed(self._clock().timestamp()):
            log.warning(
                "provider %s: circuit open after repeated failures (%s); texts use the"
                " next provider for %.0f s",
                carrier.name,
                exc.code or "temporary",
                carrier.breaker.cooldown,
            )

    async def _still_held(self, job: SmsJob) -> bool:
        """Confirm (and extend) the lease right before a provider call. An answer that took
        more than half the lease to come may be stale (the bridge froze while it was on its
        way, and the lease may since have passed on): it is asked for again, once.

        The claim that leased the job is such an answer too, the first attempt's: while less
        than half the lease has passed since it was asked, no other bridge can have taken
        the job (their clocks agree to well within a third of it, docs/reliability.md), just
        as after a confirmation. That saves a statement, and its wait, for nearly every text
        on PostgreSQL (docs/benchmarks.md, dispatch)."""
        claimed = self._claimed.pop(job.id, None)
        if claimed is not None and (self._clock() - claimed).total_seconds() <= self._lease / 2:
            return True
        for _ in range(2):
            asked = self._clock()
            held = await self._store.keep_sms_lease(
                job.id, owner=self._owner, lease_seconds=self._lease, now=asked
            )
            if not held:
                self._lost(job, "not sent")
                return False
            if (self._clock() - asked).total_seconds() <= self._lease / 2:
                return True
        log.warning("job %s: its lease could not be confirmed in time; not sent", job.id)
        return False

    def _renew(self, job_id: str) -> Awaitable[bool]:
        """The lease of a job whose provider call runs long, renewed (``LeaseKeeper``)."""
        return self._store.keep_sms_lease(
            job_id, owner=self._owner, lease_seconds=self._lease, now=self._clock()
        )

    def _lost(self, job: SmsJob, what: str) -> None:
        log.warning(
            "job %s: %s, but its lease has passed to another worker (or the job is finished);"
            " left to that",
            job.id,
            what,
        )

    async def _sent(self, job: SmsJob, provider: str, result: SendResult) -> None:
        """The provider took it: recorded while the worker goes on (``_next``), claiming one
        job for the worker's turn after next, or two for a worker with none in hand."""
        if not self._store.claims_with_records or not self._taking:  # nothing to go on to
            await self._record(job, provider, result, 0)
            return
        wanted = 1 if job.id in self._pending or job.id in self._ready else 2
        self._recording[job.id] = asyncio.create_task(
            self._record(job, provider, result, wanted), name=f"record {job.id}"
        )

    async def _record(
        self, job: SmsJob, provider: str, result: SendResult, wanted: int
    ) -> list[SmsJob]:
        """Recorded sent, with ``wanted`` jobs claimed by the same statement (PostgreSQL):
        their claim is their lease's first confirmation, as the runner's is (``claim``). A
        failure is logged, not raised: the text keeps its lease until it runs out, as when a
        bridge dies, and the jobs already claimed still go."""
        asked = self._clock()
        try:
            recorded, claimed = await self._store.sms_sent_claiming(
                job.id,
                owner=self._owner,
                provider=provider,
                result=result,
                now=asked,
                lease_seconds=self._lease,
                wanted=wanted,
            )
        except Exception:
            log.exception("job %s: sent via %s, but recording it failed", job.id, provider)
            return []
        for following in claimed:
            self._claimed[following.id] = asked
        try:
            await self._counted(job, provider, result, recorded=recorded)
        except Exception:
            log.exception("job %s: recorded sent via %s, then failed", job.id, provider)
        return claimed

    async def _counted(
        self, job: SmsJob, provider: str, result: SendResult, *, recorded: bool
    ) -> None:
        if not recorded:
            self._lost(job, f"sent via {provider}")
            return
        TEXTS_SENT.labels(provider, job.sender, job.category).inc()
        log.info("job %s sent to %s via %s", job.id, mask(job.to_number), provider)
        cost = reported_cost(result.price, self._currency)
        if result.price and cost is not None:  # the spend caps count it at this price
            await self._store.sms_priced(job.id, price=result.price, cost=cost)

    async def _deferred(self, job: SmsJob, provider: str) -> bool:
        """The chain's send stage for this provider: put the job back, without spending an
        attempt, until a rule that deferred it (a rate limit) allows it."""
        if self._gate is None or not self._gate.paces:
            return False
        now = self._clock()
        decision = await self._gate.at_send(_request(job), provider=provider, at=now)
        if decision.not_before is None:
            return False
        if not await self._store.sms_defer(
            job.id, owner=self._owner, at=decision.not_before, now=now
        ):
            self._lost(job, "rate limited")
        return True

    async def _temporary(
        self, job: SmsJob, exc: TemporaryFailure, *, maybe_sent_via: str | None = None
    ) -> None:
        if self._policy.exhausted(job.attempts):
            reason = f"it could not be sent after {job.attempts} attempts; the last error was: "
            await self._fail(job, reason + exc.reason, exc.code)
            return
        now = self._clock()
        delay = self._policy.delay(job.attempts, retry_after=exc.retry_after)
        retried = await self._store.sms_retry(
            job.id,
            owner=self._owner,
            error=exc.reason,
            code=exc.code,
            at=now + timedelta(seconds=delay),
            now=now,
            maybe_sent_via=maybe_sent_via,
        )
        if not retried:
            self._lost(job, f"attempt {job.attempts} failed ({exc.code or 'temporary'})")
            return
        log.warning(
            "job %s to %s: attempt %d failed (%s); retrying in %.0f s",
            job.id,
            mask(job.to_number),
            job.attempts,
            exc.code or "temporary",
            delay,
        )

    async def _fail(
        self,
        job: SmsJob,
        reason: str,
        code: str | None,
        *,
        permanent: bool = False,
        opted_out: bool = False,
        provider: str = "",
    ) -> None:
        """``permanent``: refused for good, not given up after retries (the notice's advice);
        ``provider``: the one that refused it (else the job's last, for /metrics).
        The author's notice, and the text emailed to the recipient instead when that is
        wanted (``_emailed_to``), are stored in the same transaction as the failure."""
        now = self._clock()
        failed = _with_error(job, reason, code)
        contact = await self._emailed_to(job, code, opted_out=opted_out)
        fallback = None
        if contact is not None:
            content = fallback_email(
                failed,
                contact,
                from_address=self._notices.from_address,
                now=now,
                hostname=self._notices.hostname,
            )
            fallback = NewMailJob(
                envelope_from=self._notices.from_address,
                recipients=(contact.email,),
                content=content,
                kind="fallback",
            )
        notice = None
        if job.author:
            content = failure_notice(
                failed,
                permanent=permanent,
                from_address=self._notices.from_address,
                now=now,
                hostname=self._notices.hostname,
                emailed_to=contact,
            )
            notice = NewMailJob(envelope_from="", recipients=(job.author,), content=content)
        recorded = await self._store.sms_failed(
            job.id,
            owner=self._owner,
            error=reason,
            code=code,
            now=now,
            notice=notice,
            fallback=fallback,
        )
        if not recorded:
            self._lost(job, f"failed ({code})")
            return
        TEXTS_FAILED.labels(provider or job.provider or "", code or "").inc()
        log.warning("job %s to %s failed for good (%s)", job.id, mask(job.to_number), code)
        if fallback is not None:
            log.info("job %s to %s: emailed to the contact instead", job.id, mask(job.to_number))
        if notice is not None or fallback is not None:
            self._notice_queued()

    async def _opted_out(self, job: SmsJob, provider: str, exc: PermanentFailure) -> None:
        """The provider has the customer as opted out: into the consent ledger (once, however
        many texts it refuses), so the opt-out rule refuses the next text at RCPT."""
        event = provider_opt_out(
            job,
            provider=provider,
            code=exc.code,
            reason=exc.reason,
            at=self._clock(),
            scope=self._opt_out_scope,
        )
        if await self._store.record_consent([event], suppress=True, once=True):
            log.info("job %s: %s reports %s opted out", job.id, provider, mask(job.to_number))

    async def _emailed_to(
        self, job: SmsJob, code: str | None, *, opted_out: bool
    ) -> Contact | None:
        """The contact a failed text is emailed to instead: only when the author's sender rule
        sets ``email_fallback`` and the address book has the recipient's address; never to a
        customer who opted out, nor when the text may have reached them after all."""
        if self._senders is None or not job.author or opted_out or code == UNKNOWN_CODE:
            return None
        if not sender_for(job.author, settings=self._senders).email_fallback:
            return None
        contact = await self._store.contact(job.to_number)
        return contact if contact is not None and contact.email else None


def _for(carrier: Carrier, sms: OutboundSms) -> OutboundSms:
    """``sms`` as ``carrier`` can send it: a provider failed over to that sends no pictures
    to this number gets the text alone (the author was told it would go as MMS; logged)."""
    if not sms.media_urls or country_of(sms.to) in carrier.mms_countries:
        return sms
    log.warning("job %s: %s sends no pictures to this number; text only", sms.job_id, carrier.name)
    return replace(sms, media_urls=())


_WAITED = timedelta(seconds=60)  # a text stored longer ago is asked about again before it goes


def _request(job: SmsJob) -> OutboundRequest:
    return OutboundRequest(
        source=Source.STORED,
        author=job.author,
        to_number=job.to_number,
        text=job.text,
        sender=job.sender,
        route=job.route,
        category=job.category,
    )


def _with_error(job: SmsJob, reason: str, code: str | None) -> SmsJob:
    return replace(job, error=reason, error_code=code)


def _timed(
    provider: str,
    outcome: str,
    started: float,
    error: DeliveryFailure | None = None,
    at: datetime | None = None,
) -> None:
    seconds = time.perf_counter() - started
    PROVIDER_SECONDS.labels(provider, outcome).observe(seconds)
    LATEST.answered(provider, seconds)  # the admin console's health page
    if error is not None and at is not None:
        LATEST.failed(provider, f"{error.code or outcome}: {error}", at=at)
