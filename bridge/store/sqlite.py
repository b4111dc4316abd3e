"""The embedded store: SQLite in WAL mode, one writer thread, group commit.

One bridge owns a database file at a time (``app.py`` holds a lock file next to it), so at
start-up every lease left by a killed process can be released at once instead of waiting for
it to expire.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bridge.models import (
    InboundJob,
    InboundOutcome,
    InboundPart,
    InboundRecord,
    InboundSms,
    JobState,
    MailJob,
    NewMailJob,
    NewSmsJob,
    SendResult,
    SmsJob,
)
from bridge.store import sqlite_inbound as inbound
from bridge.store.base import InboundContext, QueueCounts
from bridge.store.ids import new_id
from bridge.store.sqlite_writer import SqliteWriter, connect

__all__ = ["SCHEMA_VERSION", "SchemaTooNew", "SqliteStore"]

_MIGRATIONS = ("sqlite_001_initial.sql", "sqlite_002_inbound.sql", "sqlite_003_mailboxes.sql",
               "sqlite_004_providers.sql")  # fmt: skip
SCHEMA_VERSION = len(_MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer bridge; running against it could corrupt it."""


def _ts(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return at.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's ``user_version``; return the new version."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database has schema version {current}, this bridge knows up to {SCHEMA_VERSION}:"
            " upgrade the bridge"
        )
    sql_dir = resources.files("bridge.store") / "sql"
    for version in range(current + 1, SCHEMA_VERSION + 1):
        script = (sql_dir / _MIGRATIONS[version - 1]).read_text(encoding="utf-8")
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return SCHEMA_VERSION


