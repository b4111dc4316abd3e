"""Where every outbound text enters the bridge: the chain decides, then the job is made.

The edges (SMTP, the mailbox watcher, ``smsbridge send``) and the bridge's own answers (auto-
replies, STOP confirmations, forwards) all call ``decide``; what it accepts becomes a
``NewSmsJob`` with ``job``, carrying the chain's record. The SMTP edge runs the envelope
stage early, at RCPT TO, to refuse a recipient before the message is sent, and hands that
decision back at DATA so it is neither read nor recorded twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bridge.chain.chain import Chain
from bridge.chain.facts import FactReader
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Stage
from bridge.chain.verdicts import Decision, Notice
from bridge.metrics.counters import DECISIONS
from bridge.models import NewSmsJob

__all__ = ["Gate", "Warner", "job"]

_ENVELOPE = frozenset({Stage.ENVELOPE})
_CONTENT = frozenset({Stage.CONTENT})
_BOTH = _ENVELOPE | _CONTENT
_SEND = frozenset({Stage.SEND})


class Warner(Protocol):
    async def __call__(self, notices: tuple[Notice, ...], *, at: datetime) -> None:
        """Queue each notice unless one of its key was queued before."""
        ...


class Gate:
    def __init__(self, *, chain: Chain, facts: FactReader, warn: Warner | None = None) -> None:
        """``warn`` sends the notices the rules ask for (a spend cap's warning); without it,
        none is sent (``smsbridge outbound explain`` only shows them)."""
        self.chain = chain
        self._facts = facts
        self._warn = warn

    @property
    def facts(self) -> FactReader:
        return self._facts

    def reading(self, facts: FactReader) -> Gate:
        """The same chain over ``facts`` (a bulk send's, some read ahead for all its rows)."""
        return Gate(chain=self.chain, facts=facts, warn=self._warn)

    async def envelope(self, request: OutboundRequest, *, at: datetime) -> Decision:
        """Who may text whom: the envelope stage alone (SMTP's RCPT TO). Only a refusal is
        counted here: an accepted envelope is decided in full, and counted, at DATA."""
        decision = await self.chain.run(request, facts=self._facts, at=at, stages=_ENVELOPE)
        if not decision.accepted:
            counted("submit", decision)
        return decision

    async def decide(
        self, request: OutboundRequest, *, at: datetime, envelope: Decision | None = None
    ) -> Decision:
        """The whole chain for ``request`` (with its text), or the content stage after an
        ``envelope`` decided earlier: its request, with this one's text, goes on."""
        decision = await self._decide(request, at=at, envelope=envelope)
        counted("submit", decision)
        if self._warn is not None and decision.accepted and decision.notices:
            await self._warn(decision.notices, at=at)
        return decision

    async def _decide(
        self, request: OutboundRequest, *, at: datetime, envelope: Decision | None
    ) -> Decision:
        if envelope is None or _thread_decides(request):
            return await self.chain.run(request, facts=self._facts, at=at, stages=_BOTH)
        if not envelope.accepted:
            return envelope
        carried = envelope.request.revised(  # what DATA adds to what RCPT knew
            text=request.text,
            subject=request.subject,
            thread=request.thread,
            tags=request.tags,
            domain=request.domain,
            send_at=request.send_at,
            send_zone=request.send_zone,
        )
        content = await self.chain.run(carried, facts=self._facts, at=at, stages=_CONTENT)
        return self.chain.with_hits(content, envelope.hits)

    @property
    def paces(self) -> bool:
        """Whether the send stage has rules (a rate limit is set): if not, it need not run."""
        return bool(self.chain.rules_of(_SEND))

    async def again(self, request: OutboundRequest, *, at: datetime) -> Decision:
        """The envelope stage once more, for a stored text about to go after a wait (its time
        came, its author said SEND, quiet hours ended): an opt-out or a destination policy that
        came since it was accepted stops it before any provider has it."""
        decision = await self.chain.run(request, facts=self._facts, at=at, stages=_ENVELOPE)
        if not decision.accepted:
            counted("send", decision)
        return decision

    async def at_send(self, request: OutboundRequest, *, provider: str, at: datetime) -> Decision:
        """The send stage, just before ``provider`` is asked."""
        sending = request.revised(provider=provider)
        decision = await self.chain.run(sending, facts=self._facts, at=at, stages=_SEND)
        if not decision.accepted or decision.not_before is not None:
            counted("send", decision)
        return decision


def counted(stage: str, decision: Decision) -> None:
    """Count ``decision`` for /metrics: its outcome, the rule that refused or last deferred
    it (none for an acceptance), and the category the chain gave the text."""
    outcome, rule = "accepted", ""
    acted = [hit for hit in decision.hits if hit.action in ("refuse", "defer")]
    if not decision.accepted:
        outcome, rule = "refused", acted[-1].rule if acted else ""
    elif decision.not_before is not None:
        outcome, rule = "deferred", acted[-1].rule if acted else ""
    labels = (stage, outcome, rule, decision.request.category)
    counter = _COUNTERS.get(labels)
    if counter is None:
        counter = _COUNTERS[labels] = DECISIONS.labels(*labels)
    counter.inc()


# Each set of labels' counter, looked up once: ``labels`` checks and locks on every call,
# and every text is counted (a few stages, outcomes, rules and two categories: a short list).
_COUNTERS: dict[tuple[str, str, str, str], Any] = {}


def _thread_decides(request: OutboundRequest) -> bool:
    """A reply's headers, read at DATA, can choose another sender than RCPT TO could: the
    envelope stage is run again with them (only for replies whose address named no number)."""
    return request.thread is not None and request.thread.open_reply


def job(
    decision: Decision,
    *,
    idempotency_key: str,
    message_id: str,
    merge_window: float | None = None,
) -> NewSmsJob:
    """The job for an accepted decision, with the chain's record."""
    request = decision.request
    assert decision.accepted and request.text is not None and request.sender is not None
    return NewSmsJob(
        idempotency_key=idempotency_key,
        message_id=message_id,
        author=request.author,
        subject=request.subject,
        to_number=request.to_number,
        sender=request.sender,
        text=request.text,
        encoding=request.encoding,
        segments=request.segments,
        route=request.route,
        chain=decision.record,
        not_before=decision.not_before,
        merge_window=merge_window,
        category=request.category or "transactional",
        links=request.links,
    )
