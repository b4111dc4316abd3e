"""The store's operations on jobs, written once for both backends (``bridge.store.statements``).

Each function is one transaction's worth of work. A job still in ``sending`` when it is
claimed again was claimed by a process that never finished it: the claim marks it in doubt
(``SET`` reads the row's old values in both databases), so the worker asks the provider
before sending it again. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so that several
bridges never claim the same job; SQLite has one writer and needs no locking.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bridge.models import NewMailJob, NewSmsJob, SendResult
from bridge.store import ops_inbound as inbound
from bridge.store.base import QueueCounts
from bridge.store.ids import new_id
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "claim",
    "counts",
    "enqueue_mail",
    "enqueue_sms",
    "heartbeat",
    "insert_mail",
    "insert_sms",
    "mail_state",
    "release_leases",
    "set_mailbox_cursor",
    "set_watch_cursor",
    "sms_defer",
    "sms_failed",
    "sms_reported",
    "sms_retry",
    "sms_sent",
]

TABLES = frozenset({"sms_jobs", "mail_jobs", "inbound_sms"})


def insert_sms(job: NewSmsJob, now: float) -> Op[str]:
    job_id = new_id("s")
    added = yield count(
        "INSERT INTO sms_jobs (id, idempotency_key, message_id, author, subject, to_number,"
        " sender, body, encoding, segments, route, state, next_attempt_at, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'queued',?,?,?)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
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
        now,
        now,
        now,
    )
    if added:
        if job.author and job.sender.startswith("+"):  # a number the customer can reply to
            yield from inbound.record_conversation(
                customer=job.to_number,
                reply_number=job.sender,
                author=job.author,
                message_id=job.message_id,
                subject=job.subject,
                text=job.text,
                now=now,
            )
        return job_id
    row = yield one_row("SELECT id FROM sms_jobs WHERE idempotency_key = ?", job.idempotency_key)
    return str(row["id"])


def insert_mail(mail: NewMailJob, now: float) -> Op[str]:
    mail_id = new_id("m")
    yield count(
        "INSERT INTO mail_jobs (id, kind, envelope_from, recipients, content, state,"
        " next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,'queued',?,?,?)",
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
    jobs: Sequence[NewSmsJob], notices: Sequence[NewMailJob], now: float
) -> Op[list[str]]:
    for notice in notices:
        yield from insert_mail(notice, now)
    ids = []
    for job in jobs:
        ids.append((yield from insert_sms(job, now)))
    return ids


def enqueue_mail(mails: Sequence[NewMailJob], now: float) -> Op[list[str]]:
    ids = []
    for mail in mails:
        ids.append((yield from insert_mail(mail, now)))
    return ids


def claim(table: str, now: float, limit: int, lease: float, owner: str) -> Op[list[object]]:
    """Lease up to ``limit`` due jobs of ``table`` (one of three names this module knows)."""
    if table not in TABLES:
        raise ValueError(f"not a job table: {table}")
    update = (
        f"UPDATE {table} SET state = 'sending', lease_until = ?, lease_owner = ?,"  # noqa: S608
        " in_doubt = {doubt}, attempts = attempts + 1, updated_at = ? WHERE id IN ({pick})"
        " RETURNING *"
    )
    sqlite_pick = (
        f"SELECT id FROM {table} WHERE state = 'queued' AND next_attempt_at <= ?"  # noqa: S608
        f" UNION ALL SELECT id FROM {table} WHERE state = 'sending' AND lease_until <= ? LIMIT ?"
    )
    postgres_pick = (
        f"SELECT id FROM {table} WHERE (state = 'queued' AND next_attempt_at <= ?)"  # noqa: S608
        " OR (state = 'sending' AND lease_until <= ?) ORDER BY next_attempt_at LIMIT ?"
        " FOR UPDATE SKIP LOCKED"
    )
    rows: list[object] = yield all_rows(
        update.format(doubt="(state = 'sending')", pick=sqlite_pick),
        now + lease,
        owner,
        now,
        now,
        now,
        limit,
        postgres=update.format(doubt="(state = 'sending')::int", pick=postgres_pick),
        alone=True,
    )
    return rows


def sms_sent(job_id: str, provider: str, result: SendResult, now: float) -> Op[int]:
    changed: int = yield count(
        "UPDATE sms_jobs SET state = 'sent', provider = ?, provider_message_id = ?, price = ?,"
        " lease_until = NULL, lease_owner = NULL, error = NULL, error_code = NULL,"
        " maybe_sent_via = NULL, updated_at = ? WHERE id = ?",
        provider,
        result.provider_message_id,
        result.price,
        now,
        job_id,
        alone=True,
    )
    return changed


def sms_retry(
    job_id: str, error: str, code: str | None, at: float, now: float, maybe_sent_via: str | None
) -> Op[int]:
    changed: int = yield count(
        "UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, error = ?, error_code = ?,"
        " maybe_sent_via = ?, lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?",
        at,
        error,
        code,
        maybe_sent_via,
        now,
        job_id,
        alone=True,
    )
    return changed


def sms_defer(
    job_id: str, at: float, now: float, error: str | None = None, code: str | None = None
) -> Op[int]:
    changed: int = yield count(
        "UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, attempts = attempts - 1,"
        " error = COALESCE(?, error), error_code = COALESCE(?, error_code),"
        " lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?",
        at,
        error,
        code,
        now,
        job_id,
        alone=True,
    )
    return changed


def sms_failed(
    job_id: str, error: str, code: str | None, now: float, notice: NewMailJob | None
) -> Op[None]:
    yield count(
        "UPDATE sms_jobs SET state = 'failed', error = ?, error_code = ?, lease_until = NULL,"
        " lease_owner = NULL, updated_at = ? WHERE id = ?",
        error,
        code,
        now,
        job_id,
    )
    if notice is not None:
        yield from insert_mail(notice, now)


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
    changed = yield count(
        "UPDATE sms_jobs SET state = ?, error = COALESCE(?, error), error_code = COALESCE(?,"
        " error_code), price = COALESCE(?, price), updated_at = ? WHERE id = ?"
        " AND state NOT IN ('delivered', 'undelivered', 'failed')",
        state,
        error,
        code,
        price,
        now,
        job_id,
    )
    if changed and notice is not None:
        yield from insert_mail(notice, now)
    return bool(changed)


def mail_state(job_id: str, state: str, error: str | None, due: float, now: float) -> Op[int]:
    changed: int = yield count(
        "UPDATE mail_jobs SET state = ?, error = ?, next_attempt_at = ?, lease_until = NULL,"
        " lease_owner = NULL, updated_at = ? WHERE id = ?",
        state,
        error,
        due,
        now,
        job_id,
        alone=True,
    )
    return changed


def release_leases(now: float) -> Op[int]:
    total = 0
    for table in sorted(TABLES):
        total += yield count(
            f"UPDATE {table} SET lease_until = ? WHERE state = 'sending'",  # noqa: S608
            now,
        )
    return total


def purge(before: float) -> Op[int]:
    """Forget finished work last touched before ``before``: jobs, routed texts, conversations.

    Queued and leased work is never touched, nor the suppression list (a STOP lasts until
    START). A reply after its conversation is forgotten goes to the number's inbox.
    """
    deleted = 0
    for table in sorted(TABLES):
        deleted += yield count(
            f"DELETE FROM {table} WHERE state NOT IN ('queued', 'sending')"  # noqa: S608
            " AND updated_at < ?",
            before,
        )
    for statement in (
        "DELETE FROM conversations WHERE last_at < ?",
        "DELETE FROM auto_replies WHERE last_at < ?",
        "DELETE FROM inbound_parts WHERE assembled = 1 AND received_at < ?",
        "DELETE FROM bridge_heartbeats WHERE at < ?",
    ):
        deleted += yield count(statement, before)
    return deleted


def heartbeat(owner: str, now: float) -> Op[int]:
    """A write that proves the store takes writes (``/healthz``); one row per bridge process."""
    changed: int = yield count(
        "INSERT INTO bridge_heartbeats (owner, at) VALUES (?, ?)"
        " ON CONFLICT (owner) DO UPDATE SET at = excluded.at",
        owner,
        now,
        alone=True,
    )
    return changed


def counts(day_ago: float) -> Op[QueueCounts]:
    row = yield one_row(
        "SELECT"
        " (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts = 0),"
        " (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts > 0),"
        " (SELECT count(*) FROM sms_jobs WHERE state = 'sending'),"
        " (SELECT count(*) FROM mail_jobs WHERE state IN ('queued', 'sending')),"
        " (SELECT count(*) FROM sms_jobs WHERE state = 'failed' AND updated_at >= ?),"
        " (SELECT count(*) FROM mail_jobs WHERE state = 'failed' AND updated_at >= ?)",
        day_ago,
        day_ago,
    )
    return QueueCounts(*(int(value) for value in row))


def set_watch_cursor(provider: str, reply_number: str, seen_until: float) -> Op[int]:
    text = (
        "INSERT INTO watch_cursors VALUES (?,?,?) ON CONFLICT (provider, reply_number)"
        " DO UPDATE SET seen_until = {}(watch_cursors.seen_until, excluded.seen_until)"
    )
    changed: int = yield count(
        text.format("max"), provider, reply_number, seen_until, postgres=text.format("GREATEST")
    )
    return changed


def set_mailbox_cursor(mailbox: str, uidvalidity: int, last_uid: int) -> Op[int]:
    changed: int = yield count(
        "INSERT INTO mailbox_cursors VALUES (?,?,?) ON CONFLICT (mailbox) DO UPDATE SET"
        " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
        mailbox,
        uidvalidity,
        last_uid,
    )
    return changed
