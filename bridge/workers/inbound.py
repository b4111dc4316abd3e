"""Route one stored inbound text: opt-outs first, then the conversation, then the routing table.

The decisions, in order:

1. STOP (and the other stop words) puts the customer on the reply number's suppression list
   and confirms once by text; START, only for a customer who stopped, takes them off it; HELP
   gets the admin's help text. These never reach an inbox.
2. An open conversation (an email texted this customer from this number within
   ``inbound.conversation_days``) sends the text to that email's author, threaded under it;
   the route's inboxes get a copy only if ``inbound.copy_conversations_to_route``.
3. Otherwise the routing table decides (``bridge/routing``); with no table, or a route with
   nobody to tell by email, the reply number's inbox. A text that has nowhere at all to go
   goes to ``mail.from_address``, so that nothing a customer sends is ever silently dropped.

Everything routing produces (emails, auto-replies, confirmations, forwards) is committed in
one transaction with the text's "routed" mark, so a crash routes it again from scratch and
never half-way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.clock import Clock
from bridge.config import Settings
from bridge.inbound.compliance import Keyword, auto_reply_allowed, keyword_of, replies_possible
from bridge.models import Conversation, InboundJob, InboundOutcome, NewMailJob, NewSmsJob
from bridge.outbound.inbound_mail import InboundEmailParts, display_number, inbound_email
from bridge.outbound.webhook import webhook_body
from bridge.parsing.numbers import mask
from bridge.parsing.sms_text import analyse
from bridge.store.base import InboundContext, Store

__all__ = ["InboundDispatcher", "Routed", "Router", "number_inbox_router"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Routed:
    """What the routing table said, in the terms the dispatcher needs."""

    route: str
    emails: tuple[str, ...] = ()
    owner: bool = True
    auto_reply: str | None = None
    forward_to: tuple[str, ...] = ()
    webhook: str | None = None
    timezone: str = "UTC"
    explanation: str = ""


Router = Callable[[InboundJob, datetime], Routed]


def number_inbox_router(settings: Settings) -> Router:
    """Routing with no table: the reply number's own inbox, in its own time zone."""

    def route(job: InboundJob, at: datetime) -> Routed:
        number = settings.reply_number(job.to_number)
        emails = number.inbox if number else ()
        zone = number.timezone if number else "UTC"
        return Routed(
            route="reply number inbox",
            emails=emails,
            timezone=zone,
            auto_reply=number.auto_reply if number else None,
            explanation="no routing table: the reply number's inbox",
        )

    return route


