"""The admin console's store operations: the outbound history by keyset, retry and cancel
with their audit entry in the same transaction, the audit log, and the login lockout.

A page of history is the rows after the last one shown, ``(created_at, id)`` descending,
never an OFFSET: the millionth text's page costs what the first does. A retry puts a text that
reached nobody (failed, or reported undelivered) back in the queue from its first attempt;
a cancel is ``ops_batches.cancel_job``'s. Either writes what it did, and to which text, in the
audit log in the same transaction, whether or not the text could still be moved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridge.parsing.numbers import country_of
from bridge.store.console_records import AuditEntry, HistoryFilter
from bridge.store.ids import new_id
from bridge.store.ops_batches import cancel_job
from bridge.store.ops_counts import spend
from bridge.store.outbox_filter import author_patterns
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "AuditEntry",
    "HistoryFilter",
    "audit",
    "audit_of_job",
    "audit_page",
    "cancel",
    "history_page",
    "login_failed",
    "login_failures",
    "login_succeeded",
    "retry",
    "volume_by_hour",
]

_FIRST = float("inf")  # the keyset before the newest row
_TROUBLE = frozenset({"failed", "undelivered", "cancelled"})  # sms_jobs_trouble holds them


def history_page(
    only: HistoryFilter, after: tuple[float, str] | None, limit: int
) -> Op[list[dict[str, Any]]]:
    """The ``limit`` newest texts ``only`` lets through, older than ``after`` (a row's
    ``(created_at, id)``) or than ``only.until``."""
    at, last = after if after is not None else (_bound(only.until), "")
    since = only.since.timestamp() if only.since is not None else 0.0
    state, number = only.state, only.to_number
    author = (only.author or "").strip().lower()
    patterns = author_patterns(author) if author else (None, None, None)
    authors = (author or None, *patterns)
    if "@" in author:
        query, args = Q.history_author_page, (author, at, last, state, state, number, number)
    elif number is not None:
        query, args = Q.history_number_page, (number, at, last, state, state, *authors)
    elif state in _TROUBLE:
        query, args = Q.history_trouble_page, (state, at, last, *authors)
    elif state == "sending":
        query, args = Q.history_sending_page, (at, last, *authors)
    else:
        query, args = Q.history_page, (at, last, state, state, number, number, *authors)
    rows = yield all_rows(query, *args, since, limit)
    return [dict(row) for row in rows]


def _bound(until: datetime | None) -> float:
    return until.timestamp() if until is not None else _FIRST


def retry(job_id: str, now: float, entry: AuditEntry) -> Op[bool]:
    """Put a text that reached nobody back in the queue, attempts reset; audited."""
    row = yield one_row(Q.get_sms, job_id)
    changed = 0
    if row is not None:
        changed = yield count(Q.retry_sms, now, now, job_id)
    if changed and row["state"] == "failed":
        yield from _count_again(row)
    was = f"was {row['state']}" if row is not None else "no such text"
    detail = f"queued again ({was})" if changed else f"not retried: {was}"
    yield from audit(entry, detail=detail)
    return bool(changed)


def _count_again(row: Any) -> Op[None]:
    """A failed text gave its segments back (``ops_counts.uncounted``): they count again,
    in the quarter hour and day they were first counted in, unpriced until a provider reports."""
    if not row["author"]:
        return
    country = country_of(row["to_number"]) or ""
    yield from spend(row["author"], country, float(row["created_at"]), int(row["segments"]))


def cancel(job_id: str, now: float, entry: AuditEntry) -> Op[bool]:
    """Cancel a waiting text (``ops_batches.cancel_job``); audited."""
    row = yield one_row(Q.get_sms, job_id)
    done = yield from cancel_job(job_id, now)
    was = f"was {row['state']}" if row is not None else "no such text"
    yield from audit(entry, detail="cancelled" if done else f"not cancelled: {was}")
    return done


def audit(entry: AuditEntry, *, detail: str | None = None) -> Op[None]:
    yield count(
        Q.insert_audit,
        new_id("a"),
        entry.at.timestamp(),
        entry.who,
        entry.address,
        entry.action,
        entry.job_id,
        entry.detail if detail is None else detail,
    )


def audit_page(after: tuple[float, str] | None, limit: int) -> Op[list[AuditEntry]]:
    at, last = after if after is not None else (_FIRST, "")
    rows = yield all_rows(Q.audit_page, at, last, limit)
    return [_entry(row) for row in rows]


def audit_of_job(job_id: str) -> Op[list[AuditEntry]]:
    rows = yield all_rows(Q.audit_of_job, job_id)
    return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        at=datetime.fromtimestamp(float(row["at"]), UTC),
        who=row["who"],
        address=row["address"],
        action=row["action"],
        job_id=row["job_id"],
        detail=row["detail"],
        row_id=row["id"],
    )


def volume_by_hour(since: float) -> Op[list[tuple[int, str, int]]]:
    rows = yield all_rows(Q.volume_by_hour, since)
    return [(int(row["hour"]), str(row["state"]), int(row["n"])) for row in rows]


def login_failures(address: str, since: float, limit: int) -> Op[list[float]]:
    """The times of ``address``'s latest ``limit`` wrong passwords since ``since``."""
    rows = yield all_rows(Q.login_failures, address, since, limit)
    return [float(row["at"]) for row in rows]


def login_failed(address: str, now: float, forget_before: float) -> Op[None]:
    yield count(Q.forget_old_login_failures, forget_before)
    yield count(Q.login_failed, address, now)


def login_succeeded(address: str, forget_before: float) -> Op[None]:
    yield count(Q.forget_login_failures, address, forget_before)
