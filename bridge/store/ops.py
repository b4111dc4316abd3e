"""The store's operations on jobs, written once for both backends (``bridge.store.statements``).

Each function is one transaction's worth of work; its SQL is named in
``bridge/store/queries/jobs.sql``. A job still in ``sending`` when it is claimed again was
claimed by a process that never finished it: the claim marks it in doubt, so the worker asks
the provider before sending it again. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so
that several bridges never claim the same job; SQLite has one writer and needs no locking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bridge.models import ConversationChange, MediaFile, NewMailJob, NewSmsJob, Queued, SendResult
from bridge.parsing.numbers import country_of
from bridge.store import ops_inbound as inbound
from bridge.store import ops_links
from bridge.store.base import QueueCounts, QueueGauge
from bridge.store.ids import new_id
from bridge.store.ops_counts import counted, uncounted
from bridge.store.queries import Q, Query
from bridge.store.rows import chain_json, ts
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "Kept",
    "Sent",
    "claim",
    "counts",
    "enqueue_mail",
    "enqueue_sms",
    "heartbeat",
    "insert_mail",
    "insert_media",
    "insert_sms",
    "keep_sms_lease",
    "keep_sms_leases",
    "mail_state",
    "media_file",
    "purge_media",
    "release_leases",
    "set_mailbox_cursor",
    "set_watch_cursor",
    "sms_defer",
    "sms_failed",
    "sms_reported",
    "sms_retry",
    "sms_sent",
    "sms_sent_claiming",
    "sms_sent_many",
]

# One statement per table, in the order the tables have always been visited.
RELEASES = (
    Q.release_inbound_leases,
    Q.release_mail_leases,
    Q.release_sms_leases,
    Q.release_bulk_leases,
)
PURGES = (
    Q.purge_inbound,
    Q.purge_mail,
    Q.purge_sms,
    Q.purge_conversations,
    Q.purge_auto_replies,
    Q.purge_parts,
    Q.purge_heartbeats,
    Q.purge_first_texts,
    Q.purge_spend_counts,
    Q.purge_spend_days,
    Q.purge_bulk_sends,
    Q.purge_batches,
    Q.purge_short_links,  # after purge_sms: a text's links go with it
    Q.purge_link_clicks,
)


def insert_sms(job: NewSmsJob, now: float) -> Op[Queued]:
    """Store ``job``, or return the stored job of the same idempotency key it merges with.

    Without a merge window a stored key always merges: it holds a Message-ID, which names one
    email for good. With one (a key made from the content of an email that had no Message-ID),
    a stored job older than the window is another text that happens to read the same: it
    gives up its key in this transaction and ``job`` is stored.
    """
    for _ in range(3):  # on PostgreSQL another bridge may rename the key between two steps
        job_id = new_id("s")
        added = yield count(Q.insert_sms, *sms_values(job, job_id, now))
        if added:
            yield from ops_links.insert_links(job_id, job.links, now)
            yield from _conversation(job, now)
            yield from counted(job, now)
            return Queued(job_id)
        stored = yield one_row(Q.sms_by_key, job.idempotency_key)
        if stored is None:
            continue  # renamed by another bridge since the insert: try again
        window = job.merge_window
        if window is None or now - float(stored["created_at"]) < window:
            return Queued(str(stored["id"]), merged=True)
        yield count(Q.rename_sms_key, stored["id"], job.idempotency_key)
    raise RuntimeError(f"the idempotency key of a text kept changing: {job.idempotency_key}")


def sms_values(job: NewSmsJob, job_id: str, now: float) -> tuple[object, ...]:
    """A new text's columns as ``insert_sms`` takes them: its state (queued) comes from the
    statement; a bulk send's statement puts its own state after the country."""
    return (
        job_id,
        job.idempotency_key,
        job.message_id,
        job.author,
        job.subject,
        job.to_number,
        job.sender,
        job.text,
        job.encoding,
        job.segments,
        job.route,
        chain_json(job.chain),
        json.dumps(list(job.media)) if job.media else "[]",
        job.category,
        country_of(job.to_number) or "",
        now if job.not_before is None else ts(job.not_before),  # a rule deferred it
        now,
        now,
    )


def _conversation(job: NewSmsJob, now: float) -> Op[None]:
    """A text from a number the customer can reply to starts (or takes over) a conversation."""
    if job.author and job.sender.startswith("+"):
        yield from inbound.record_conversation(
            customer=job.to_number,
            reply_number=job.sender,
            author=job.author,
            message_id=job.message_id,
            subject=job.subject,
            text=job.text,
            now=now,
        )


