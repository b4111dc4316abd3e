"""The store interface: everything that must survive a crash goes through here.

Callers (the intake, the workers, the CLI) see only this protocol, so a PostgreSQL backend can
be added without touching them. Times are timezone-aware datetimes; the store decides how to
keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bridge.models import (
    InboundContext,
    InboundJob,
    InboundOutcome,
    InboundPart,
    InboundRecord,
    InboundSms,
    MailJob,
    NewMailJob,
    NewSmsJob,
    SendResult,
    SmsJob,
)
from bridge.store.outbox_filter import OutboxFilter

__all__ = ["HeldLock", "InboundContext", "QueueCounts", "Store"]


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How much work is waiting, for health checks and the CLI."""

    waiting: int
    retrying: int
    sending: int
    mail_waiting: int
    dead: int = 0  # texts failed for good in the last day (their authors were told)
    mail_dead: int = 0  # the bridge's own emails it could not deliver, in the last day


class HeldLock(Protocol):
    """A cluster-wide lock this bridge holds (``Store.try_lock``)."""

    async def alive(self) -> bool:
        """Still held? A lock whose database connection was lost is not."""
        ...

    async def release(self) -> None: ...


class Store(Protocol):
    """Durable jobs with leases. Every method commits before it returns."""

    # True when this process alone uses the database, so leases left at start are its own.
    exclusive: bool

    async def try_lock(self, name: str) -> HeldLock | None:
        """Hold ``name`` for work that must run on one bridge of a cluster, or None if another
        bridge holds it. The lock goes when this bridge (or its database connection) dies."""
        ...

    async def open(self) -> None:
        """Connect and check the schema (SQLite also brings it up to date)."""
        ...

    async def migrate(self) -> tuple[int, int]:
        """Bring the schema to this bridge's version: (version before, version after)."""
        ...

    async def close(self) -> None: ...

    async def enqueue_sms(
        self, jobs: Sequence[NewSmsJob], *, now: datetime, notices: Sequence[NewMailJob] = ()
    ) -> list[str]:
        """Store jobs (and any notices) in one transaction; return one id per job.

        A job whose idempotency key is already stored is not stored again: the existing job's id
        is returned, so a mail server redelivering the same email never causes a second text.
        """
        ...

    async def claim_sms(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[SmsJob]: ...

    async def sms_sent(
        self, job_id: str, *, provider: str, result: SendResult, now: datetime
    ) -> None: ...

    async def sms_retry(
        self,
        job_id: str,
        *,
        error: str,
        code: str | None,
        at: datetime,
        now: datetime,
        maybe_sent_via: str | None = None,
    ) -> None:
        """Back in the queue until ``at``; ``maybe_sent_via`` names the provider that may
        already have the text (its answer never came), which is asked before anything else."""
        ...

    async def sms_defer(
        self, job_id: str, *, at: datetime, now: datetime, why: tuple[str, str] | None = None
    ) -> None:
        """Back in the queue until ``at`` without spending an attempt: a rate limit, or every
        provider paused, is not a fault of the text. ``why`` (reason, code) is shown meanwhile."""
        ...

    async def sms_failed(
        self,
        job_id: str,
        *,
        error: str,
        code: str | None,
        now: datetime,
        notice: NewMailJob | None,
    ) -> None:
        """Finish a job as failed and store the author's notice in the same transaction."""
        ...

    async def enqueue_mail(self, mails: Sequence[NewMailJob], *, now: datetime) -> list[str]: ...

    async def claim_mail(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[MailJob]: ...

    async def mail_sent(self, job_id: str, *, now: datetime) -> None: ...

    async def mail_retry(self, job_id: str, *, error: str, at: datetime, now: datetime) -> None: ...

    async def mail_failed(self, job_id: str, *, error: str, now: datetime) -> None: ...

    async def release_leases(self, *, now: datetime) -> int:
        """Make every leased job claimable now; only safe when no other bridge shares the store."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete finished jobs, routed texts and conversations last touched before ``before``
        (``store.retention_days``); returns how many rows went."""
        ...

    async def recent_sms(self, *, limit: int, only: OutboxFilter | None = None) -> list[SmsJob]: ...

    # The inbound path.

    async def receive_sms(self, sms: InboundSms, *, now: datetime) -> tuple[str, bool]:
        """Store an inbound text; ``(id, False)`` if its provider id was already stored."""
        ...

    async def receive_part(self, part: InboundPart, *, now: datetime) -> tuple[str, bool] | None:
        """Store one part of a long text; the whole text as ``receive_sms`` once complete."""
        ...

    async def claim_inbound(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[InboundJob]: ...

    async def inbound_context(self, *, customer: str, reply_number: str) -> InboundContext: ...

    async def inbound_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> list[str]:
        """Mark routed and store every email and text it produced, in one transaction."""
        ...

    async def recent_inbound(self, *, limit: int) -> list[InboundRecord]: ...

    async def inbound_retry(self, job_id: str, *, at: datetime, now: datetime) -> None: ...

    async def suppressed_since(self, *, reply_number: str, customer: str) -> datetime | None: ...

    async def suppress(self, *, reply_number: str, customer: str, now: datetime) -> None: ...

    async def find_sms(self, *, provider: str, provider_message_id: str) -> SmsJob | None: ...

    async def mailbox_cursor(self, mailbox: str) -> tuple[int, int] | None:
        """The (UIDVALIDITY, last processed UID) of an IMAP mailbox folder, if any."""
        ...

    async def set_mailbox_cursor(
        self, mailbox: str, *, uidvalidity: int, last_uid: int
    ) -> None: ...

    async def watch_cursor(self, *, provider: str, reply_number: str) -> datetime | None:
        """Up to when the reply-number watcher has seen every inbound text."""
        ...

    async def set_watch_cursor(
        self, *, provider: str, reply_number: str, seen_until: datetime
    ) -> None: ...

    async def sms_reported(
        self,
        job_id: str,
        *,
        state: str,
        error: str | None,
        code: str | None,
        now: datetime,
        notice: NewMailJob | None,
        price: str | None = None,
    ) -> bool:
        """Record a delivery report unless the job is already final; the notice goes with it."""
        ...

    async def get_sms(self, job_id: str) -> SmsJob | None: ...

    async def take_tokens(
        self, limits: Sequence[tuple[str, float, int]], *, now: datetime
    ) -> float:
        """A token from each of ``limits`` (key, texts a second, burst) and 0.0, or the seconds
        to wait and nothing taken: the buckets every bridge on this database shares."""
        ...

    async def counts(self) -> QueueCounts: ...

    async def heartbeat(self, *, owner: str, now: datetime) -> None:
        """Write this bridge's heartbeat: raises when the store cannot be written."""
        ...
