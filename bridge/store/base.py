"""The store interface: everything that must survive a crash goes through here.

Callers (the intake, the workers, the CLI) see only these protocols, so either backend serves
them unchanged. ``Store`` is every role together, and what ``open_store`` returns; a
component that needs one part of it (the rate limiter its buckets, the clean-up its purge)
may ask for that role alone (``RateBuckets``, ``Upkeep``), which says what it may touch and
lets a test hand it a small fake. Times are timezone-aware datetimes; the store decides how to
keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bridge.models import (
    ApiAnswer,
    ApiToken,
    BulkSend,
    Cancelled,
    Click,
    ConsentEvent,
    Contact,
    Conversation,
    ConversationChange,
    InboundContext,
    InboundJob,
    InboundOutcome,
    InboundPart,
    InboundRecord,
    InboundSms,
    LinkClicks,
    MailJob,
    MediaFile,
    NewBatch,
    NewBulkSend,
    NewMailJob,
    NewNumbers,
    NewSmsJob,
    Queued,
    Recipient,
    SendResult,
    SentWindow,
    ShortLink,
    SmsJob,
    Spent,
    Suppression,
    ThreadEntry,
    ThreadNumbers,
)
from bridge.reports.data import Key, ReportData
from bridge.store.console_records import AuditEntry, HistoryFilter
from bridge.store.outbox_filter import OutboxFilter

__all__ = [
    "ApiTokens",
    "Caps",
    "ClusterLocks",
    "ConsentLedger",
    "Console",
    "Contacts",
    "Cursors",
    "Health",
    "HeldLock",
    "InboundContext",
    "InboundLog",
    "Links",
    "MailQueue",
    "MediaFiles",
    "QueueCounts",
    "RateBuckets",
    "Reports",
    "SmsQueue",
    "Store",
    "Suppressions",
    "Upkeep",
    "Velocity",
]


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How much work is waiting, for health checks and the CLI."""

    waiting: int
    retrying: int
    sending: int
    mail_waiting: int
    dead: int = 0  # texts failed for good in the last day (their authors were told)
    mail_dead: int = 0  # the bridge's own emails it could not deliver, in the last day


@dataclass(frozen=True, slots=True)
class QueueGauge:
    """One queue as /metrics shows it: jobs due and waiting for a worker, jobs waiting for a
    later time (deferred, scheduled, backing off), jobs a worker holds, and how long the
    oldest due job has waited (0 when none is due)."""

    due: int
    later: int
    sending: int
    oldest_seconds: float


class HeldLock(Protocol):
    """A cluster-wide lock this bridge holds (``Store.try_lock``)."""

    async def alive(self) -> bool:
        """Still held? A lock whose database connection was lost is not."""
        ...

    async def release(self) -> None: ...


