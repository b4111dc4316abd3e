"""Carry out the decision on one stored inbound text (``bridge.routing.decide``).

The worker reads what the decision needs from the store, lets ``decide`` decide, and then
only writes: the email to the people the decision names (threaded under the conversation),
the signed JSON for a route's webhook, and each text it answers with, which passes the
outbound chain like any other (an auto-reply to a customer who opted out is refused there;
the explanation kept with the inbound text says so). Everything is committed in one
transaction with the text's "routed" mark, so a crash routes it again from scratch and never
half-way.

A text from a webhook is decided the same way as it arrives (``receive``) and committed with
the text itself, before the webhook's answer; the worker routes what that leaves: texts with
pictures, texts behind an earlier one of the same customer, texts from the poller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bridge.chain.gate import Gate
from bridge.chain.gate import job as sms_job
from bridge.chain.request import OutboundRequest, Source
from bridge.clock import Clock
from bridge.flows.report import FlowEnd, finished_email, finished_json, handover_note
from bridge.logs.context import bind, bound
from bridge.mail.attachments import with_media
from bridge.mail.text_email import InboundEmailParts, inbound_email
from bridge.mail.webhook import conversation_json, webhook_body
from bridge.media.first_use import Pictures
from bridge.media.results import MediaNotReady
from bridge.metrics.consent import count_consent
from bridge.metrics.counters import INBOUND_TEXTS
from bridge.models import (
    ConsentEvent,
    InboundContext,
    InboundJob,
    InboundOutcome,
    InboundSms,
    NewMailJob,
    NewSmsJob,
    ThreadEntry,
)
from bridge.parsing.numbers import mask
from bridge.routing.decide import InboundDecision, InboundRules, Reply, RouteText, decide
from bridge.routing.matchers import InboundText
from bridge.settings.flows import FlowSettings
from bridge.store.base import Store
from bridge.store.ids import new_id
from bridge.store.ops_flows import FlowConflict

__all__ = ["InboundDispatcher", "MailIdentity"]

log = logging.getLogger(__name__)
_SOURCES = {"reply": Source.COMPLIANCE, "auto-reply": Source.AUTO_REPLY, "flow": Source.AUTO_REPLY}
_TRANSCRIPT = 30  # earlier texts a flow's hand-over email shows


@dataclass(frozen=True, slots=True, kw_only=True)
class MailIdentity:
    """How the bridge's emails of customers' texts are addressed."""

    from_address: str
    sms_domain: str  # the customer's address is <number>@sms_domain, so Reply texts back
    hostname: str  # for Message-IDs


class InboundDispatcher:
    """The ``handle`` of the inbound ``JobRunner``."""

    def __init__(
        self,
        *,
        store: Store,
        router: RouteText,
        rules: InboundRules,
        gate: Gate,
        mail: MailIdentity,
        clock: Clock,
        queued: Callable[[], None],  # texts were stored: wakes the SMS worker
        mailed: Callable[[], None],  # emails were stored: wakes the mail worker
        media: Pictures | None = None,  # fetches an MMS's pictures for its email
    ) -> None:
        self._media = media
        self._store = store
        self._router = router
        self._rules = rules
        self._gate = gate
        self._mail = mail
        self._clock = clock
        self._queued = queued
        self._mailed = mailed

    def use_flows(self, flows: tuple[FlowSettings, ...]) -> None:
        """The flows of reloaded settings, for the texts decided from now on (a customer in a
        flow that is gone, or at a step that is gone, is routed as if in none)."""
        self._rules = replace(self._rules, flows=flows)

    async def receive(self, sms: InboundSms) -> bool:
        """A text from a webhook, stored and, when it can be, routed in the same transaction;
        True when it is stored for the worker to route (a new text with pictures, which are
        fetched first, one whose customer has an earlier text still waiting, or one whose
        routing failed here: the worker tries again, as it does after a crash).

        Routing here saves the worker's claim, a transaction and a wake-up per text, and the
        webhook is still answered only after the commit: a crash before it stores nothing
        (the provider retries), after it the text is stored and routed, never half-way.
        """
        now = self._clock()
        if sms.media:
            return await self._stored(sms, now)
        context = await self._store.fresh_inbound_context(
            sms, history_since=self._since(now), history=self._rules.inbound.thread_history
        )
        if context is None:  # a provider's retry of a text stored already changes nothing
            return False
        job = InboundJob(
            id=new_id("i"),
            provider=sms.provider,
            provider_message_id=sms.provider_message_id,
            from_number=sms.from_number,
            to_number=sms.to_number,
            text=sms.text,
            received_at=sms.received_at,
            attempts=1,
        )
        with bound(inbound=job.id):
            try:
                outcome = await self._decided(job, context, now)
                new, routed = await self._store.receive_routed(job, outcome, now=now)
            except FlowConflict:  # another of the customer's texts moved the flow on
                return await self._stored(sms, now)
            except Exception:  # the text must not be refused for what routing could not do
                log.exception("inbound text not routed on receipt; stored for the worker")
                return await self._stored(sms, now)
            if routed:
                self._routed(job, outcome)
        return new and not routed

    async def _stored(self, sms: InboundSms, now: datetime) -> bool:
        """The text stored alone, for the worker to route; whether it is new."""
        _, new = await self._store.receive_sms(sms, now=now)
        return new

    async def handle(self, job: InboundJob) -> None:
        now = self._clock()
        context = await self._store.inbound_context(
            customer=job.from_number,
            reply_number=job.to_number,
            history_since=self._since(now),
            history=self._rules.inbound.thread_history + 1,  # this text is stored: the newest
        )
        try:
            outcome = await self._decided(job, context, now)
        except MediaNotReady as exc:  # a picture could not be fetched yet: all of it waits
            later = now + timedelta(seconds=exc.retry_after or 60.0)
            await self._store.inbound_retry(job.id, at=later, now=now)
            return
        try:
            await self._store.inbound_routed(job, outcome, now=now)
        except FlowConflict:  # another of the customer's texts moved the flow on: decide again
            log.info("inbound %s: its flow moved on meanwhile; deciding again", job.id)
            await self._store.inbound_retry(job.id, at=now + timedelta(seconds=1), now=now)
            return
        self._routed(job, outcome)

    def _since(self, now: datetime) -> datetime:
        """The start of the conversation window that the thread history is read from."""
        return now - timedelta(days=self._rules.inbound.conversation_days)

    async def _decided(
        self, job: InboundJob, context: InboundContext, now: datetime
    ) -> InboundOutcome:
        """Decide on the text and build what the decision produces."""
        if context.conversation is not None:
            bind(conversation=context.conversation.id)
        text = InboundText(job.from_number, job.to_number, job.text)
        decision = decide(text, context, router=self._router, rules=self._rules, at=now)
        return await self._outcome(job, decision, context, now)

    def _routed(self, job: InboundJob, outcome: InboundOutcome) -> None:
        INBOUND_TEXTS.labels(outcome.route).inc()
        count_consent(outcome.consent)
        log.info("inbound %s from %s routed: %s", job.id, mask(job.from_number), outcome.route)
        # only the worker with new work: a wasted wake-up is a claim that finds nothing
        if outcome.texts:
            self._queued()
        if outcome.mails:
            self._mailed()

    async def _outcome(
        self, job: InboundJob, decision: InboundDecision, context: InboundContext, now: datetime
    ) -> InboundOutcome:
        texts, refused = await self._texts(job, decision, now)
        history = _earlier(context.history, job, self._rules.inbound.thread_history)
        turn = decision.flow_turn
        if turn is not None and turn.handover:  # the person taking over sees the whole dialogue
            history = await self._transcript(job, now)
        name = " ".join(context.contact.name.split()) if context.contact else ""
        mails = [await self._email(job, decision, history, name)] if decision.emails else []
        if decision.webhook:
            mails.append(self._webhook(job, decision, context, history))
        mails += self._flow_mails(job, decision, now)
        explanation = "\n".join([decision.explanation, *refused])
        return InboundOutcome(
            route=decision.route,
            explanation=explanation,
            mails=tuple(mails),
            texts=tuple(texts),
            suppress=decision.suppress,
            auto_replied=decision.auto_replied
            and any(t.to_number == job.from_number for t in texts),
            mailed_to=decision.emails,
            in_conversation=decision.in_conversation,
            suppress_scope=decision.suppress_scope,
            consent=_consent(job, decision, now),
            pending_campaign=decision.pending_campaign,
            flow=decision.flow,
        )

    async def _texts(
        self, job: InboundJob, decision: InboundDecision, now: datetime
    ) -> tuple[list[NewSmsJob], list[str]]:
        """Each reply through the outbound chain: the accepted as jobs, the refused as lines
        for the explanation."""
        accepted: list[NewSmsJob] = []
        refused: list[str] = []
        for reply in decision.replies:
            verdict = await self._gate.decide(self._request(job, decision, reply), at=now)
            if verdict.refusal is not None:
                refused.append(f"{reply.purpose} not sent: {verdict.refusal.reason}")
                continue
            key, message_id = f"{job.id}|{reply.purpose}", f"<{job.id}@inbound>"
            accepted.append(sms_job(verdict, idempotency_key=key, message_id=message_id))
        return accepted, refused

    def _request(self, job: InboundJob, decision: InboundDecision, reply: Reply) -> OutboundRequest:
        return OutboundRequest(
            source=_SOURCES.get(reply.purpose, Source.FORWARD),
            author="",
            to_number=reply.to_number,
            text=reply.text,
            sender=job.to_number,  # from the number the customer texted
            route=decision.route,
        )

    async def _email(
        self,
        job: InboundJob,
        decision: InboundDecision,
        history: tuple[ThreadEntry, ...],
        name: str,
    ) -> NewMailJob:
        media = await self._media.fetch(job) if self._media and job.media else []
        turn = decision.flow_turn
        content = inbound_email(
            InboundEmailParts(
                inbound_id=job.id,
                customer=job.from_number,
                reply_number=job.to_number,
                text=job.text,
                received_at=job.received_at,
                timezone=decision.timezone,
                recipients=decision.emails,
                sms_domain=self._mail.sms_domain,
                hostname=self._mail.hostname,
                conversation=decision.conversation,
                history=history,
                name=name,
                note=handover_note(turn) if turn is not None and turn.handover else "",
            )
        )
        content = with_media(content, media)
        return NewMailJob(
            envelope_from=self._mail.from_address,
            recipients=decision.emails,
            content=content,
            kind="inbound",
        )

    async def _transcript(self, job: InboundJob, now: datetime) -> tuple[ThreadEntry, ...]:
        since = now - timedelta(days=self._rules.inbound.conversation_days)
        entries = await self._store.thread(
            customer=job.from_number, reply_number=job.to_number, since=since, limit=_TRANSCRIPT + 1
        )
        return _earlier(tuple(entries), job, _TRANSCRIPT)

    def _flow_mails(
        self, job: InboundJob, decision: InboundDecision, now: datetime
    ) -> list[NewMailJob]:
        """At a flow's end: its answers to ``notify`` by email and to ``webhook`` as JSON."""
        turn = decision.flow_turn
        if turn is None or turn.finished is None:
            return []
        end = FlowEnd(
            turn=turn,
            customer=job.from_number,
            reply_number=job.to_number,
            inbound_id=job.id,
            at=now,
            timezone=decision.timezone,
        )
        mails = []
        if turn.flow.notify:
            content = finished_email(
                end, from_address=self._mail.from_address, hostname=self._mail.hostname
            )
            mails.append(
                NewMailJob(
                    envelope_from=self._mail.from_address,
                    recipients=turn.flow.notify,
                    content=content,
                    kind="flow",
                )
            )
        if turn.flow.webhook:
            body = finished_json(end)
            mails.append(
                NewMailJob(
                    envelope_from="", recipients=(turn.flow.webhook,), content=body, kind="webhook"
                )
            )
        return mails

    def _webhook(
        self,
        job: InboundJob,
        decision: InboundDecision,
        context: InboundContext,
        history: tuple[ThreadEntry, ...],
    ) -> NewMailJob:
        body = webhook_body(
            inbound_id=job.id,
            provider=job.provider,
            provider_message_id=job.provider_message_id,
            sender=job.from_number,
            to=job.to_number,
            text=job.text,
            received_at=job.received_at,
            route=decision.route,
            conversation=conversation_json(
                context.conversation, history, live=decision.in_conversation
            ),
        )
        recipients = (decision.webhook or "",)
        return NewMailJob(envelope_from="", recipients=recipients, content=body, kind="webhook")


def _consent(job: InboundJob, decision: InboundDecision, now: datetime) -> tuple[ConsentEvent, ...]:
    """The ledger's entry for an opt-in or opt-out by text: the text itself is the evidence."""
    change = decision.consent
    if change is None:
        return ()
    event = ConsentEvent(
        customer=job.from_number,
        action=change.action,
        scope=change.scope,
        at=now,
        how=change.how,
        evidence=f"inbound text {job.id} to {job.to_number}",
        by="customer",
        reason=f"texted {job.text.strip()[:40]!r}",
        campaign=change.campaign,
    )
    return (event,)


def _earlier(
    history: tuple[ThreadEntry, ...], job: InboundJob, limit: int
) -> tuple[ThreadEntry, ...]:
    """The conversation before this text (which is stored, so the newest inbound entry)."""
    entries = list(history)
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        if entry.inbound and entry.at == job.received_at and entry.text == job.text:
            del entries[index]
            break
    return tuple(entries[-limit:]) if limit else ()
