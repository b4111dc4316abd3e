"""Batches: the texts of one email that wait for a later time, and cancelling them.

An email whose texts are scheduled is stored with its batch, the batch's jobs and the
author's confirmation in one transaction; a mail server delivering the same email again
merges with the jobs already stored and makes no second batch or confirmation. Cancelling
takes each waiting job from 'queued' to 'cancelled' one statement at a time, each guarded by
its state, so a job a worker has claimed meanwhile (now 'sending') is counted as gone, never
both sent and cancelled; the segments a cancelled text had counted are given back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.models import (
    Cancelled,
    ConversationChange,
    MediaFile,
    NewBatch,
    NewMailJob,
    NewSmsJob,
    Queued,
)
from bridge.store import ops
from bridge.store.ids import new_id
from bridge.store.ops_counts import uncounted
from bridge.store.queries import Q
from bridge.store.rows import ts
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "batch_by_token",
    "cancel_batch",
    "cancel_job",
    "cancel_waiting",
    "enqueue_batch",
    "scheduled",
]

_BY_AUTHOR = "cancelled by its author before it was sent"
_BY_ADMIN = "cancelled by an administrator before it was sent"


def enqueue_batch(
    batch: NewBatch,
    jobs: Sequence[NewSmsJob],
    notices: Sequence[NewMailJob],
    now: float,
    media: Sequence[MediaFile] = (),
    changes: Sequence[ConversationChange] = (),
) -> Op[list[Queued]]:
    """Store the jobs as ``ops.enqueue_sms`` does and, if any is new, the batch and its
    confirmation with them."""
    queued = yield from ops.enqueue_sms(jobs, notices, now, media, changes)
    fresh = [q.id for q in queued if not q.merged]
    if not fresh:
        return queued
    batch_id = new_id("b")
    yield count(
        Q.insert_batch,
        batch_id,
        batch.token,
        batch.author,
        batch.kind,
        batch.message_id,
        batch.subject,
        batch.zone,
        now,
        now,
        ts(batch.expires_at),
    )
    for job_id in fresh:
        yield count(Q.set_sms_batch, batch_id, job_id)
    yield from ops.insert_mail(batch.confirmation, now)
    return queued


def batch_by_token(token: str) -> Op[dict[str, object] | None]:
    row = yield one_row(Q.batch_by_token, token)
    return None if row is None else dict(row)


def cancel_batch(batch_id: str, now: float) -> Op[Cancelled]:
    """Cancel every text of the batch that no provider has yet; the batch is closed first,
    which on PostgreSQL locks its row: a bulk send's worker storing texts of the batch at
    the same moment (it updates the row too) either finishes first, and its texts are found
    here, or finds the batch closed and stores none."""
    yield count(Q.close_batch, "cancelled", now, batch_id)
    done = yield from cancel_waiting(batch_id, now, _BY_AUTHOR)
    states = {str(r["state"]): int(r["n"]) for r in (yield all_rows(Q.batch_states, batch_id))}
    gone = sum(states.get(s, 0) for s in ("sending", "sent", "delivered", "undelivered"))
    before = states.get("cancelled", 0) - done
    return Cancelled(done, before, gone, states.get("failed", 0) + states.get("queued", 0))


def cancel_waiting(batch_id: str, now: float, why: str) -> Op[int]:
    """Cancel every text of the batch that no provider has yet, leaving the batch's state
    to the caller; how many were cancelled."""
    done = 0
    for row in (yield all_rows(Q.batch_waiting, batch_id)):
        done += yield from _cancel(row, now, why)
    return done


def cancel_job(job_id: str, now: float) -> Op[bool]:
    """Cancel one waiting text (``smsbridge scheduled cancel ID``, the admin page)."""
    row = yield one_row(Q.get_sms, job_id)
    if row is None:
        return False
    done = yield from _cancel(row, now, _BY_ADMIN)
    return bool(done)


def _cancel(row: Any, now: float, why: str) -> Op[int]:
    changed: int = yield count(Q.cancel_sms, why, now, row["id"])
    if changed:
        yield from uncounted(row)
    return changed


def scheduled(state: str | None, limit: int) -> Op[list[dict[str, object]]]:
    rows = yield all_rows(Q.scheduled_sms, state, state, limit)
    return [dict(row) for row in rows]
