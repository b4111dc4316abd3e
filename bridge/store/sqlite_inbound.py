"""The inbound half of the SQLite store: inbound texts, conversations, suppressions, reports.

Functions of a connection, run by ``SqliteStore`` on its writer thread; each call of a public
store method is one transaction, so an inbound text is marked routed in the same commit that
stores the emails and texts routing produced.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bridge.models import (
    Conversation,
    InboundJob,
    InboundOutcome,
    InboundPart,
    InboundRecord,
    InboundSms,
)
from bridge.store.base import InboundContext
from bridge.store.ids import new_id

__all__ = [
    "context",
    "inbound_row",
    "insert_inbound",
    "mark_routed",
    "record_conversation",
    "record_row",
    "set_suppressed",
    "update_status",
]


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def insert_inbound(conn: sqlite3.Connection, sms: InboundSms, now: float) -> tuple[str, bool]:
    """Store the text unless the provider's id is known; return its id and whether it is new."""
    inbound_id = new_id("i")
    cursor = conn.execute(
        "INSERT INTO inbound_sms (id, provider, provider_message_id, from_number, to_number, body,"
        " received_at, state, next_attempt_at, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,'queued',?,?,?)"
        " ON CONFLICT (provider, provider_message_id) DO NOTHING",
        (inbound_id, sms.provider, sms.provider_message_id, sms.from_number, sms.to_number,
         sms.text, sms.received_at.timestamp(), now, now, now),
    )  # fmt: skip
    if cursor.rowcount:
        return inbound_id, True
    row = conn.execute(
        "SELECT id FROM inbound_sms WHERE provider = ? AND provider_message_id = ?",
        (sms.provider, sms.provider_message_id),
    ).fetchone()
    return str(row["id"]), False


def inbound_row(row: sqlite3.Row) -> InboundJob:
    return InboundJob(
        id=row["id"], provider=row["provider"], provider_message_id=row["provider_message_id"],
        from_number=row["from_number"], to_number=row["to_number"], text=row["body"],
        received_at=datetime.fromtimestamp(row["received_at"], UTC), attempts=row["attempts"],
    )  # fmt: skip


def record_row(row: sqlite3.Row) -> InboundRecord:
    return InboundRecord(
        id=row["id"], from_number=row["from_number"], to_number=row["to_number"],
        text=row["body"], received_at=datetime.fromtimestamp(row["received_at"], UTC),
        state=row["state"], route=row["route"], explanation=row["explanation"],
    )  # fmt: skip


def record_conversation(
    conn: sqlite3.Connection, *, customer: str, reply_number: str, author: str, message_id: str,
    subject: str, text: str, now: float,
) -> None:  # fmt: skip
    """The latest email to text this customer from this number owns the conversation."""
    conn.execute(
        "INSERT INTO conversations VALUES (?,?,?,?,?,?,?) ON CONFLICT (customer_number,"
        " reply_number) DO UPDATE SET author = excluded.author, message_id = excluded.message_id,"
        " subject = excluded.subject, last_text = excluded.last_text, last_at = excluded.last_at",
        (customer, reply_number, author, message_id, subject, text, now),
    )


def context(conn: sqlite3.Connection, *, customer: str, reply_number: str) -> InboundContext:
    key = (customer, reply_number)
    row = conn.execute(
        "SELECT * FROM conversations WHERE customer_number = ? AND reply_number = ?", key
    ).fetchone()
    since = conn.execute(
        "SELECT since FROM suppressions WHERE customer_number = ? AND reply_number = ?", key
    ).fetchone()
    auto = conn.execute(
        "SELECT last_at FROM auto_replies WHERE customer_number = ? AND reply_number = ?", key
    ).fetchone()
    return InboundContext(
        conversation=_conversation(row) if row else None,
        suppressed_since=_dt(since["since"]) if since else None,
        last_auto_reply=_dt(auto["last_at"]) if auto else None,
    )


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        customer_number=row["customer_number"], reply_number=row["reply_number"],
        author=row["author"], message_id=row["message_id"], subject=row["subject"],
        last_text=row["last_text"], last_at=datetime.fromtimestamp(row["last_at"], UTC),
    )  # fmt: skip


