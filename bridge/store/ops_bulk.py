"""Bulk sends by attachment: the email kept before its 250, its texts held for SEND, its end.

An email to the bulk address is stored whole (file, template) under a batch of kind 'bulk'
in state 'received'; a mail server delivering it again finds that batch and stores nothing.
The bulk worker takes a received batch with a lease (``claim_bulk``) and decides every row;
then it stores the preview (``bulk_previewed``, once: ``previewed_at``), then the texts a
chunk at a time in state 'held' (``store_bulk_jobs``: each text's idempotency key names the
batch and the number, so a second attempt after a crash merges with what the first stored,
and sends no second preview), and then, in one transaction fenced by its lease, moves the
batch to 'held' (or 'open', its texts queued, when the author's rule sends at once:
``bulk_planned``). With a rule that counts the texts already stored (a spend cap), each
text is stored as it is decided, before the preview. A file found unusable at a later line
fails the batch (``bulk_failed``), cancelling any text stored from it. If CANCEL came
meanwhile, the texts stored are cancelled there too. SEND (``send_held``) moves every held
text of the batch to 'queued' in one statement. Once no text of a sent batch can change,
the summary is stored exactly once (``bulk_summarised``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bridge.bulk.status import OPTED_OUT_AFTER_PREVIEW
from bridge.models import BulkSend, NewBulkSend, NewMailJob, NewSmsJob
from bridge.parsing.numbers import country_of
from bridge.store import ops
from bridge.store.ids import new_id, new_ids
from bridge.store.ops_batches import cancel_batch, cancel_waiting
from bridge.store.ops_counts import spend, uncounted
from bridge.store.queries import Q
from bridge.store.rows import ts
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "bulk_failed",
    "bulk_finished",
    "bulk_planned",
    "bulk_previewed",
    "bulk_results",
    "bulk_summarised",
    "claim_bulk",
    "expire_held",
    "keep_bulk_lease",
    "receive_bulk",
    "send_held",
    "store_bulk_jobs",
    "suppressed_customers",
]


_UNUSABLE = "not sent: the file it came from could not be used"


def receive_bulk(send: NewBulkSend, now: float) -> Op[tuple[str, bool]]:
    """Store the email's batch and file; (batch id, True), or the stored one's id and False
    when this author's email of this Message-ID is already stored."""
    stored = yield one_row(Q.bulk_batch_of_email, send.author, send.message_id)
    if stored is not None:
        return str(stored["id"]), False
    batch_id = new_id("b")
    yield count(
        Q.insert_bulk_batch,
        batch_id,
        send.token,
        send.author,
        send.message_id,
        send.subject,
        send.zone,
        now,
        now,
        ts(send.expires_at),
    )
    yield count(
        Q.insert_bulk_send,
        batch_id,
        send.filename,
        send.file,
        send.template,
        send.domain,
        int(send.at_once),
    )
    return batch_id, True


def claim_bulk(now: float, lease: float, owner: str) -> Op[BulkSend | None]:
    """Lease one received bulk send (the oldest) that no other worker holds, or None."""
    row = yield one_row(Q.claim_bulk, now + lease, owner, now)
    if row is None:
        return None
    batch = yield one_row(Q.batch_by_id, row["batch_id"])
    return BulkSend(
        batch_id=str(row["batch_id"]),
        token=str(batch["token"]),
        author=str(batch["author"]),
        message_id=str(batch["message_id"]),
        subject=str(batch["subject"]),
        zone=str(batch["zone"]),
        filename=str(row["filename"]),
        file=bytes(row["file"]),
        template=str(row["template"]),
        domain=str(row["domain"]),
        at_once=bool(row["at_once"]),
        attempts=int(row["attempts"]),
    )


def keep_bulk_lease(batch_id: str, owner: str, until: float) -> Op[bool]:
    kept: int = yield count(Q.keep_bulk_lease, until, batch_id, owner, alone=True)
    return bool(kept)