def insert_mail(mail: NewMailJob, now: float) -> Op[str]:
    mail_id = new_id("m")
    yield count(
        Q.insert_mail,
        mail_id,
        mail.kind,
        mail.envelope_from,
        json.dumps(list(mail.recipients)),
        mail.content,
        now,
        now,
        now,
    )
    return mail_id


def enqueue_sms(
    jobs: Sequence[NewSmsJob],
    notices: Sequence[NewMailJob],
    now: float,
    media: Sequence[MediaFile] = (),
    changes: Sequence[ConversationChange] = (),
) -> Op[list[Queued]]:
    for picture in media:
        yield from insert_media(picture, now)
    for notice in notices:
        yield from insert_mail(notice, now)
    queued = []
    for job in jobs:
        queued.append((yield from insert_sms(job, now)))
    for change in changes:  # after the jobs: a hand-over outlasts the texting author's claim
        yield from inbound.change_conversation(change, now)
    return queued


def enqueue_mail(mails: Sequence[NewMailJob], now: float) -> Op[list[str]]:
    ids = []
    for mail in mails:
        ids.append((yield from insert_mail(mail, now)))
    return ids


def claim(query: Query, now: float, limit: int, lease: float, owner: str) -> Op[list[object]]:
    """Lease up to ``limit`` due jobs with one of the claims (``Q.claim_sms`` and its like)."""
    rows: list[object] = yield all_rows(query, now + lease, owner, now, now, now, limit, alone=True)
    return rows


def keep_sms_lease(job_id: str, owner: str, until: float) -> Op[bool]:
    """Still leased to ``owner``? Then the lease runs until ``until``. One statement, run alone
    (no BEGIN and COMMIT on PostgreSQL, no SAVEPOINT on SQLite): on a shared store the worker
    asks this before every provider call, and asks it again while a slow one runs."""
    kept: int = yield count(Q.keep_sms_lease, until, job_id, owner, alone=True)
    return bool(kept)


def sms_sent(job_id: str, owner: str, provider: str, result: SendResult, now: float) -> Op[bool]:
    changed: int = yield count(
        Q.sms_sent,
        provider,
        result.provider_message_id,
        result.price,
        now,
        job_id,
        owner,
        alone=True,
    )
    return bool(changed)


@dataclass(frozen=True, slots=True)
class Kept:
    """One lease to keep with others (``keep_sms_leases``): ``owner``'s, until ``until``."""

    job_id: str
    owner: str
    until: float


def keep_sms_leases(leases: Sequence[Kept]) -> Op[set[str]]:
    """``keep_sms_lease`` for many jobs in one statement; the ids whose lease was kept."""
    payload = json.dumps([{"id": k.job_id, "owner": k.owner, "until": k.until} for k in leases])
    rows = yield all_rows(Q.keep_sms_leases, payload, alone=True)
    return {str(row["id"]) for row in rows}


@dataclass(frozen=True, slots=True)
class Sent:
    """One text the provider took, to record with others (``sms_sent_many``); ``wanted``
    jobs to lease with it for ``lease`` seconds (``sms_sent_claiming``)."""

    job_id: str
    owner: str
    provider: str
    result: SendResult
    now: float
    lease: float = 0.0
    wanted: int = 0


def sms_sent_many(texts: Sequence[Sent]) -> Op[set[str]]:
    """``sms_sent`` for many texts in one statement; the ids of those recorded (each only
    while still leased to its owner, as ``sms_sent``)."""
    rows = yield all_rows(Q.sms_sent_many, json.dumps([_sent(text) for text in texts]), alone=True)
    return {str(row["id"]) for row in rows}


def sms_sent_claiming(
    texts: Sequence[Sent], owner: str, now: float, lease: float, limit: int
) -> Op[tuple[set[str], list[object]]]:
    """``sms_sent_many``, and up to ``limit`` due jobs leased to ``owner`` by the same
    statement (PostgreSQL only): the ids recorded, and the rows of the jobs claimed."""
    payload = json.dumps([_sent(text) for text in texts])
    rows = yield all_rows(
        Q.sms_sent_claiming, payload, now + lease, owner, now, now, now, limit, alone=True
    )
    recorded = {str(job_id) for job_id in rows[0]["recorded"]}
    return recorded, [row for row in rows if row["id"] is not None]


def _sent(text: Sent) -> dict[str, object]:
    return {
        "id": text.job_id,
        "owner": text.owner,
        "provider": text.provider,
        "message_id": text.result.provider_message_id,
        "price": text.result.price,
        "at": text.now,
    }


def sms_retry(
    job_id: str,
    owner: str,
    error: str,
    code: str | None,
    at: float,
    now: float,
    maybe_sent_via: str | None,
) -> Op[bool]:
    changed: int = yield count(
        Q.sms_retry, at, error, code, maybe_sent_via, now, job_id, owner, alone=True
    )
    return bool(changed)


