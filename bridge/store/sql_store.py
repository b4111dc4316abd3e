"""``Store`` in terms of the shared operations; a backend only supplies ``_do``.

``_do`` runs one operation (``bridge.store.statements.Op``) as one committed transaction:
SQLite through its group-committing writer thread, PostgreSQL on a pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bridge.metrics.consent import count_consent
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
from bridge.parsing.contacts import checked
from bridge.reports.data import Key, ReportData
from bridge.store import (
    ops,
    ops_api,
    ops_batches,
    ops_bulk,
    ops_caps,
    ops_consent,
    ops_console,
    ops_contacts,
    ops_facts,
    ops_limits,
    ops_links,
    ops_reports,
    ops_velocity,
)
from bridge.store import ops_inbound as inbound
from bridge.store.base import HeldLock, InboundContext, QueueCounts, QueueGauge
from bridge.store.console_records import AuditEntry, HistoryFilter
from bridge.store.outbox_filter import OutboxFilter
from bridge.store.queries import Q, Query
from bridge.store.rows import conversation_row, dt, inbound_row, mail_row, record_row, sms_row, ts
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = ["SqlStore"]

T = TypeVar("T")


def _rows(query: Query, *args: Any) -> Op[list[Any]]:
    rows: list[Any] = yield all_rows(query, *args)
    return rows


def _row(query: Query, *args: Any) -> Op[Any]:
    return (yield one_row(query, *args))


def _changed(query: Query, *args: Any) -> Op[int]:
    changed: int = yield count(query, *args)
    return changed


class _OwnLock:
    """The lock of a store only this process uses: always held."""

    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class SqlStore:
    """Every ``Store`` method; subclasses implement ``_do``, ``open`` and ``close``."""

    exclusive = False  # True when this process alone uses the database (its leases are its own)
    writes_in_process = True  # False when the database server does the writing (PostgreSQL)
    claims_with_records = False  # sms_sent_claiming leases no job (see Store)

    async def try_lock(self, name: str) -> HeldLock | None:
        """Cluster-wide locks; a store used by one process alone needs none."""
        if not self.exclusive:
            raise NotImplementedError
        return _OwnLock()

    async def _do(self, op: Op[T]) -> T:
        raise NotImplementedError

    async def _read(self, op: Op[T]) -> T:
        """Run ``op``, which only reads, seeing what is committed: the outbound chain's facts,
        read for every text. A backend may answer these without queueing behind writes."""
        return await self._do(op)

    async def _read_long(self, op: Op[T]) -> T:
        """A read that takes seconds (a report); a backend may keep it off the event loop."""
        return await self._read(op)

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def migrate(self) -> tuple[int, int]:
        raise NotImplementedError

    async def enqueue_sms(
        self,
        jobs: Sequence[NewSmsJob],
        *,
        now: datetime,
        notices: Sequence[NewMailJob] = (),
        media: Sequence[MediaFile] = (),
        changes: Sequence[ConversationChange] = (),
    ) -> list[Queued]:
        return await self._do(ops.enqueue_sms(jobs, notices, ts(now), media, changes))

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
        op = ops_batches.enqueue_batch(batch, jobs, notices, ts(now), media, changes)
        return await self._do(op)

    async def batch(self, token: str) -> dict[str, Any] | None:
        return await self._do(ops_batches.batch_by_token(token))

    async def cancel_batch(self, batch_id: str, *, now: datetime) -> Cancelled:
        return await self._do(ops_batches.cancel_batch(batch_id, ts(now)))

    async def cancel_sms(self, job_id: str, *, now: datetime) -> bool:
        return await self._do(ops_batches.cancel_job(job_id, ts(now)))

    async def scheduled(self, *, state: str | None, limit: int) -> list[dict[str, Any]]:
        return await self._do(ops_batches.scheduled(state, limit))

    async def receive_bulk(self, send: NewBulkSend, *, now: datetime) -> tuple[str, bool]:
        return await self._do(ops_bulk.receive_bulk(send, ts(now)))

    async def claim_bulk(
        self, *, now: datetime, lease_seconds: float, owner: str
    ) -> BulkSend | None:
        return await self._do(ops_bulk.claim_bulk(ts(now), lease_seconds, owner))

    async def keep_bulk_lease(
        self, batch_id: str, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool:
        return await self._do(ops_bulk.keep_bulk_lease(batch_id, owner, ts(now) + lease_seconds))

    async def store_bulk_jobs(
        self, batch_id: str, jobs: Sequence[tuple[int, NewSmsJob]], *, state: str, now: datetime
    ) -> int:
        return await self._do(ops_bulk.store_bulk_jobs(batch_id, jobs, state, ts(now)))

    async def bulk_previewed(
        self, batch_id: str, *, owner: str, not_sent: str, preview: NewMailJob, now: datetime
    ) -> str:
        op = ops_bulk.bulk_previewed(batch_id, owner, not_sent, preview, ts(now))
        return await self._do(op)

    async def bulk_planned(
        self, batch_id: str, *, owner: str, state: str, not_sent: str, now: datetime
    ) -> str:
        return await self._do(ops_bulk.bulk_planned(batch_id, owner, state, not_sent, ts(now)))

    async def bulk_failed(
        self, batch_id: str, *, owner: str, mail: NewMailJob, now: datetime
    ) -> bool:
        return await self._do(ops_bulk.bulk_failed(batch_id, owner, mail, ts(now)))

    async def send_held(
        self, batch_id: str, *, now: datetime, everywhere: bool = True
    ) -> tuple[int, int] | None:
        return await self._do(ops_bulk.send_held(batch_id, ts(now), everywhere))

    async def bulk_finished(self, *, limit: int) -> list[dict[str, Any]]:
        return await self._read(ops_bulk.bulk_finished(limit))

    async def bulk_results(self, batch_id: str) -> list[dict[str, Any]]:
        return await self._read(ops_bulk.bulk_results(batch_id))

    async def bulk_summarised(self, batch_id: str, *, summary: NewMailJob, now: datetime) -> bool:
        return await self._do(ops_bulk.bulk_summarised(batch_id, summary, ts(now)))

    async def expire_held(self, *, now: datetime) -> int:
        return await self._do(ops_bulk.expire_held(ts(now)))

    async def suppressed_customers(self) -> frozenset[str]:
        return await self._read(ops_bulk.suppressed_customers())

    async def claim_sms(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[SmsJob]:
        rows = await self._do(ops.claim(Q.claim_sms, ts(now), limit, lease_seconds, owner))
        return [sms_row(row) for row in rows]

    async def keep_sms_lease(
        self, job_id: str, *, owner: str, lease_seconds: float, now: datetime
    ) -> bool:
        return await self._do(ops.keep_sms_lease(job_id, owner, ts(now) + lease_seconds))

    async def sms_sent(
        self, job_id: str, *, owner: str, provider: str, result: SendResult, now: datetime
    ) -> bool:
        return await self._do(ops.sms_sent(job_id, owner, provider, result, ts(now)))

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
        """SQLite's: the text recorded, no job claimed (see ``Store.sms_sent_claiming``)."""
        recorded = await self.sms_sent(
            job_id, owner=owner, provider=provider, result=result, now=now
        )
        return recorded, []

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
        return await self._do(
            ops.sms_retry(job_id, owner, error, code, ts(at), ts(now), maybe_sent_via)
        )

    async def sms_defer(
        self,
        job_id: str,
        *,
        owner: str,
        at: datetime,
        now: datetime,
        why: tuple[str, str] | None = None,
    ) -> bool:
        error, code = why or (None, None)
        return await self._do(ops.sms_defer(job_id, owner, ts(at), ts(now), error, code))

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
        return await self._do(ops.sms_failed(job_id, owner, error, code, ts(now), notice, fallback))

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
        return await self._do(ops.sms_reported(job_id, state, error, code, ts(now), notice, price))

    async def sms_priced(self, job_id: str, *, price: str, cost: float | None) -> bool:
        return await self._do(ops_caps.priced(job_id, price, cost))

    async def enqueue_mail(self, mails: Sequence[NewMailJob], *, now: datetime) -> list[str]:
        return await self._do(ops.enqueue_mail(mails, ts(now)))

    async def claim_mail(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[MailJob]:
        rows = await self._do(ops.claim(Q.claim_mail, ts(now), limit, lease_seconds, owner))
        return [mail_row(row) for row in rows]

    async def mail_sent(self, job_id: str, *, owner: str, now: datetime) -> bool:
        return await self._do(ops.mail_state(job_id, owner, "sent", None, ts(now), ts(now)))

    async def mail_retry(
        self, job_id: str, *, owner: str, error: str, at: datetime, now: datetime
    ) -> bool:
        return await self._do(ops.mail_state(job_id, owner, "queued", error, ts(at), ts(now)))

    async def mail_failed(self, job_id: str, *, owner: str, error: str, now: datetime) -> bool:
        return await self._do(ops.mail_state(job_id, owner, "failed", error, ts(now), ts(now)))

    async def release_leases(self, *, now: datetime) -> int:
        return await self._do(ops.release_leases(ts(now)))

    async def heartbeat(self, *, owner: str, now: datetime) -> None:
        await self._do(ops.heartbeat(owner, ts(now)))

    async def purge(self, *, before: datetime) -> int:
        return await self._do(ops.purge(ts(before)))

    async def purge_media(self, *, now: datetime) -> int:
        return await self._do(ops.purge_media(ts(now)))

    async def media_file(self, token: str, *, now: datetime) -> tuple[str, bytes] | None:
        return await self._do(ops.media_file(token, ts(now)))

    async def recent_sms(self, *, limit: int, only: OutboxFilter | None = None) -> list[SmsJob]:
        rows = await self._do(_rows(Q.recent_sms, *(only or OutboxFilter()).args(limit)))
        return [sms_row(row) for row in rows]

    async def get_sms(self, job_id: str) -> SmsJob | None:
        row = await self._do(_row(Q.get_sms, job_id))
        return None if row is None else sms_row(row)

    async def find_sms(self, *, provider: str, provider_message_id: str) -> SmsJob | None:
        row = await self._do(_row(Q.find_sms, provider, provider_message_id))
        return None if row is None else sms_row(row)

    async def counts(self) -> QueueCounts:
        return await self._do(ops.counts(datetime.now(UTC).timestamp() - 86400))

    async def queue_gauges(self, *, now: datetime) -> dict[str, QueueGauge]:
        return await self._read(ops.queue_gauges(ts(now)))

    async def receive_sms(self, sms: InboundSms, *, now: datetime) -> tuple[str, bool]:
        return await self._do(inbound.insert_inbound(sms, ts(now)))

    async def receive_part(self, part: InboundPart, *, now: datetime) -> tuple[str, bool] | None:
        return await self._do(inbound.insert_part(part, ts(now)))

    async def fresh_inbound_context(
        self, sms: InboundSms, *, history_since: datetime, history: int
    ) -> InboundContext | None:
        return await self._do(_fresh_context(sms, ts(history_since), history))

    async def receive_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> tuple[bool, bool]:
        return await self._do(_received_routed(job, outcome, ts(now)))

    async def claim_inbound(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[InboundJob]:
        rows = await self._do(ops.claim(Q.claim_inbound, ts(now), limit, lease_seconds, owner))
        return [inbound_row(row) for row in rows]

    async def inbound_context(
        self,
        *,
        customer: str,
        reply_number: str,
        history_since: datetime | None = None,
        history: int = 0,
    ) -> InboundContext:
        since = ts(history_since) if history_since else 0.0
        return await self._do(inbound.context(customer, reply_number, since, history))

    async def thread(
        self, *, customer: str, reply_number: str, since: datetime, limit: int
    ) -> list[ThreadEntry]:
        return await self._do(inbound.thread(customer, reply_number, ts(since), limit))

    async def conversations_of(self, customer: str) -> list[Conversation]:
        rows = await self._do(_rows(Q.conversations_of, customer))
        return [conversation_row(row) for row in rows]

    async def inbound_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> list[str]:
        return await self._do(_routed(job, outcome, ts(now)))

    async def recent_inbound(self, *, limit: int) -> list[InboundRecord]:
        rows = await self._do(_rows(Q.recent_inbound, limit))
        return [record_row(row) for row in rows]

    async def inbound_record(self, inbound_id: str) -> InboundRecord | None:
        row = await self._do(_row(Q.get_inbound, inbound_id))
        return None if row is None else record_row(row)

    async def inbound_retry(self, job_id: str, *, at: datetime, now: datetime) -> None:
        await self._do(_changed(Q.inbound_retry, ts(at), ts(now), job_id))

    async def suppressed_since(self, *, reply_number: str, customer: str) -> datetime | None:
        found = await self.inbound_context(customer=customer, reply_number=reply_number)
        return found.suppressed_since

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], since: datetime
    ) -> ThreadNumbers:
        return await self._read(inbound.thread_numbers(customer, references, ts(since)))

    async def suppress(self, *, reply_number: str, customer: str, now: datetime) -> None:
        await self._do(
            inbound.set_suppressed(
                reply_number=reply_number, customer=customer, on=True, now=ts(now)
            )
        )

    async def record_consent(
        self, events: Sequence[ConsentEvent], *, suppress: bool, once: bool = False
    ) -> int:
        events = list(events)
        recorded = await self._do(ops_consent.record_all(events, suppress=suppress, once=once))
        # ``once`` skips what is already in force: then fewer were recorded (one, or none, as
        # a provider's opt-out gives them one at a time)
        count_consent(events if recorded == len(events) else events[:recorded])
        return recorded

    async def consent_events(
        self, *, number: str | None = None, limit: int = 1000
    ) -> list[ConsentEvent]:
        return await self._do(ops_consent.events(number, limit))

    async def latest_consent(self, *, customer: str, sender: str) -> ConsentEvent | None:
        return await self._read(ops_consent.latest_consent(customer, sender))

    async def campaign_opt_ins(
        self, *, start: datetime, end: datetime
    ) -> dict[str, dict[str, int]]:
        return await self._do(ops_consent.campaign_opt_ins(start, end))

    async def suppression(self, *, customer: str, reply_number: str | None) -> Suppression | None:
        return await self._read(ops_consent.suppression(customer, reply_number))

    async def watch_cursor(self, *, provider: str, reply_number: str) -> datetime | None:
        row = await self._do(_row(Q.watch_cursor, provider, reply_number))
        return dt(row["seen_until"]) if row else None

    async def set_watch_cursor(
        self, *, provider: str, reply_number: str, seen_until: datetime
    ) -> None:
        await self._do(ops.set_watch_cursor(provider, reply_number, ts(seen_until)))

    async def take_tokens(
        self, limits: Sequence[tuple[str, float, int]], *, now: datetime
    ) -> float:
        return await self._do(ops_limits.take_tokens(limits, ts(now)))

    async def new_numbers(
        self, *, author: str, to_number: str, since: datetime, now: datetime
    ) -> NewNumbers:
        return await self._read(ops_velocity.new_numbers(author, to_number, ts(since), ts(now)))

    async def velocity_alert(
        self, *, author: str, mail: NewMailJob, since: datetime, now: datetime
    ) -> bool:
        return await self._do(ops_velocity.alert_once(author, mail, ts(since), ts(now)))

    async def mailbox_cursor(self, mailbox: str) -> tuple[int, int] | None:
        row = await self._do(_row(Q.mailbox_cursor, mailbox))
        return (int(row["uidvalidity"]), int(row["last_uid"])) if row else None

    async def set_mailbox_cursor(self, mailbox: str, *, uidvalidity: int, last_uid: int) -> None:
        await self._do(ops.set_mailbox_cursor(mailbox, uidvalidity, last_uid))

    async def contact(self, number: str) -> Contact | None:
        return await self._read(ops_contacts.contact(number))

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        times = await self._read(ops_caps.sent_times(number, category, ts(since)))
        return tuple(datetime.fromtimestamp(at, UTC) for at in times)

    async def spent(self, *, authors: str, month: datetime, day: datetime) -> tuple[Spent, ...]:
        return tuple(await self._read(ops_caps.spent(authors, ts(month), ts(day))))

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
        spans = tuple(
            (ts(w.start), None if w.end is None else ts(w.end), w.enough) for w in windows
        )
        op = ops_facts.recipient(number, category, ts(since), authors, ts(month), ts(day), spans)
        contact, counts, sent, spent = await self._read(op)
        return Recipient(
            contact,
            tuple(datetime.fromtimestamp(at, UTC) for at in sent),
            tuple(spent),
            None if counts is None else tuple(counts),
        )

    async def warn_once(self, key: str, mail: NewMailJob, *, now: datetime) -> bool:
        return await self._do(ops_caps.warn_once(key, mail, ts(now)))

    async def contacts(
        self, *, tag: str | None = None, search: str | None = None, limit: int = 1000
    ) -> list[Contact]:
        return await self._do(ops_contacts.contacts(tag, search, limit))

    async def save_contacts(self, contacts: Sequence[Contact], *, now: datetime) -> int:
        normal = [checked(contact) for contact in contacts]  # before the writer is asked
        return await self._do(ops_contacts.save_contacts(normal, ts(now)))

    async def delete_contact(self, number: str) -> bool:
        return await self._do(ops_contacts.delete_contact(number))

    async def history(
        self, only: HistoryFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        key = (ts(after[0]), after[1]) if after is not None else None
        return await self._read(ops_console.history_page(only, key, limit))

    async def retry_sms(self, job_id: str, *, now: datetime, entry: AuditEntry) -> bool:
        return await self._do(ops_console.retry(job_id, ts(now), entry))

    async def cancel_sms_audited(self, job_id: str, *, now: datetime, entry: AuditEntry) -> bool:
        return await self._do(ops_console.cancel(job_id, ts(now), entry))

    async def write_audit(self, entry: AuditEntry) -> None:
        await self._do(ops_console.audit(entry))

    async def audit_log(
        self, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[AuditEntry]:
        key = (ts(after[0]), after[1]) if after is not None else None
        return await self._read(ops_console.audit_page(key, limit))

    async def audit_of(self, job_id: str) -> list[AuditEntry]:
        return await self._read(ops_console.audit_of_job(job_id))

    async def volume(self, *, since: datetime) -> list[tuple[int, str, int]]:
        return await self._read(ops_console.volume_by_hour(ts(since)))

    async def login_failures(self, address: str, *, since: datetime, limit: int) -> list[float]:
        return await self._do(ops_console.login_failures(address, ts(since), limit))

    async def login_failed(self, address: str, *, now: datetime, forget_before: datetime) -> None:
        await self._do(ops_console.login_failed(address, ts(now), ts(forget_before)))

    async def login_succeeded(self, address: str, *, forget_before: datetime) -> None:
        await self._do(ops_console.login_succeeded(address, ts(forget_before)))

    # The HTTP send endpoint (bridge/web/send_api.py)

    async def add_api_token(self, name: str, *, digest: str, author: str, now: datetime) -> bool:
        return await self._do(ops_api.add_token(name, digest, author, ts(now)))

    async def api_token(self, digest: str) -> ApiToken | None:
        return await self._read(ops_api.token(digest))

    async def api_tokens(self) -> list[ApiToken]:
        return await self._read(ops_api.tokens())

    async def revoke_api_token(self, name: str, *, now: datetime) -> bool:
        return await self._do(ops_api.revoke_token(name, ts(now)))

    async def api_answer(self, name: str, key: str, *, since: datetime) -> ApiAnswer | None:
        return await self._read(ops_api.stored_answer(name, key, ts(since)))

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
        op = ops_api.send_once(name, key, job, answer, now=ts(now), since=ts(since))
        return await self._do(op)

    async def add_sender_check(
        self, message_id: str, *, author: str, results: str, refused: bool, now: datetime
    ) -> None:
        await self._do(ops_api.add_sender_check(message_id, author, results, refused, ts(now)))

    async def sender_checks(self, message_id: str) -> list[str]:
        return await self._read(ops_api.sender_checks(message_id))

    async def report_data(self, *, key: Key, start: datetime, end: datetime) -> ReportData:
        return await self._read_long(ops_reports.report_data(key, ts(start), ts(end)))

    async def short_link(self, code: str) -> tuple[ShortLink, str] | None:
        return await self._read(ops_links.short_link(code))

    async def record_clicks(self, clicks: Sequence[Click]) -> int:
        return await self._do(ops_links.record_clicks(clicks))

    async def job_clicks(self, job_ids: Sequence[str]) -> dict[str, LinkClicks]:
        return await self._read(ops_links.job_clicks(job_ids))

    async def link_report(self, *, since: datetime) -> list[dict[str, Any]]:
        return await self._read(ops_links.link_report(ts(since)))


def _fresh_context(sms: InboundSms, since: float, history: int) -> Op[InboundContext | None]:
    known = yield one_row(Q.inbound_id, sms.provider, sms.provider_message_id)
    if known is not None:
        return None
    return (yield from inbound.context(sms.from_number, sms.to_number, since, history))


def _received_routed(job: InboundJob, outcome: InboundOutcome, now: float) -> Op[tuple[bool, bool]]:
    waiting = yield one_row(Q.inbound_waiting_from, job.from_number, job.to_number)
    _, new = yield from inbound.insert_inbound(inbound.as_received(job), now, inbound_id=job.id)
    if not new or waiting is not None:
        return new, False
    yield from _routed(job, outcome, now)
    return True, True


def _routed(job: InboundJob, outcome: InboundOutcome, now: float) -> Op[list[str]]:
    yield from inbound.mark_routed(job, outcome, now)
    ids = []
    for mail in outcome.mails:
        ids.append((yield from ops.insert_mail(mail, now)))
    for text in outcome.texts:
        ids.append((yield from ops.insert_sms(text, now)).id)
    return ids