class SmsQueue(Protocol):
    """Texts to send: stored once per idempotency key, leased to one worker at a time."""

    # True when ``sms_sent_claiming`` leases jobs with the text it records (PostgreSQL).
    claims_with_records: bool

    async def enqueue_sms(
        self,
        jobs: Sequence[NewSmsJob],
        *,
        now: datetime,
        notices: Sequence[NewMailJob] = (),
        changes: Sequence[ConversationChange] = (),
        media: Sequence[MediaFile] = (),
    ) -> list[Queued]:
        """Store jobs (and any notices, and the pictures their ``media`` tokens name) in one
        transaction; return one ``Queued`` per job.

        A job whose idempotency key is already stored is not stored again: the existing job is
        returned (``merged``), so a mail server redelivering the same email never causes a
        second text. A job with a ``merge_window`` merges only with a job stored less than that
        many seconds before ``now``; an older one gives up its key (``key|id``) to the new job.
        A job with ``not_before`` is first due then rather than now.
        """
        ...

    async def claim_sms(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[SmsJob]: ...

    async def keep_sms_lease(
        self, job_id: str, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool:
        """Confirm that ``owner`` still holds the job's lease and extend it to ``now`` +
        ``lease_seconds``, in one statement; False when the job was taken over or finished.

        Asked right before every provider call, so that a bridge that was frozen for longer
        than its lease (a VM stall, SIGSTOP) lets go of a job another bridge has taken over.
        """
        ...

    # The outcomes a worker records after its claim apply only while ``owner`` still holds
    # the lease; each says whether it applied.

    async def sms_sent(
        self, job_id: str, *, owner: str, provider: str, result: SendResult, now: datetime
    ) -> bool: ...

    async def sms_sent_claiming(
        self,
        job_id: str,
        *,
        owner: str,
        provider: str,
        result: SendResult,
        now: datetime,
        lease_seconds: float,
        wanted: int = 1,
    ) -> tuple[bool, list[SmsJob]]:
        """``sms_sent``, and up to ``wanted`` due jobs leased to ``owner`` as ``claim_sms``
        leases them, in the same statement, where the store can do both in one (PostgreSQL):
        the worker's next jobs without a claim of its own, a round trip and a commit saved a
        text. None where the store cannot (SQLite, whose writer commits the runner's claim
        with the texts sent anyway)."""
        ...

    async def sms_retry(
        self,
        job_id: str,
        *,
        owner: str,
        error: str,
        code: str | None,
        at: datetime,
        now: datetime,
        maybe_sent_via: str | None = None,
    ) -> bool:
        """Back in the queue until ``at``; ``maybe_sent_via`` names the provider that may
        already have the text (its answer never came), which is asked before anything else."""
        ...

    async def sms_defer(
        self,
        job_id: str,
        *,
        owner: str,
        at: datetime,
        now: datetime,
        why: tuple[str, str] | None = None,
    ) -> bool:
        """Back in the queue until ``at`` without spending an attempt: a rate limit, or every
        provider paused, is not a fault of the text. ``why`` (reason, code) is shown meanwhile."""
        ...

    async def sms_failed(
        self,
        job_id: str,
        *,
        owner: str,
        error: str,
        code: str | None,
        now: datetime,
        notice: NewMailJob | None,
        fallback: NewMailJob | None = None,
    ) -> bool:
        """Finish a job as failed and store the author's notice in the same transaction, with
        ``fallback`` (the text emailed to the customer instead) when there is one."""
        ...

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

    async def sms_priced(self, job_id: str, *, price: str, cost: float | None) -> bool:
        """Record the price a provider reported for a text (``cost``: in compliance.currency,
        None when it is not) and count the text at it in the spend caps (docs/compliance.md)."""
        ...

    async def get_sms(self, job_id: str) -> SmsJob | None: ...

    async def find_sms(self, *, provider: str, provider_message_id: str) -> SmsJob | None: ...

    async def recent_sms(self, *, limit: int, only: OutboxFilter | None = None) -> list[SmsJob]: ...


class MailQueue(Protocol):
    """The bridge's own emails (notices, inbound texts): stored, leased, delivered."""

    async def enqueue_mail(self, mails: Sequence[NewMailJob], *, now: datetime) -> list[str]: ...

    async def claim_mail(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[MailJob]: ...

    # Like the texts' outcomes, these apply only while ``owner`` still holds the lease.

    async def mail_sent(self, job_id: str, *, owner: str, now: datetime) -> bool: ...

    async def mail_retry(
        self, job_id: str, *, owner: str, error: str, at: datetime, now: datetime
    ) -> bool: ...

    async def mail_failed(self, job_id: str, *, owner: str, error: str, now: datetime) -> bool: ...


class InboundLog(Protocol):
    """Texts from customers: stored once per provider id, routed by a leased worker."""

    async def receive_sms(self, sms: InboundSms, *, now: datetime) -> tuple[str, bool]:
        """Store an inbound text; ``(id, False)`` if its provider id was already stored."""
        ...

    async def receive_part(self, part: InboundPart, *, now: datetime) -> tuple[str, bool] | None:
        """Store one part of a long text; the whole text as ``receive_sms`` once complete."""
        ...

    async def fresh_inbound_context(
        self, sms: InboundSms, *, history_since: datetime, history: int
    ) -> InboundContext | None:
        """``inbound_context`` for a text not stored yet, read with the check that it is not:
        None when its provider id is stored already (a provider's retry)."""
        ...

    async def receive_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> tuple[bool, bool]:
        """Store a text received just now (``job``, its id chosen by the caller) and, in the
        same transaction, its routing as ``inbound_routed`` does; ``(new, routed)``. It is
        stored but left for the worker (not routed) when an earlier text of the same customer
        to the same number still waits to be routed, so that their order is kept."""
        ...

    async def claim_inbound(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[InboundJob]: ...

    async def inbound_context(
        self,
        *,
        customer: str,
        reply_number: str,
        history_since: datetime | None = None,
        history: int = 0,
    ) -> InboundContext:
        """The conversation, opt-out and last auto-reply; with ``history``, the
        conversation's latest texts since ``history_since``."""
        ...

    async def inbound_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> list[str]:
        """Mark routed and store every email and text it produced, in one transaction."""
        ...

    async def inbound_retry(self, job_id: str, *, at: datetime, now: datetime) -> None: ...

    async def recent_inbound(self, *, limit: int) -> list[InboundRecord]: ...

    async def inbound_record(self, inbound_id: str) -> InboundRecord | None: ...


class Suppressions(Protocol):
    """Who asked not to be texted from which number (STOP)."""

    async def suppressed_since(self, *, reply_number: str, customer: str) -> datetime | None: ...

    async def suppress(self, *, reply_number: str, customer: str, now: datetime) -> None: ...


class ConsentLedger(Protocol):
    """Every opt-in and opt-out, how, on what evidence (docs/compliance.md), and the
    organisation-wide view of the suppression list."""

    async def record_consent(
        self, events: Sequence[ConsentEvent], *, suppress: bool, once: bool = False
    ) -> int:
        """Record ``events``; with ``suppress``, change the suppression list to match them
        in the same transaction. All or none; how many. With ``once``, an opt-out already in
        force is not recorded again (``ops_consent.record_all``)."""
        ...

    async def consent_events(
        self, *, number: str | None = None, limit: int = 1000
    ) -> list[ConsentEvent]:
        """The ledger, newest first (of one customer with ``number``)."""
        ...

    async def latest_consent(self, *, customer: str, sender: str) -> ConsentEvent | None:
        """The customer's latest opt-in or opt-out that applies to ``sender`` (its own scope
        or the organisation's)."""
        ...

    async def campaign_opt_ins(
        self, *, start: datetime, end: datetime
    ) -> dict[str, dict[str, int]]:
        """Opt-ins per campaign keyword, by how, recorded in [start, end)."""
        ...

    async def suppression(self, *, customer: str, reply_number: str | None) -> Suppression | None:
        """The opt-out that stops texts to ``customer`` from ``reply_number`` (a STOP to it, or
        the organisation's list); with None, their latest opt-out from any number."""
        ...


class Threads(Protocol):
    """Conversations: which of the bridge's numbers a reply belongs to, and what was said."""

    async def thread(
        self, *, customer: str, reply_number: str, since: datetime, limit: int
    ) -> list[ThreadEntry]:
        """The latest texts between them since ``since``, both ways, oldest first."""
        ...

    async def conversations_of(self, customer: str) -> list[Conversation]: ...

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], since: datetime
    ) -> ThreadNumbers:
        """The number of the newest email in ``references`` that the bridge wrote or sent
        from, else the numbers of the customer's conversations and texts since ``since``."""
        ...


class Contacts(Protocol):
    """The address book: customers by number, with their name, address, tags, time zone."""

    async def contact(self, number: str) -> Contact | None:
        """The contact of an E.164 number, if it is in the address book."""
        ...

    async def contacts(
        self, *, tag: str | None = None, search: str | None = None, limit: int = 1000
    ) -> list[Contact]:
        """Contacts with ``tag`` whose name, address, notes or number hold ``search``
        (either may be left out), those with a name first, by name."""
        ...

    async def save_contacts(self, contacts: Sequence[Contact], *, now: datetime) -> int:
        """Insert or replace each contact by number, all in one transaction; how many were
        saved. Each is checked first (``InvalidContact`` names the field at fault)."""
        ...

    async def delete_contact(self, number: str) -> bool:
        """Remove a contact; False when the number was not in the address book."""
        ...


class Cursors(Protocol):
    """Where each watcher got to, so that a restart neither misses nor repeats."""

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


class RateBuckets(Protocol):
    """Rate limits that every bridge on the database shares."""

    async def take_tokens(
        self, limits: Sequence[tuple[str, float, int]], *, now: datetime
    ) -> float:
        """A token from each of ``limits`` (key, texts a second, burst) and 0.0, or the seconds
        to wait and nothing taken: the buckets every bridge on this database shares."""
        ...


class Velocity(Protocol):
    """How many numbers an author texts for the first time (the velocity guard), shared by
    every bridge on the database."""

    async def new_numbers(
        self, *, author: str, to_number: str, since: datetime, now: datetime
    ) -> NewNumbers:
        """Whether ``author`` first texted ``to_number`` at or after ``since`` (never: it is
        new, first texted ``now``), and how many numbers they first texted since then before it."""
        ...

    async def velocity_alert(
        self, *, author: str, mail: NewMailJob, since: datetime, now: datetime
    ) -> bool:
        """Queue ``mail`` (an administrator's alert about ``author``) unless one was queued
        since ``since``; whether it was."""
        ...


class Caps(Protocol):
    """What the chain's caps count, shared by every bridge on the database."""

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        """When ``number``'s texts of ``category`` made since ``since`` go (or went), oldest
        first: when made, or when a rule deferred them to; texts that failed are not counted."""
        ...

    async def spent(self, *, authors: str, month: datetime, day: datetime) -> tuple[Spent, ...]:
        """The segments of the authors ``authors`` names (an address, or a domain with its
        subdomains) since ``month`` and since ``day``, by author and recipient country."""
        ...

    async def recipient(
        self,
        *,
        number: str | None,
        category: str | None,
        since: datetime,
        authors: str | None,
        month: datetime,
        day: datetime,
        windows: tuple[SentWindow, ...] = (),
    ) -> Recipient:
        """``contact(number)``, ``sent_times(number, category, since)`` and ``spent(authors,
        month, day)`` in one operation; each whose key is None is left out, empty. With
        ``windows``, the texts are counted in each and their times read only when a count
        reaches its window's ``enough`` (``Recipient``)."""
        ...

    async def warn_once(self, key: str, mail: NewMailJob, *, now: datetime) -> bool:
        """Queue ``mail`` if no warning of ``key`` was queued before (by any bridge); whether
        it was queued now."""
        ...


class Health(Protocol):
    """What health checks and the CLI read and write to see that the store works."""

    async def counts(self) -> QueueCounts: ...

    async def queue_gauges(self, *, now: datetime) -> dict[str, QueueGauge]:
        """The texts' (``sms``) and emails' (``mail``) queues, in one indexed query."""
        ...

    async def heartbeat(self, *, owner: str, now: datetime) -> None:
        """Write this bridge's heartbeat: raises when the store cannot be written."""
        ...


class Upkeep(Protocol):
    """Work on the whole store: leases after a restart, old rows after retention."""

    async def release_leases(self, *, now: datetime) -> int:
        """Make every leased job claimable now; only safe when no other bridge shares the store."""
        ...

    async def purge(self, *, before: datetime) -> int:
        """Delete finished jobs, routed texts and conversations last touched before ``before``
        (``store.retention_days``); returns how many rows went."""
        ...

    async def purge_media(self, *, now: datetime) -> int:
        """Delete the MMS pictures that have expired by ``now``; returns how many went."""
        ...


class MediaFiles(Protocol):
    """Pictures served to providers for MMS (``/media/<token>``)."""

    async def media_file(self, token: str, *, now: datetime) -> tuple[str, bytes] | None:
        """The picture's content type and bytes, or None if unknown or expired."""
        ...


class ClusterLocks(Protocol):
    """Work that must run on one bridge of a cluster at a time."""

    # True when this process alone uses the database, so leases left at start are its own.
    exclusive: bool

    async def try_lock(self, name: str) -> HeldLock | None:
        """Hold ``name`` for work that must run on one bridge of a cluster, or None if another
        bridge holds it. The lock goes when this bridge (or its database connection) dies."""
        ...


class Batches(Protocol):
    """Texts of one email that wait for a later time, which their author may cancel."""

    async def enqueue_batch(
        self,
        batch: NewBatch,
        jobs: Sequence[NewSmsJob],
        *,
        now: datetime,
        notices: Sequence[NewMailJob] = (),
        changes: Sequence[ConversationChange] = (),
        media: Sequence[MediaFile] = (),
    ) -> list[Queued]:
        """``enqueue_sms``, with the batch and its confirmation stored too when a job is new."""
        ...

    async def batch(self, token: str) -> dict[str, Any] | None:
        """The batch of ``token`` (its row), or None."""
        ...

    async def cancel_batch(self, batch_id: str, *, now: datetime) -> Cancelled:
        """Cancel every text of the batch no provider has yet; say what became of each."""
        ...

    async def cancel_sms(self, job_id: str, *, now: datetime) -> bool:
        """Cancel one waiting text; False if it is not waiting (or not there)."""
        ...

    async def scheduled(self, *, state: str | None, limit: int) -> list[dict[str, Any]]:
        """The texts of batches, earliest due first, with their batch's token and zone."""
        ...


class Console(Protocol):
    """What the admin console reads and does (``bridge.store.ops_console``)."""

    async def history(
        self, only: HistoryFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """The newest texts ``only`` lets through, older than ``after`` (a row's created_at
        and id): a page of the outbound history by keyset."""
        ...

    async def retry_sms(self, job_id: str, *, now: datetime, entry: AuditEntry) -> bool:
        """Queue a text that reached nobody (failed, undelivered) again from its first
        attempt; ``entry`` is written to the audit log with what came of it."""
        ...

    async def cancel_sms_audited(self, job_id: str, *, now: datetime, entry: AuditEntry) -> bool:
        """``cancel_sms``, with ``entry`` written to the audit log with what came of it."""
        ...

    async def write_audit(self, entry: AuditEntry) -> None: ...

    async def audit_log(
        self, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[AuditEntry]: ...

    async def audit_of(self, job_id: str) -> list[AuditEntry]: ...

    async def volume(self, *, since: datetime) -> list[tuple[int, str, int]]:
        """Texts made since ``since``: (Unix hour, state, how many)."""
        ...

    async def login_failures(self, address: str, *, since: datetime, limit: int) -> list[float]:
        """When ``address``'s latest wrong passwords since ``since`` came, newest first."""
        ...

    async def login_failed(self, address: str, *, now: datetime, forget_before: datetime) -> None:
        """Record a wrong password; forget every one older than ``forget_before``."""
        ...

    async def login_succeeded(self, address: str, *, forget_before: datetime) -> None:
        """Forget ``address``'s wrong passwords (and everyone's older than ``forget_before``)."""
        ...


class BulkSends(Protocol):
    """Bulk sends by attachment: the email kept, its texts held for SEND, its summary once."""

    # True when a write runs in this process (SQLite's writer thread, which shares the
    # interpreter lock with the event loop), False when the database server does the work:
    # then a bulk send's next rows are decided while its last chunk is stored.
    writes_in_process: bool

    async def receive_bulk(self, send: NewBulkSend, *, now: datetime) -> tuple[str, bool]:
        """Store the email's batch and file: (batch id, True); (its id, False) if stored."""
        ...

    async def claim_bulk(
        self, *, now: datetime, lease_seconds: float, owner: str
    ) -> BulkSend | None:
        """Lease the oldest received bulk send no other worker holds, or None."""
        ...

    async def keep_bulk_lease(
        self, batch_id: str, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool: ...

    async def store_bulk_jobs(
        self, batch_id: str, jobs: Sequence[tuple[int, NewSmsJob]], *, state: str, now: datetime
    ) -> int:
        """Store texts of the batch (with their file lines) in ``state``: held or queued; how
        many were new (a text stored by an earlier attempt is left as it is)."""
        ...

    async def bulk_previewed(
        self, batch_id: str, *, owner: str, not_sent: str, preview: NewMailJob, now: datetime
    ) -> str:
        """The preview stored before the batch's texts, once, if ``owner`` still holds the
        send: 'previewed', 'previewed before' (an earlier attempt stored it), 'lost', or the
        batch's state when it is no longer open ('cancelled')."""
        ...

    async def bulk_planned(
        self, batch_id: str, *, owner: str, state: str, not_sent: str, now: datetime
    ) -> str:
        """The batch's texts all stored: the batch moved to ``state`` if ``owner`` still holds
        it; its state after. In ``state`` 'open' (sent at once) its held texts are queued."""
        ...

    async def bulk_failed(
        self, batch_id: str, *, owner: str, mail: NewMailJob, now: datetime
    ) -> bool:
        """The file unusable: the batch 'failed', the texts stored of it cancelled, ``mail``
        stored for its author; False when ``owner`` no longer holds it."""
        ...

    async def send_held(
        self, batch_id: str, *, now: datetime, everywhere: bool = True
    ) -> tuple[int, int] | None:
        """SEND: the held texts queued, but those whose customer opted out since the preview
        cancelled (``everywhere``: the organisation's opt-out scope); (queued, cancelled),
        or None when the batch is not held."""
        ...

    async def bulk_finished(self, *, limit: int) -> list[dict[str, Any]]: ...

    async def bulk_results(self, batch_id: str) -> list[dict[str, Any]]: ...

    async def bulk_summarised(self, batch_id: str, *, summary: NewMailJob, now: datetime) -> bool:
        """Store the summary unless it was stored before."""
        ...

    async def suppressed_customers(self) -> frozenset[str]:
        """Every customer with an opt-out of any scope (read once for a bulk send's rows)."""
        ...

    async def expire_held(self, *, now: datetime) -> int:
        """Cancel the held texts of previewed bulk sends past their expiry; how many."""
        ...


class ApiTokens(Protocol):
    """The HTTP send endpoint's tokens (kept as digests) and remembered answers."""

    async def add_api_token(self, name: str, *, digest: str, author: str, now: datetime) -> bool:
        """False when ``name`` has a token that was not revoked."""
        ...

    async def api_token(self, digest: str) -> ApiToken | None: ...

    async def api_tokens(self) -> list[ApiToken]: ...

    async def revoke_api_token(self, name: str, *, now: datetime) -> bool: ...

    async def api_answer(self, name: str, key: str, *, since: datetime) -> ApiAnswer | None:
        """The answer given to ``key`` after ``since``, if one was."""
        ...

    async def api_send(
        self,
        name: str,
        key: str,
        job: NewSmsJob | None,
        answer: Callable[[Queued | None], ApiAnswer],
        *,
        now: datetime,
        since: datetime,
    ) -> ApiAnswer:
        """Store ``job`` and its ``answer`` under ``key`` in one transaction, unless ``key``
        was answered after ``since``: then that answer, and nothing stored."""
        ...

    async def add_sender_check(
        self, message_id: str, *, author: str, results: str, refused: bool, now: datetime
    ) -> None:
        """Keep what ``[smtp.sender_auth]`` found for an email (its Authentication-Results)."""
        ...

    async def sender_checks(self, message_id: str) -> list[str]: ...


class Reports(Protocol):
    """What the reports read: counts by group over a period, never one row per text."""

    async def report_data(self, *, key: Key, start: datetime, end: datetime) -> ReportData:
        """The figures' data for the texts accepted in [start, end), grouped by ``key``."""


class Links(Protocol):
    """Short links (stored with their text by ``enqueue_sms``) and the clicks on them."""

    async def short_link(self, code: str) -> tuple[ShortLink, str] | None:
        """The link of ``code`` and the id of its text, or None."""
        ...

    async def record_clicks(self, clicks: Sequence[Click]) -> int:
        """Store a batch of clicks in one transaction."""
        ...

    async def job_clicks(self, job_ids: Sequence[str]) -> dict[str, LinkClicks]:
        """The clicks on each text's links (texts without links left out)."""
        ...

    async def link_report(self, *, since: datetime) -> list[dict[str, Any]]:
        """Texts with links since ``since``, clicked or not, by author, sender and category."""
        ...


class Store(
    ApiTokens,
    Links,
    Batches,
    BulkSends,
    SmsQueue,
    MailQueue,
    InboundLog,
    Suppressions,
    ConsentLedger,
    Threads,
    Contacts,
    Cursors,
    RateBuckets,
    Velocity,
    Caps,
    ClusterLocks,
    Health,
    Upkeep,
    MediaFiles,
    Console,
    Reports,
    Protocol,
):
    """Durable jobs with leases: every role together. Every method commits before it returns."""

    async def open(self) -> None:
        """Connect and check the schema (SQLite also brings it up to date)."""
        ...

    async def migrate(self) -> tuple[int, int]:
        """Bring the schema to this bridge's version: (version before, version after)."""
        ...

    async def close(self) -> None: ...