def sms_defer(
    job_id: str,
    owner: str,
    at: float,
    now: float,
    error: str | None = None,
    code: str | None = None,
) -> Op[bool]:
    changed: int = yield count(Q.sms_defer, at, error, code, now, job_id, owner, alone=True)
    return bool(changed)


def sms_failed(
    job_id: str,
    owner: str,
    error: str,
    code: str | None,
    now: float,
    notice: NewMailJob | None,
    fallback: NewMailJob | None = None,
) -> Op[bool]:
    """Fail the job and store the author's notice (and the text emailed to the customer
    instead, if it is), all or none: a worker that lost the lease tells nobody and emails
    nobody (the job's new holder decides what happens to it)."""
    changed = yield count(Q.sms_failed, error, code, now, job_id, owner)
    if changed:
        yield from _give_back(job_id)
        for mail in (fallback, notice):
            if mail is not None:
                yield from insert_mail(mail, now)
    return bool(changed)


def sms_reported(
    job_id: str,
    state: str,
    error: str | None,
    code: str | None,
    now: float,
    notice: NewMailJob | None,
    price: str | None,
) -> Op[bool]:
    """Move a job to a reported state unless it is already final; the notice goes with it."""
    changed: int = yield count(
        Q.sms_reported,
        state,
        error,
        code,
        price,
        now,
        job_id,
    )
    if changed and state == "failed":
        yield from _give_back(job_id)
    if changed and notice is not None:
        yield from insert_mail(notice, now)
    return bool(changed)


def _give_back(job_id: str) -> Op[None]:
    """A text failed for good: it reached nobody, so it costs its author nothing."""
    row = yield one_row(Q.get_sms, job_id)
    if row is not None:
        yield from uncounted(row)


def mail_state(
    job_id: str, owner: str, state: str, error: str | None, due: float, now: float
) -> Op[bool]:
    changed: int = yield count(Q.mail_state, state, error, due, now, job_id, owner, alone=True)
    return bool(changed)


def release_leases(now: float) -> Op[int]:
    total = 0
    for query in RELEASES:
        total += yield count(query, now)
    return total


def purge(before: float) -> Op[int]:
    """Forget finished work last touched before ``before``: jobs, routed texts, conversations.

    Queued and leased work is never touched, nor the suppression list (a STOP lasts until
    START). A reply after its conversation is forgotten goes to the number's inbox.
    """
    deleted = 0
    for query in PURGES:
        deleted += yield count(query, before)
    return deleted


def insert_media(picture: MediaFile, now: float) -> Op[None]:
    """Keep a picture to serve for an MMS until it expires."""
    yield count(
        Q.insert_media,
        picture.token,
        picture.content_type,
        picture.content,
        len(picture.content),
        now,
        ts(picture.expires_at),
    )


def media_file(token: str, now: float) -> Op[tuple[str, bytes] | None]:
    """A picture's type and bytes while it has not expired; None otherwise."""
    row = yield one_row(Q.media_file, token, now)
    return None if row is None else (str(row["content_type"]), bytes(row["bytes"]))


def purge_media(now: float) -> Op[int]:
    """Forget pictures whose time to be served is over."""
    deleted: int = yield count(Q.purge_media, now)
    return deleted


def heartbeat(owner: str, now: float) -> Op[int]:
    """A write that proves the store takes writes (``/healthz``); one row per bridge process."""
    changed: int = yield count(
        Q.heartbeat,
        owner,
        now,
        alone=True,
    )
    return changed


def counts(day_ago: float) -> Op[QueueCounts]:
    row = yield one_row(Q.counts, day_ago, day_ago)
    return QueueCounts(*(int(value) for value in row))


def queue_gauges(now: float) -> Op[dict[str, QueueGauge]]:
    row = yield one_row(Q.queue_gauges, now, now, now, now)
    values = list(row)
    return {"sms": _gauge(values[:4], now), "mail": _gauge(values[4:], now)}


def _gauge(values: list[Any], now: float) -> QueueGauge:
    due, later, sending, first = values
    oldest = max(0.0, now - float(first)) if first is not None else 0.0
    return QueueGauge(int(due), int(later), int(sending), oldest)


def set_watch_cursor(provider: str, reply_number: str, seen_until: float) -> Op[int]:
    changed: int = yield count(Q.set_watch_cursor, provider, reply_number, seen_until)
    return changed


def set_mailbox_cursor(mailbox: str, uidvalidity: int, last_uid: int) -> Op[int]:
    changed: int = yield count(Q.set_mailbox_cursor, mailbox, uidvalidity, last_uid)
    return changed
