"""Stored rows as the models the rest of the bridge uses; the same for both backends.

Times are kept as Unix seconds (floats) in both SQLite and PostgreSQL, so one conversion
serves both, and rows are read by column name (``sqlite3.Row`` and ``asyncpg.Record`` alike).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from bridge.models import (
    Conversation,
    InboundJob,
    InboundRecord,
    JobState,
    MailJob,
    MediaRef,
    RuleHit,
    SmsJob,
    ThreadEntry,
)

__all__ = [
    "chain_json",
    "conversation_row",
    "dt",
    "inbound_row",
    "mail_row",
    "record_row",
    "sms_row",
    "thread_row",
    "ts",
]


def ts(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("store times must be timezone-aware")
    return at.timestamp()


def dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@lru_cache(maxsize=256)
def chain_json(chain: tuple[RuleHit, ...]) -> str:
    """The rules that acted on a text as stored: a JSON list of [rule, action, detail].
    Remembered for the last few records: the texts of one email, and a bulk send's 100,000,
    mostly share theirs (``from ExampleCo (the default sender)``)."""
    return json.dumps([[hit.rule, hit.action, hit.detail] for hit in chain])


def _chain(stored: str) -> tuple[RuleHit, ...]:
    if stored == "[]":  # most texts: no rule acted (and every claim reads this)
        return ()
    return tuple(RuleHit(rule, action, detail) for rule, action, detail in json.loads(stored))


def _tokens(stored: str) -> tuple[str, ...]:
    """An outbound text's pictures: their tokens in ``media_files``."""
    return () if stored == "[]" else tuple(str(token) for token in json.loads(stored))


def _media(stored: str) -> tuple[MediaRef, ...]:
    """An inbound text's pictures as the provider named them: ``[[url, content_type], ...]``."""
    if stored == "[]":
        return ()
    return tuple(MediaRef(str(url), str(kind)) for url, kind in json.loads(stored))


def sms_row(row: Any) -> SmsJob:
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
        created_at=_at(row["created_at"]),
        updated_at=_at(row["updated_at"]),
        provider=row["provider"],
        provider_message_id=row["provider_message_id"],
        error=row["error"],
        error_code=row["error_code"],
        in_doubt=bool(row["in_doubt"]),
        maybe_sent_via=row["maybe_sent_via"],
        price=row["price"],
        route=row["route"],
        chain=_chain(row["chain"]),
        media=_tokens(row["media"]),
        category=row["category"],
        next_attempt_at=_at(row["next_attempt_at"]),
    )


def mail_row(row: Any) -> MailJob:
    return MailJob(
        id=row["id"],
        envelope_from=row["envelope_from"],
        recipients=tuple(json.loads(row["recipients"])),
        content=bytes(row["content"]),
        kind=row["kind"],
        attempts=row["attempts"],
        created_at=_at(row["created_at"]),
        error=row["error"],
    )


def inbound_row(row: Any) -> InboundJob:
    return InboundJob(
        id=row["id"],
        provider=row["provider"],
        provider_message_id=row["provider_message_id"],
        from_number=row["from_number"],
        to_number=row["to_number"],
        text=row["body"],
        received_at=_at(row["received_at"]),
        attempts=row["attempts"],
        media=_media(row["media"]),
    )


def record_row(row: Any) -> InboundRecord:
    return InboundRecord(
        id=row["id"],
        from_number=row["from_number"],
        to_number=row["to_number"],
        text=row["body"],
        received_at=_at(row["received_at"]),
        state=row["state"],
        route=row["route"],
        explanation=row["explanation"],
        mailed_to=tuple(json.loads(row["mailed_to"] or "[]")),
    )


def conversation_row(row: Any) -> Conversation:
    return Conversation(
        customer_number=row["customer_number"],
        reply_number=row["reply_number"],
        author=row["author"],
        message_id=row["message_id"],
        subject=row["subject"],
        last_text=row["last_text"],
        last_at=_at(row["last_at"]),
        id=row["id"],
        active_at=dt(row["active_at"]),
        closed_at=dt(row["closed_at"]),
    )


def thread_row(row: Any, *, inbound: bool) -> ThreadEntry:
    return ThreadEntry(
        at=_at(row["at"]),
        inbound=inbound,
        text=row["body"],
        author="" if inbound else row["author"],
        state="" if inbound else row["state"],
    )