def _sms_row(row: sqlite3.Row) -> SmsJob:
    return SmsJob(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        message_id=row["message_id"],
        author=row["author"],
        subject=row["subject"],
        to_number=row["to_number"],
        sender=row["sender"],
        text=row["body"],
        encoding=row["encoding"],
        segments=row["segments"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        provider=row["provider"],
        provider_message_id=row["provider_message_id"],
        error=row["error"],
        error_code=row["error_code"],
        in_doubt=bool(row["in_doubt"]),
        maybe_sent_via=row["maybe_sent_via"],
        price=row["price"],
        route=row["route"],
    )


def _mail_row(row: sqlite3.Row) -> MailJob:
    return MailJob(
        id=row["id"],
        envelope_from=row["envelope_from"],
        recipients=tuple(json.loads(row["recipients"])),
        content=bytes(row["content"]),
        kind=row["kind"],
        attempts=row["attempts"],
        created_at=_dt(row["created_at"]),
        error=row["error"],
    )


def _insert_sms(conn: sqlite3.Connection, job: NewSmsJob, now: float) -> str:
    job_id = new_id("s")
    cursor = conn.execute(
        "INSERT INTO sms_jobs (id, idempotency_key, message_id, author, subject, to_number,"
        " sender, body, encoding, segments, route, state, next_attempt_at, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'queued',?,?,?)"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        (job_id, job.idempotency_key, job.message_id, job.author, job.subject, job.to_number,
         job.sender, job.text, job.encoding, job.segments, job.route, now, now, now),
    )  # fmt: skip
    if cursor.rowcount:
        if job.author and job.sender.startswith("+"):  # a number the customer can reply to
            inbound.record_conversation(
                conn, customer=job.to_number, reply_number=job.sender, author=job.author,
                message_id=job.message_id, subject=job.subject, text=job.text, now=now,
            )  # fmt: skip
        return job_id
    row = conn.execute(
        "SELECT id FROM sms_jobs WHERE idempotency_key = ?", (job.idempotency_key,)
    ).fetchone()
    return str(row["id"])


def _insert_mail(conn: sqlite3.Connection, mail: NewMailJob, now: float) -> str:
    mail_id = new_id("m")
    conn.execute(
        "INSERT INTO mail_jobs (id, kind, envelope_from, recipients, content, state,"
        " next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,'queued',?,?,?)",
        (mail_id, mail.kind, mail.envelope_from, json.dumps(list(mail.recipients)),
         mail.content, now, now, now),
    )  # fmt: skip
    return mail_id


def _claim(conn: sqlite3.Connection, table: str, now: float, limit: int, lease: float,
           owner: str) -> list[sqlite3.Row]:  # fmt: skip
    # table is one of two constants chosen by this module, never user input. A job still in
    # 'sending' was claimed by a process that never finished it: mark it in doubt (SET reads
    # the row's old values) so the worker asks the provider before sending it again.
    return conn.execute(
        f"UPDATE {table} SET state = 'sending', lease_until = ?, lease_owner = ?,"  # noqa: S608
        " in_doubt = (state = 'sending'),"
        " attempts = attempts + 1, updated_at = ? WHERE id IN (SELECT id FROM"
        f" {table} WHERE state = 'queued' AND next_attempt_at <= ?"
        " UNION ALL SELECT id FROM"
        f" {table} WHERE state = 'sending' AND lease_until <= ? LIMIT ?) RETURNING *",
        (now + lease, owner, now, now, now, limit),
    ).fetchall()


class SqliteStore:
    """``bridge.store.base.Store`` on a SQLite file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: SqliteWriter | None = None

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self._path)
        try:
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        self._writer = SqliteWriter(conn)
        self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _run(self, operation: Any) -> Any:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        return await self._writer.run(operation)

    async def enqueue_sms(
        self, jobs: Sequence[NewSmsJob], *, now: datetime, notices: Sequence[NewMailJob] = ()
    ) -> list[str]:
        at = _ts(now)

        def op(conn: sqlite3.Connection) -> list[str]:
            for notice in notices:
                _insert_mail(conn, notice, at)
            return [_insert_sms(conn, job, at) for job in jobs]

        result: list[str] = await self._run(op)
        return result

    async def claim_sms(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[SmsJob]:
        at = _ts(now)
        rows = await self._run(lambda c: _claim(c, "sms_jobs", at, limit, lease_seconds, owner))
        return [_sms_row(row) for row in rows]

    async def sms_sent(
        self, job_id: str, *, provider: str, result: SendResult, now: datetime
    ) -> None:
        params = (provider, result.provider_message_id, result.price, _ts(now), job_id)
        await self._run(
            lambda c: c.execute(
                "UPDATE sms_jobs SET state = 'sent', provider = ?, provider_message_id = ?,"
                " price = ?, lease_until = NULL, lease_owner = NULL, error = NULL,"
                " error_code = NULL, maybe_sent_via = NULL, updated_at = ? WHERE id = ?",
                params,
            )
        )

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
        params = (_ts(at), error, code, maybe_sent_via, _ts(now), job_id)
        await self._run(
            lambda c: c.execute(
                "UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, error = ?,"
                " error_code = ?, maybe_sent_via = ?, lease_until = NULL, lease_owner = NULL,"
                " updated_at = ? WHERE id = ?",
                params,
            )
        )

    async def sms_defer(self, job_id: str, *, at: datetime, now: datetime) -> None:
        params = (_ts(at), _ts(now), job_id)
        await self._run(
            lambda c: c.execute(
                "UPDATE sms_jobs SET state = 'queued', next_attempt_at = ?, attempts = attempts - 1,"
                " lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?",
                params,
            )
        )

    async def sms_failed(
        self,
        job_id: str,
        *,
        error: str,
        code: str | None,
        now: datetime,
        notice: NewMailJob | None,
    ) -> None:
        at = _ts(now)

        def op(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE sms_jobs SET state = 'failed', error = ?, error_code = ?,"
                " lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?",
                (error, code, at, job_id),
            )
            if notice is not None:
                _insert_mail(conn, notice, at)

        await self._run(op)

    async def enqueue_mail(self, mails: Sequence[NewMailJob], *, now: datetime) -> list[str]:
        at = _ts(now)
        result: list[str] = await self._run(lambda c: [_insert_mail(c, m, at) for m in mails])
        return result

    async def claim_mail(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[MailJob]:
        at = _ts(now)
        rows = await self._run(lambda c: _claim(c, "mail_jobs", at, limit, lease_seconds, owner))
        return [_mail_row(row) for row in rows]

    async def mail_sent(self, job_id: str, *, now: datetime) -> None:
        await self._mail_state(job_id, "sent", None, None, now)

    async def mail_retry(self, job_id: str, *, error: str, at: datetime, now: datetime) -> None:
        await self._mail_state(job_id, "queued", error, at, now)

    async def mail_failed(self, job_id: str, *, error: str, now: datetime) -> None:
        await self._mail_state(job_id, "failed", error, None, now)

    async def _mail_state(
        self, job_id: str, state: str, error: str | None, at: datetime | None, now: datetime
    ) -> None:
        due = _ts(at) if at is not None else _ts(now)
        params = (state, error, due, _ts(now), job_id)
        await self._run(
            lambda c: c.execute(
                "UPDATE mail_jobs SET state = ?, error = ?, next_attempt_at = ?,"
                " lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?",
                params,
            )
        )

    async def release_leases(self, *, now: datetime) -> int:
        at = _ts(now)

        def op(conn: sqlite3.Connection) -> int:
            total = 0
            for table in ("sms_jobs", "mail_jobs", "inbound_sms"):
                total += conn.execute(
                    f"UPDATE {table} SET lease_until = ? WHERE state = 'sending'",  # noqa: S608
                    (at,),
                ).rowcount
            return total

        result: int = await self._run(op)
        return result

    async def recent_sms(self, *, limit: int) -> list[SmsJob]:
        rows = await self._run(
            lambda c: c.execute(
                "SELECT * FROM sms_jobs ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [_sms_row(row) for row in rows]

    async def get_sms(self, job_id: str) -> SmsJob | None:
        row = await self._run(
            lambda c: c.execute("SELECT * FROM sms_jobs WHERE id = ?", (job_id,)).fetchone()
        )
        return None if row is None else _sms_row(row)

    async def counts(self) -> QueueCounts:
        def op(conn: sqlite3.Connection) -> QueueCounts:
            day_ago = datetime.now(UTC).timestamp() - 86400
            row = conn.execute(
                "SELECT"
                " (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts = 0),"
                " (SELECT count(*) FROM sms_jobs WHERE state = 'queued' AND attempts > 0),"
                " (SELECT count(*) FROM sms_jobs WHERE state = 'sending'),"
                " (SELECT count(*) FROM mail_jobs WHERE state IN ('queued', 'sending')),"
                " (SELECT count(*) FROM sms_jobs WHERE state = 'failed' AND updated_at >= ?),"
                " (SELECT count(*) FROM mail_jobs WHERE state = 'failed' AND updated_at >= ?)",
                (day_ago, day_ago),
            ).fetchone()
            return QueueCounts(*row)

        result: QueueCounts = await self._run(op)
        return result

    async def receive_sms(self, sms: InboundSms, *, now: datetime) -> tuple[str, bool]:
        at = _ts(now)
        result: tuple[str, bool] = await self._run(lambda c: inbound.insert_inbound(c, sms, at))
        return result

    async def receive_part(self, part: InboundPart, *, now: datetime) -> tuple[str, bool] | None:
        at = _ts(now)
        result: tuple[str, bool] | None = await self._run(
            lambda c: inbound.insert_part(c, part, at)
        )
        return result

    async def claim_inbound(
        self, *, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> list[InboundJob]:
        at = _ts(now)
        rows = await self._run(lambda c: _claim(c, "inbound_sms", at, limit, lease_seconds, owner))
        return [inbound.inbound_row(row) for row in rows]

    async def inbound_context(self, *, customer: str, reply_number: str) -> InboundContext:
        result: InboundContext = await self._run(
            lambda c: inbound.context(c, customer=customer, reply_number=reply_number)
        )
        return result

    async def inbound_routed(
        self, job: InboundJob, outcome: InboundOutcome, *, now: datetime
    ) -> list[str]:
        at = _ts(now)

        def op(conn: sqlite3.Connection) -> list[str]:
            inbound.mark_routed(conn, job, outcome, at)
            ids = [_insert_mail(conn, mail, at) for mail in outcome.mails]
            return ids + [_insert_sms(conn, text, at) for text in outcome.texts]

        result: list[str] = await self._run(op)
        return result

    async def recent_inbound(self, *, limit: int) -> list[InboundRecord]:
        rows = await self._run(
            lambda c: c.execute(
                "SELECT * FROM inbound_sms ORDER BY created_at DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [inbound.record_row(row) for row in rows]

    async def inbound_retry(self, job_id: str, *, at: datetime, now: datetime) -> None:
        params = (_ts(at), _ts(now), job_id)
        await self._run(
            lambda c: c.execute(
                "UPDATE inbound_sms SET state = 'queued', next_attempt_at = ?, lease_until = NULL,"
                " lease_owner = NULL, updated_at = ? WHERE id = ?",
                params,
            )
        )

    async def suppressed_since(self, *, reply_number: str, customer: str) -> datetime | None:
        found = await self.inbound_context(customer=customer, reply_number=reply_number)
        return found.suppressed_since

    async def suppress(self, *, reply_number: str, customer: str, now: datetime) -> None:
        at = _ts(now)
        await self._run(
            lambda c: inbound.set_suppressed(
                c, reply_number=reply_number, customer=customer, on=True, now=at
            )
        )

    async def find_sms(self, *, provider: str, provider_message_id: str) -> SmsJob | None:
        row = await self._run(
            lambda c: c.execute(
                "SELECT * FROM sms_jobs WHERE provider = ? AND provider_message_id = ?",
                (provider, provider_message_id),
            ).fetchone()
        )
        return _sms_row(row) if row else None

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
        at = _ts(now)

        def op(conn: sqlite3.Connection) -> bool:
            changed = inbound.update_status(
                conn, job_id=job_id, state=state, error=error, code=code, now=at, price=price
            )
            if changed and notice is not None:
                _insert_mail(conn, notice, at)
            return changed

        result: bool = await self._run(op)
        return result

    async def watch_cursor(self, *, provider: str, reply_number: str) -> datetime | None:
        row = await self._run(
            lambda c: c.execute(
                "SELECT seen_until FROM watch_cursors WHERE provider = ? AND reply_number = ?",
                (provider, reply_number),
            ).fetchone()
        )
        return _dt(row["seen_until"]) if row else None

    async def set_watch_cursor(
        self, *, provider: str, reply_number: str, seen_until: datetime
    ) -> None:
        params = (provider, reply_number, _ts(seen_until))
        await self._run(
            lambda c: c.execute(
                "INSERT INTO watch_cursors VALUES (?,?,?) ON CONFLICT (provider, reply_number)"
                " DO UPDATE SET seen_until = max(seen_until, excluded.seen_until)",
                params,
            )
        )

    async def mailbox_cursor(self, mailbox: str) -> tuple[int, int] | None:
        row = await self._run(
            lambda c: c.execute(
                "SELECT uidvalidity, last_uid FROM mailbox_cursors WHERE mailbox = ?", (mailbox,)
            ).fetchone()
        )
        return (int(row[0]), int(row[1])) if row else None

    async def set_mailbox_cursor(self, mailbox: str, *, uidvalidity: int, last_uid: int) -> None:
        await self._run(
            lambda c: c.execute(
                "INSERT INTO mailbox_cursors VALUES (?,?,?) ON CONFLICT (mailbox) DO UPDATE SET"
                " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
                (mailbox, uidvalidity, last_uid),
            )
        )
