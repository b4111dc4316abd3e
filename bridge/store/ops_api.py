"""The HTTP send endpoint's operations, once for both backends: tokens and answers; and the
sender checks of ``[smtp.sender_auth]`` (``add_sender_check``), kept beside them.

A token is kept only as its SHA-256 (``digest``). A text sent with an Idempotency-Key is
stored, and its answer remembered, in one transaction (``send_once``): a second request with
the same key finds the answer and stores nothing; two at the same moment store one job (its
idempotency key is unique) and one answer, which both are given. The SQL is named in
``bridge/store/queries/api.sql``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.models import ApiAnswer, ApiToken, NewSmsJob, Queued
from bridge.store import ops
from bridge.store.queries import Q
from bridge.store.rows import dt
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "add_sender_check",
    "add_token",
    "revoke_token",
    "send_once",
    "sender_checks",
    "stored_answer",
    "token",
    "tokens",
]

Answer = Callable[[Queued | None], ApiAnswer]


def _token(row: Any) -> ApiToken:
    created = dt(row["created_at"])
    assert created is not None
    return ApiToken(
        name=row["name"], author=row["author"], created_at=created, revoked_at=dt(row["revoked_at"])
    )


def add_token(name: str, digest: str, author: str, now: float) -> Op[bool]:
    """False when ``name`` already has a token that was not revoked."""
    added: int = yield count(Q.api_token_add, name, digest, author, now, alone=True)
    return bool(added)


def token(digest: str) -> Op[ApiToken | None]:
    row = yield one_row(Q.api_token_by_digest, digest)
    return None if row is None else _token(row)


def tokens() -> Op[list[ApiToken]]:
    rows = yield all_rows(Q.api_tokens)
    return [_token(row) for row in rows]


def revoke_token(name: str, now: float) -> Op[bool]:
    revoked: int = yield count(Q.api_token_revoke, now, name, alone=True)
    return bool(revoked)


def stored_answer(name: str, key: str, since: float) -> Op[ApiAnswer | None]:
    row = yield one_row(Q.api_answer, name, key, since)
    if row is None:
        return None
    return ApiAnswer(
        status=int(row["status"]), body=row["body"], fingerprint=row["fingerprint"], replayed=True
    )


def send_once(
    name: str,
    key: str,
    job: NewSmsJob | None,
    answer: Answer,
    *,
    now: float,
    since: float,
) -> Op[ApiAnswer]:
    """Store ``job`` (None: a refusal, nothing to store) and ``answer`` for it under ``key``,
    unless an answer to ``key`` newer than ``since`` exists: then that one, stored nothing."""
    earlier = yield from stored_answer(name, key, since)
    if earlier is not None:
        return earlier
    queued = yield from ops.enqueue_sms([job], (), now) if job is not None else _nothing()
    fresh = answer(queued[0] if queued else None)
    yield count(Q.api_answers_forget, since)
    saved = yield count(
        Q.api_answer_save, name, key, fresh.fingerprint, fresh.status, fresh.body, now, since
    )
    if not saved:  # another request with this key committed first (PostgreSQL)
        return (yield from stored_answer(name, key, since)) or fresh
    return fresh


def _nothing() -> Op[list[Queued]]:
    """A generator that stores nothing."""
    yield from ()
    return []


def add_sender_check(
    message_id: str, author: str, results: str, refused: bool, now: float
) -> Op[None]:
    yield count(Q.sender_check_add, message_id, author, results, int(refused), now, alone=True)


def sender_checks(message_id: str) -> Op[list[str]]:
    rows = yield all_rows(Q.sender_checks, message_id)
    return [row["results"] for row in rows]