def store_bulk_jobs(
    batch_id: str, jobs: Sequence[tuple[int, NewSmsJob]], state: str, now: float
) -> Op[int]:
    """Store texts of the batch, each with its file line, in ``state`` ('held' or 'queued');
    how many were new (none once the batch is cancelled). Texts from a sender ID start no
    conversation, so they go in one statement, counted as ``ops.insert_sms`` counts each
    (segments by country, first texts); a text from a reply number goes the way every text
    does (``ops.insert_sms``)."""
    open_to_them = yield count(Q.touch_open_batch, now, batch_id)
    if not open_to_them:
        return 0  # cancelled while it was being read: nothing more is stored
    plain = [(line, job) for line, job in jobs if not job.sender.startswith("+")]
    added = yield from _insert_plain(batch_id, plain, state, now)
    for line, job in jobs:
        if job.sender.startswith("+"):
            done = yield from ops.insert_sms(job, now)
            yield count(Q.mark_bulk_job, batch_id, line, state, done.id)
            added += not done.merged
    return added


def _insert_plain(
    batch_id: str, jobs: Sequence[tuple[int, NewSmsJob]], state: str, now: float
) -> Op[int]:
    if not jobs:
        return 0
    # In the order of their numbers: the indexes that lead with the number (a recipient's
    # texts, the caps' counts) then take each statement's texts into neighbouring pages
    # rather than a page each, as a customer list in no order would (docs/benchmarks.md)
    jobs = sorted(jobs, key=lambda item: item[1].to_number)
    fresh: set[str] = set()
    for start in range(0, len(jobs), _ROWS_A_STATEMENT):
        part = jobs[start : start + _ROWS_A_STATEMENT]
        ids = new_ids("s", len(part))
        values = [
            v
            for (line, job), job_id in zip(part, ids, strict=True)
            for v in _values(batch_id, line, job, job_id, state, now)
        ]
        stored = yield all_rows(_insert_rows(len(part)), *values)
        fresh.update(str(row["idempotency_key"]) for row in stored)
    new = [job for _, job in jobs if job.idempotency_key in fresh and job.author]
    spent: Counter[tuple[str, str]] = Counter()
    for job in new:
        spent[(job.author, country_of(job.to_number) or "")] += job.segments
    for (author, country), segments in sorted(spent.items()):
        yield from spend(author, country, now, segments)
    for author in sorted({job.author for job in new}):
        numbers = [job.to_number for job in new if job.author == author]
        yield count(Q.first_texts_bulk, author, now, json.dumps(numbers))
    return len(fresh)


def _values(
    batch_id: str, line: int, job: NewSmsJob, job_id: str, state: str, now: float
) -> list[object]:
    """A text's columns, as ``insert_bulk_sms`` takes them: a single text's (``ops.sms_values``)
    with its state after the country, and its batch and line at the end."""
    columns = list(ops.sms_values(job, job_id, now))
    return [*columns[:_STATE_AT], state, *columns[_STATE_AT:], batch_id, line]


_STATE_AT = 15  # after the country, where insert_bulk_sms names the state
# 21 columns a text: 21,000 parameters, under both SQLite's (32,766) and PostgreSQL's limit
_ROWS_A_STATEMENT = 1000
_ONE_ROW = re.compile(r"VALUES (\([?, ]+\))")


@lru_cache(maxsize=8)
def _insert_rows(rows: int) -> str:
    """``insert_bulk_sms`` with its VALUES group repeated for ``rows`` texts."""
    text = Q.insert_bulk_sms.text
    group = _ONE_ROW.search(text)
    if group is None:
        raise RuntimeError("insert_bulk_sms has no VALUES group to repeat")
    return text.replace(group.group(0), "VALUES " + ", ".join([group.group(1)] * rows))


def bulk_previewed(
    batch_id: str, owner: str, not_sent: str, preview: NewMailJob, now: float
) -> Op[str]:
    """The preview stored, before the texts are, if this worker still holds the send and its
    batch is still open: 'previewed'. 'previewed before' when an earlier attempt stored it
    (the texts are then stored without a second preview), 'lost' when the lease passed to
    another worker, else the batch's state ('cancelled': CANCEL came first)."""
    marked = yield count(Q.mark_bulk_previewed, now, not_sent, batch_id, owner)
    if marked:
        yield from ops.insert_mail(preview, now)
        return "previewed"
    row = yield one_row(Q.bulk_send_state, batch_id)
    if row is None or row["lease_owner"] != owner:
        return "lost"
    if row["state"] != "received":
        return str(row["state"])
    return "previewed before"