class InboundDispatcher:
    """The ``handle`` of the inbound ``JobRunner``."""

    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        router: Router,
        clock: Clock,
        queued: Callable[[], None],
    ) -> None:
        self._store = store
        self._settings = settings
        self._inbound = settings.inbound
        self._router = router
        self._clock = clock
        self._queued = queued

    async def handle(self, job: InboundJob) -> None:
        now = self._clock()
        context = await self._store.inbound_context(
            customer=job.from_number, reply_number=job.to_number
        )
        outcome = self._decide(job, context, now)
        await self._store.inbound_routed(job, outcome, now=now)
        log.info("inbound %s from %s routed: %s", job.id, mask(job.from_number), outcome.route)
        self._queued()

    def _decide(self, job: InboundJob, context: InboundContext, now: datetime) -> InboundOutcome:
        keyword = keyword_of(
            job.text, self._inbound, opted_out=context.suppressed_since is not None
        )
        if keyword is Keyword.STOP:
            confirm = context.suppressed_since is None
            return self._compliance(job, "opt-out (STOP)", self._inbound.stop_reply, True, confirm)
        if keyword is Keyword.START:
            return self._compliance(job, "opt-in (START)", self._inbound.start_reply, False, True)
        if keyword is Keyword.HELP and self._may_auto_reply(job, context, now):
            return self._compliance(job, "help", self._inbound.help_reply, None, True)
        return self._route(job, context, now)

    def _compliance(
        self, job: InboundJob, route: str, reply: str, suppress: bool | None, confirm: bool
    ) -> InboundOutcome:
        texts = (
            (self._text(job, reply, "reply", route=route),)
            if confirm and replies_possible(job.from_number)
            else ()
        )
        return InboundOutcome(
            route=route,
            explanation=f"keyword: {route}",
            texts=texts,
            suppress=suppress,
            auto_replied=bool(texts),
        )

    def _route(self, job: InboundJob, context: InboundContext, now: datetime) -> InboundOutcome:
        routed = self._router(job, now)
        conversation = self._open(context.conversation, now)
        recipients = self._recipients(job, routed, conversation)
        mail = self._email(job, recipients, routed.timezone, conversation)
        texts = [
            self._text(
                job,
                f"Text from {display_number(job.from_number)}: {job.text}",
                f"forward|{n}",
                to=n,
                route=routed.route,
            )
            for n in routed.forward_to
        ]
        auto = routed.auto_reply is not None and self._may_auto_reply(job, context, now)
        if auto and routed.auto_reply is not None:
            texts.append(self._text(job, routed.auto_reply, "auto-reply", route=routed.route))
        mails = (mail, self._webhook(job, routed)) if routed.webhook else (mail,)
        return InboundOutcome(
            route=routed.route,
            explanation=routed.explanation,
            mails=mails,
            texts=tuple(texts),
            auto_replied=auto,
        )

    def _webhook(self, job: InboundJob, routed: Routed) -> NewMailJob:
        body = webhook_body(
            inbound_id=job.id,
            provider=job.provider,
            provider_message_id=job.provider_message_id,
            sender=job.from_number,
            to=job.to_number,
            text=job.text,
            received_at=job.received_at,
            route=routed.route,
        )
        return NewMailJob(
            envelope_from="", recipients=(routed.webhook or "",), content=body, kind="webhook"
        )

    def _open(self, conversation: Conversation | None, now: datetime) -> Conversation | None:
        if conversation is None:
            return None
        expiry = conversation.last_at + timedelta(days=self._inbound.conversation_days)
        return conversation if now <= expiry else None

    def _recipients(
        self, job: InboundJob, routed: Routed, conversation: Conversation | None
    ) -> tuple[str, ...]:
        people: list[str] = []
        if conversation is not None and routed.owner:
            people.append(conversation.author)
        if conversation is None or self._inbound.copy_conversations_to_route or not people:
            people += routed.emails
        number = self._settings.reply_number(job.to_number)
        fallback = (number.inbox if number else ()) or (self._settings.mail.from_address,)
        return tuple(dict.fromkeys(people)) or fallback

    def _may_auto_reply(self, job: InboundJob, context: InboundContext, now: datetime) -> bool:
        return auto_reply_allowed(
            job.from_number, last=context.last_auto_reply, now=now, settings=self._inbound
        )

    def _email(
        self,
        job: InboundJob,
        recipients: tuple[str, ...],
        zone: str,
        conversation: Conversation | None,
    ) -> NewMailJob:
        content = inbound_email(
            InboundEmailParts(
                inbound_id=job.id,
                customer=job.from_number,
                reply_number=job.to_number,
                text=job.text,
                received_at=job.received_at,
                timezone=zone,
                recipients=recipients,
                sms_domain=self._settings.smtp.domains[0],
                hostname=self._settings.smtp.hostname,
                conversation=conversation,
            )
        )
        return NewMailJob(
            envelope_from=self._settings.mail.from_address,
            recipients=recipients,
            content=content,
            kind="inbound",
        )

    def _text(
        self, job: InboundJob, text: str, purpose: str, *, route: str, to: str | None = None
    ) -> NewSmsJob:
        analysis = analyse(text)
        return NewSmsJob(
            idempotency_key=f"{job.id}|{purpose}",
            message_id=f"<{job.id}@inbound>",
            author="",
            subject="",
            to_number=to or job.from_number,
            sender=job.to_number,
            text=text,
            encoding=analysis.encoding,
            segments=analysis.segments,
            route=route,
        )
