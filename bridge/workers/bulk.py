"""The bulk worker: a received bulk send read, every row through the chain, previewed, its
texts held; and, once a sent one has ended, its summary.

Every bridge runs one. It takes a received bulk send with a lease (``Store.claim_bulk``: on
PostgreSQL two bridges never take the same one) and has its file read and its rows planned
(``bridge.bulk``) a chunk of rows at a time, in a child process
(``bridge.workers.bulk_planner``; a small file in a thread of this one): parsing 100,000
numbers is seconds of CPU, which the child spends on the other core while this process
decides the chunks already planned. Each row's text passes the outbound chain's envelope
and content stages, as an email's recipient does (``Gate.decide``): opt-outs, destinations,
caps and quiet hours decide here, and the send stage (the rate limit) when each text goes.
When every row is decided, the preview (``bridge.bulk.preview``) is stored at once, and
the texts the chain let through after it, a chunk at a time in job state 'held' (storing
100,000 texts took a third of the time to the preview); then the batch moves to 'held' (or
'open', its texts queued, when the author's sender rule sends at once). A worker that takes
the send again after a crash stores its texts without a second preview, and SEND arriving
while they are stored waits for them. With a rule that counts the texts already stored (a
spend cap), each text is stored as it is decided instead. A file unusable as a whole gets
its author an email saying why instead (``Store.bulk_failed``). A planning that fails
otherwise (the child killed, a bug) fails the attempt, which is tried again once its lease
has passed.

A sent bulk send whose texts have all ended gets its summary (``bridge.bulk.summary``) with
the per-row result CSV (``bridge.bulk.results``), stored once whichever bridge sees it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.bulk.outcomes import CheckedPlan, Outcome
from bridge.bulk.preview import NOT_SENT_NAME, not_sent_csv, preview_text
from bridge.bulk.results import ResultRow, not_sent, result_lines
from bridge.bulk.rows import BulkPlan, BulkRow, PlanParts
from bridge.bulk.status import OPTED_OUT_AFTER_PREVIEW, Status
from bridge.bulk.summary import RESULTS_NAME, Totals, summary_text
from bridge.bulk.table import BulkFileError
from bridge.chain.gate import Gate, job
from bridge.chain.known_facts import KnownOptOuts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.verdicts import Decision
from bridge.clock import Clock
from bridge.mail.notices import bulk_email
from bridge.mail.transport import NoticeSettings
from bridge.models import BulkSend, NewMailJob, NewSmsJob
from bridge.parsing.numbers import remember
from bridge.parsing.recipients import control_address
from bridge.parsing.tags import subject_tags
from bridge.settings.bulk import BulkSettings
from bridge.store.base import Store
from bridge.workers.bulk_planner import Planning, PlanRequest, planning
from bridge.workers.loop import Loop

__all__ = ["BulkWorker", "Pricing"]

log = logging.getLogger(__name__)

CHUNK = 2000  # texts stored per transaction: the SQLite writer is never held long
# Rules that count the texts already stored while deciding the next: with one in the chain
# each text is stored before the next row is decided, so a cap is never passed by a chunk.
_COUNTING = frozenset({"spend-cap"})
MAX_ATTEMPTS = 3
_OUR_PROBLEM = (
    "The bridge failed to read it, three times, because of a problem on its side. Ask your"
    " administrator, quoting this email, before you send the file again."
)
# collections of the middle generation before a full one, during a bulk send (default 10)
_FULL_PASS_DEFERRED = 1_000_000
_YIELD_EVERY = 200  # rows decided between turns given to the event loop
_FINAL = {
    "sent": Status.SENT,
    "delivered": Status.SENT,
    "failed": Status.FAILED,
    "undelivered": Status.FAILED,
    "cancelled": Status.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Pricing:
    """``compliance.prices`` and ``compliance.currency``, as the spend cap prices segments."""

    prices: Mapping[str, float]
    currency: str


class BulkWorker(Loop):
    def __init__(
        self,
        *,
        store: Store,
        gate: Gate,
        settings: BulkSettings,
        region: str,
        pricing: Pricing,
        notices: NoticeSettings,
        clock: Clock,
        owner: str,
        queued: Callable[[], None],
        mailed: Callable[[], None],
        poll_seconds: float,
        in_process: bool | None = None,  # plan in this process (True), in a child (False)
    ) -> None:
        super().__init__()
        self._store = store
        self._gate = gate
        self._settings = settings
        self._region = region
        self._pricing = pricing
        self._notices = notices
        self._clock = clock
        self._owner = owner
        self._queued = queued
        self._mailed = mailed
        self._poll = poll_seconds
        self._in_process = in_process  # None: a child for all but small files
        self._wake = asyncio.Event()
        self._expired_at: datetime | None = None  # when expired sends were last looked for

    def wake(self) -> None:
        """A bulk send was received, or a batch may have ended: look now."""
        self._wake.set()

    def stop(self) -> None:
        super().stop()
        self._wake.set()

    async def run(self) -> None:
        while not self.stopping:
            self._wake.clear()
            try:
                busy = await self.once()
            except Exception:
                log.exception("bulk worker: a round failed; trying again in %.1f s", self._poll)
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def once(self) -> bool:
        """One received bulk send planned (True), else the summaries due written."""
        send = await self._store.claim_bulk(
            now=self._clock(), lease_seconds=self._settings.lease_seconds, owner=self._owner
        )
        if send is not None:
            await self._guarded(send)
            return True
        await self._summaries()
        await self._expire()
        return False

    async def _guarded(self, send: BulkSend) -> None:
        """Plan ``send``; a failure is tried again once its lease has passed, and after
        ``MAX_ATTEMPTS`` the author is told instead of the bridge trying for ever."""
        try:
            await self._plan(send)
        except Exception:
            if send.attempts < MAX_ATTEMPTS:
                raise
            log.exception(
                "bulk send %s: failed %d times; its author is told", send.batch_id, send.attempts
            )
            await self._unusable(send, _OUR_PROBLEM)

    async def _plan(self, send: BulkSend) -> None:
        request = PlanRequest(
            file=send.file,
            template=send.template,
            region=self._region,
            max_rows=self._settings.max_rows,
            in_process=self._in_process,
        )
        with _no_full_collections():
            await self._plan_and_store(send, request)

    async def _plan_and_store(self, send: BulkSend, request: PlanRequest) -> None:
        try:
            async with planning(request) as planned:
                decided = await self._decide_all(send, planned)
        except BulkFileError as exc:
            await self._unusable(send, exc.reason)  # and any text stored so far cancelled
            return
        if decided is None:
            return  # stopping, or the lease was lost: the send is taken again
        checked = decided.plan.checked(decided.outcomes)
        rows = json.dumps([_row_json(row) for row in not_sent(checked)])
        shown = await self._preview(send, checked, rows)
        if shown == "lost":
            return
        if shown != "cancelled" and not await self._store_held(send, decided.held):
            return  # stopping, or the lease was lost: taken again, without a second preview
        state = "open" if send.at_once else "held"
        done = await self._store.bulk_planned(
            send.batch_id, owner=self._owner, state=state, not_sent=rows, now=self._clock()
        )
        log.info(
            "bulk send %s: %d rows planned; batch %s", send.batch_id, decided.plan.rows_read, done
        )
        if done == "open":
            self._queued()

    async def _preview(self, send: BulkSend, checked: CheckedPlan, rows: str) -> str:
        """The preview stored as soon as every row is decided, before the texts are: storing
        100,000 of them took a third of the time to the preview (docs/benchmarks.md). SEND
        arriving while they are stored waits for them (``bridge.inbound.control``)."""
        body = preview_text(
            checked,
            filename=send.filename,
            prices=self._pricing.prices,
            currency=self._pricing.currency,
            samples=self._settings.preview_samples,
        )
        if send.at_once:
            body = _at_once(body)
        mail = self._email(send, "Preview", body, (NOT_SENT_NAME, not_sent_csv(checked)))
        shown = await self._store.bulk_previewed(
            send.batch_id, owner=self._owner, not_sent=rows, preview=mail, now=self._clock()
        )
        if shown == "previewed":
            self._mailed()
        elif shown == "lost":
            log.warning("bulk send %s: its lease passed to another worker", send.batch_id)
        return shown

    async def _decide_all(self, send: BulkSend, planned: Planning) -> _Decided | None:
        """Every row through the chain as its chunk is planned. The texts it lets through are
        kept for ``_store_held``, except with a rule that counts the texts already stored (a
        spend cap): then each is stored before the next row is decided, so that no cap is
        passed by texts decided together."""
        head = await planned.head()
        subject_tagged = subject_tags(send.subject)
        stopped = await self._store.suppressed_customers()  # one query, not one a row
        gate = self._gate.reading(KnownOptOuts(self._gate.facts, stopped))
        counting = any(rule.name in _COUNTING for rule in gate.chain.rules)
        lease = _Lease(lambda: self._keep_lease(send), self._settings.lease_seconds / 3)
        parts = PlanParts()
        outcomes: list[Outcome] = []
        held: list[tuple[BulkRow, NewSmsJob]] = []
        while (planned_chunk := await planned.next()) is not None:
            parts.add(planned_chunk)
            for row in planned_chunk.rows:
                if self.stopping:
                    return None
                outcome, text = await self._decide(gate, send, row, subject_tagged)
                outcomes.append(outcome)
                if text is not None and counting:
                    if not await self._store_chunk(send, [text]):
                        return None
                elif text is not None:
                    held.append((row, text[1]))
                if len(outcomes) % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            if not await lease.kept():
                return None
        return _Decided(parts.plan(head), outcomes, held)

    async def _decide(
        self, gate: Gate, send: BulkSend, row: BulkRow, tagged: tuple[frozenset[str], str]
    ) -> tuple[Outcome, tuple[int, NewSmsJob] | None]:
        """One row through the chain: its outcome, and its text (with its line) if let through."""
        remember(row.number, row.parsed)  # parsed when the file was read, not again
        decision = await gate.decide(self._request(send, row, tagged), at=self._clock())
        if not decision.accepted:
            return _outcome(decision), None
        key = f"bulk|{send.batch_id}|{row.number}"
        text = job(decision, idempotency_key=key, message_id=send.message_id)
        return _outcome(decision), (row.line, text)

    async def _store_held(self, send: BulkSend, held: list[tuple[BulkRow, NewSmsJob]]) -> bool:
        """The texts kept by ``_decide_all``, stored a chunk a transaction (the SQLite writer
        is never held long), the lease renewed after each; False when stopping or the lease
        was lost. Each number's parse is handed back first: storing a text asks its
        country, and only the last 4,096 numbers' parses are kept (``numbers.remember``)."""
        for start in range(0, len(held), CHUNK):
            if self.stopping:
                return False
            part = held[start : start + CHUNK]
            for row, _ in part:
                remember(row.number, row.parsed)
            if not await self._store_chunk(send, [(row.line, text) for row, text in part]):
                return False
        return True

    async def _store_chunk(self, send: BulkSend, chunk: list[tuple[int, NewSmsJob]]) -> bool:
        await self._store.store_bulk_jobs(send.batch_id, chunk, state="held", now=self._clock())
        return await self._keep_lease(send)

    async def _keep_lease(self, send: BulkSend) -> bool:
        kept = await self._store.keep_bulk_lease(
            send.batch_id,
            owner=self._owner,
            lease_seconds=self._settings.lease_seconds,
            now=self._clock(),
        )
        if not kept:
            log.warning("bulk send %s: its lease passed to another worker", send.batch_id)
        return kept

    def _request(
        self, send: BulkSend, row: BulkRow, tagged: tuple[frozenset[str], str]
    ) -> OutboundRequest:
        tags, subject = tagged
        return OutboundRequest(
            source=Source.EMAIL,
            author=send.author,
            to_number=row.number,
            text=row.text,
            subject=subject,
            tags=tags,
            domain=send.domain,
        )

    async def _expire(self) -> None:
        """Previewed sends whose SEND never came, past expiry: their texts cancelled (looked
        for once a minute)."""
        now = self._clock()
        if self._expired_at is not None and (now - self._expired_at).total_seconds() < 60:
            return
        self._expired_at = now
        expired = await self._store.expire_held(now=now)
        if expired:
            log.info("bulk sends: %d held text(s) cancelled, SEND never came", expired)

    async def _unusable(self, send: BulkSend, reason: str) -> None:
        body = (
            f"Your bulk send from {send.filename} cannot be used, so nothing will be sent.\n\n"
            f"{reason}\n"
        )
        mail = self._email(send, "Not sent", body, None)
        told = await self._store.bulk_failed(
            send.batch_id, owner=self._owner, mail=mail, now=self._clock()
        )
        log.info("bulk send %s: the file cannot be used (author told: %s)", send.batch_id, told)
        self._mailed()

    async def _summaries(self) -> None:
        for batch in await self._store.bulk_finished(limit=5):
            rows = await self._store.bulk_results(str(batch["id"]))
            results = sorted(
                [*_job_results(rows), *_stored_rows(batch["not_sent"])], key=lambda r: r.line
            )
            totals = Totals.of(row.status for row in results)
            text = summary_text(totals, filename=str(batch["filename"]))
            attachment = (RESULTS_NAME, b"".join(result_lines(results)))
            send = _batch_send(batch)
            mail = self._email(send, "Summary", text, attachment)
            if await self._store.bulk_summarised(send.batch_id, summary=mail, now=self._clock()):
                log.info("bulk send %s: finished; summary stored", send.batch_id)
                self._mailed()

    def _email(
        self, send: BulkSend, headline: str, body: str, attachment: tuple[str, bytes] | None
    ) -> NewMailJob:
        content = bulk_email(
            author=send.author,
            subject=send.subject,
            message_id=send.message_id,
            headline=f"Bulk send: {headline}",
            body=body,
            attachment=attachment,
            reply_to=control_address(send.token, send.domain),
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        return NewMailJob(envelope_from="", recipients=(send.author,), content=content)


@contextlib.contextmanager
def _no_full_collections() -> Iterator[None]:
    """No full pass of the cyclic collector while a bulk send is planned and stored. Its
    rows, outcomes and texts (a few objects each, 100,000 rows) live until it is stored, and
    the collector's full passes walk every live object, more often as more are made: seven
    or more passes, a tenth of the time to the preview (docs/benchmarks.md, bulk sends).
    The young generations are still collected, and cyclic garbage that outlives them waits
    for the first full pass after the send. The thresholds are put back however it ends."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _FULL_PASS_DEFERRED)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


@dataclass(frozen=True, slots=True)
class _Decided:
    """A bulk send's rows decided: its plan, each planned row's outcome, and the texts let
    through that are not stored yet (with their lines)."""

    plan: BulkPlan
    outcomes: list[Outcome]
    held: list[tuple[BulkRow, NewSmsJob]]


class _Lease:
    """A bulk send's lease renewed while its rows are decided, at most once per ``every``
    seconds (deciding 100,000 rows takes several seconds, storing nothing meanwhile)."""

    def __init__(self, keep: Callable[[], Awaitable[bool]], every: float) -> None:
        self._keep = keep
        self._every = every
        self._at = time.monotonic()

    async def kept(self) -> bool:
        """False once the lease has passed to another worker."""
        if time.monotonic() - self._at < self._every:
            return True
        self._at = time.monotonic()
        return await self._keep()


def _outcome(decision: Decision) -> Outcome:
    if decision.refusal is not None:
        opted = any(hit.rule == "opt-out" and hit.action == "refuse" for hit in decision.hits)
        status = Status.OPTED_OUT if opted else Status.REFUSED
        return Outcome(status, reason=decision.refusal.reason)
    segments = decision.request.segments
    if decision.not_before is not None:
        return Outcome(Status.DEFERRED, segments=segments, reason=decision.deferred)
    return Outcome(Status.ACCEPTED, segments=segments)


def _at_once(preview: str) -> str:
    """The preview of a send that goes without SEND: it says so instead of asking."""
    body = preview.replace("is ready to check. Nothing has been sent yet.", "is being sent.")
    for ending in ("Reply SEND to send them, or CANCEL.", "Reply SEND to send it, or CANCEL."):
        body = body.replace(
            ending,
            "Your sender rule sends bulk sends at once. Reply CANCEL to stop what has not gone yet.",
        )
    return body


def _row_json(row: ResultRow) -> list[Any]:
    return [row.line, row.number, row.status.value, row.reason, row.country]


def _stored_rows(stored: object) -> Iterable[ResultRow]:
    for line, number, status, reason, country in json.loads(str(stored or "[]")):
        yield ResultRow(int(line), str(number), Status(status), str(reason), str(country))


def _job_results(rows: list[dict[str, Any]]) -> Iterable[ResultRow]:
    for row in rows:
        status = _FINAL[str(row["state"])]
        if status is Status.CANCELLED and row["error"] == OPTED_OUT_AFTER_PREVIEW:
            status = Status.OPTED_OUT
        yield ResultRow(
            line=int(row["bulk_line"] or 0),
            number=str(row["to_number"]),
            status=status,
            reason=str(row["error"] or "") if status is not Status.SENT else "",
            country=str(row["country"] or ""),
            segments=int(row["segments"]),
            reference=str(row["id"]),
        )


def _batch_send(batch: dict[str, Any]) -> BulkSend:
    """What the summary's email needs of a batch (the file itself is not read again)."""
    return BulkSend(
        batch_id=str(batch["id"]),
        token=str(batch["token"]),
        author=str(batch["author"]),
        message_id=str(batch["message_id"]),
        subject=str(batch["subject"]),
        zone="",
        filename=str(batch["filename"]),
        file=b"",
        template="",
        domain=str(batch["domain"]),
        at_once=False,
    )