def bulk_planned(batch_id: str, owner: str, state: str, not_sent: str, now: float) -> Op[str]:
    """The batch's texts all stored: the batch 'held' (or 'open', sent at once), if this
    worker still holds it. The batch's state after it: 'lost' when the lease had passed to
    another worker (which does the same work again), 'cancelled' when CANCEL came meanwhile
    (and the texts stored since are cancelled)."""
    kept = yield count(Q.end_bulk_lease, not_sent, batch_id, owner)
    if not kept:
        return "lost"
    moved = yield count(Q.move_batch, state, now, batch_id, "received")
    if not moved:
        row = yield one_row(Q.batch_by_id, batch_id)
        if row is not None and row["state"] == "cancelled":
            yield from cancel_batch(batch_id, now)  # the texts stored since the CANCEL
        return str(row["state"]) if row is not None else "lost"
    if state == "open":
        yield count(Q.release_held, now, batch_id)
        yield count(Q.bulk_sent_at, now, batch_id)
    return state


def bulk_failed(batch_id: str, owner: str, mail: NewMailJob, now: float) -> Op[bool]:
    """The file could not be used: the batch 'failed', the texts stored from its first rows
    cancelled (its rows are decided while it is read, and a file may prove unusable at its
    last line), its author told why (once)."""
    kept = yield count(Q.end_bulk_lease, None, batch_id, owner)
    moved = kept and (yield count(Q.move_batch, "failed", now, batch_id, "received"))
    if moved:
        yield from cancel_waiting(batch_id, now, _UNUSABLE)
        yield from ops.insert_mail(mail, now)
    return bool(moved)


def send_held(batch_id: str, now: float, everywhere: bool) -> Op[tuple[int, int] | None]:
    """SEND: every held text of a held batch queued, in one statement, except those whose
    customer opted out since the preview, which are cancelled (``everywhere``: the
    organisation's opt-out scope). (queued, cancelled); None when the batch is not held:
    not yet previewed, already sent or cancelled."""
    moved = yield count(Q.move_batch, "open", now, batch_id, "held")
    if not moved:
        return None
    stopped = 0
    for row in (yield all_rows(Q.held_opted_out, batch_id, int(everywhere))):
        changed = yield count(Q.cancel_sms, OPTED_OUT_AFTER_PREVIEW, now, row["id"])
        if changed:
            yield from uncounted(row)
        stopped += changed
    queued: int = yield count(Q.release_held, now, batch_id)
    yield count(Q.bulk_sent_at, now, batch_id)
    return queued, stopped


def bulk_finished(limit: int) -> Op[list[dict[str, Any]]]:
    """Sent bulk batches whose texts have all ended and whose summary is not yet stored."""
    rows = yield all_rows(Q.bulk_finished, limit)
    return [dict(row) for row in rows]


def bulk_results(batch_id: str) -> Op[list[dict[str, Any]]]:
    """Each text of the batch, by its line: its state, error and segments."""
    rows = yield all_rows(Q.bulk_results, batch_id)
    return [dict(row) for row in rows]


def bulk_summarised(batch_id: str, summary: NewMailJob, now: float) -> Op[bool]:
    """Store the summary unless it was stored before (by this bridge or another)."""
    first = yield count(Q.bulk_summarised, now, batch_id)
    if first:
        yield from ops.insert_mail(summary, now)
    return bool(first)


def suppressed_customers() -> Op[frozenset[str]]:
    rows = yield all_rows(Q.suppressed_customers)
    return frozenset(str(row["customer_number"]) for row in rows)


_NOT_SENT = "not sent: its author did not reply SEND to the preview before it expired"


def expire_held(now: float) -> Op[int]:
    """Cancel the held texts of previewed bulk sends past their expiry (SEND never came),
    giving back what they counted against the spend caps; how many."""
    batches = yield all_rows(Q.bulk_expired, now)
    done = 0
    for batch in batches:
        for row in (yield all_rows(Q.batch_waiting, batch["id"])):
            changed = yield count(Q.cancel_sms, _NOT_SENT, now, row["id"])
            if changed:
                yield from uncounted(row)
            done += changed
        yield count(Q.move_batch, "cancelled", now, batch["id"], "held")
    return done