def set_suppressed(
    conn: sqlite3.Connection, *, reply_number: str, customer: str, on: bool, now: float
) -> None:
    if on:
        conn.execute(
            "INSERT INTO suppressions VALUES (?,?,?) ON CONFLICT DO NOTHING",
            (reply_number, customer, now),
        )
    else:
        conn.execute(
            "DELETE FROM suppressions WHERE reply_number = ? AND customer_number = ?",
            (reply_number, customer),
        )


def mark_routed(
    conn: sqlite3.Connection, job: InboundJob, outcome: InboundOutcome, now: float
) -> None:
    conn.execute(
        "UPDATE inbound_sms SET state = 'routed', route = ?, explanation = ?, lease_until = NULL,"
        " lease_owner = NULL, updated_at = ? WHERE id = ?",
        (outcome.route, outcome.explanation, now, job.id),
    )
    if outcome.suppress is not None:
        set_suppressed(conn, reply_number=job.to_number, customer=job.from_number,
                       on=outcome.suppress, now=now)  # fmt: skip
    if outcome.auto_replied:
        conn.execute(
            "INSERT INTO auto_replies VALUES (?,?,?) ON CONFLICT (reply_number, customer_number)"
            " DO UPDATE SET last_at = excluded.last_at",
            (job.to_number, job.from_number, now),
        )


def update_status(
    conn: sqlite3.Connection, *, job_id: str, state: str, error: str | None, code: str | None,
    now: float, price: str | None = None,
) -> bool:  # fmt: skip
    """Move a job to a reported state unless it is already final; True if it moved."""
    changed = conn.execute(
        "UPDATE sms_jobs SET state = ?, error = COALESCE(?, error), error_code = COALESCE(?,"
        " error_code), price = COALESCE(?, price), updated_at = ? WHERE id = ?"
        " AND state NOT IN ('delivered', 'undelivered', 'failed')",
        (state, error, code, price, now, job_id),
    ).rowcount
    return bool(changed)


def insert_part(conn: sqlite3.Connection, part: InboundPart, now: float) -> tuple[str, bool] | None:
    """Keep one part of a long text; once all are here, store the whole text.

    Returns what ``insert_inbound`` returns for the whole text, or None while parts are
    missing. The whole text takes the first part's message id, so it is the same whichever
    part arrives last, and a part the provider sends again is ignored by its own id.
    """
    conn.execute(
        "INSERT INTO inbound_parts (provider, provider_message_id, from_number, to_number,"
        " concat_ref, part, total, body, received_at) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (provider, provider_message_id) DO NOTHING",
        (part.provider, part.provider_message_id, part.from_number, part.to_number,
         part.concat_ref, part.part, part.total, part.text, part.received_at.timestamp()),
    )  # fmt: skip
    rows = conn.execute(
        "SELECT * FROM inbound_parts WHERE provider = ? AND from_number = ? AND to_number = ?"
        " AND concat_ref = ? AND total = ? AND assembled = 0 ORDER BY received_at",
        (part.provider, part.from_number, part.to_number, part.concat_ref, part.total),
    ).fetchall()
    pieces = {row["part"]: row for row in rows}  # a later part of the same number wins
    if set(pieces) != set(range(1, part.total + 1)):
        return None
    ordered = [pieces[n] for n in sorted(pieces)]
    whole = InboundSms(
        provider=part.provider, provider_message_id=ordered[0]["provider_message_id"],
        from_number=part.from_number, to_number=part.to_number,
        text="".join(row["body"] for row in ordered),
        received_at=datetime.fromtimestamp(ordered[-1]["received_at"], UTC),
    )  # fmt: skip
    conn.executemany(
        "UPDATE inbound_parts SET assembled = 1 WHERE provider = ? AND provider_message_id = ?",
        [(part.provider, row["provider_message_id"]) for row in ordered],
    )
    return insert_inbound(conn, whole, now)
