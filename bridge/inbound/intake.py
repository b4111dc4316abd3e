"""One intake for every email edge: what an email becomes, decided by the chain, made durable.

The SMTP listener and the IMAP mailbox watcher hand over an ``InboundEmail``; the intake
parses it, refuses mail that no person wrote (bounces, auto-replies), takes its text, and
passes one request per recipient through the outbound chain (``bridge.chain``). What the chain
accepts is stored, one job per recipient, in one transaction; the edge answers its peer only
after that. A recipient the chain refuses at this point (the listener already asked the chain
at RCPT TO, so for SMTP this happens only if a customer opted out in between) is reported to
the author by a notice; if every recipient is refused, the email is, with the first reason.

An email without a Message-ID (cron, ``swaks --data``, scripts) is known by a digest of its
content. A mail server retrying after a lost reply sends the same bytes again within minutes,
and that must not text anyone twice; the same alert sent again tomorrow must be texted again.
So such an email merges with a stored one only within ``smtp.dedupe_minutes``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.errors import (
    MessageDefect,
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import EmailMessage
from email.parser import BytesParser

from bridge.chain.gate import Gate, job
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.verdicts import Decision
from bridge.clock import Clock
from bridge.errors import Refused
from bridge.inbound.schedule import Scheduled, SchedulePolicy
from bridge.inbound.templating import TemplateUse, Templating
from bridge.mail.notices import attachments_notice, mailbox_notice, truncation_notice
from bridge.mail.transport import NoticeSettings
from bridge.media.outbound import MmsPolicy, plan_pictures
from bridge.models import (
    ConversationChange,
    MediaFile,
    NewBatch,
    NewMailJob,
    NewSmsJob,
    Queued,
)
from bridge.parsing.attachments import attachment_names
from bridge.parsing.automatic import automatic_kind
from bridge.parsing.commands import Commands, split_commands
from bridge.parsing.headers import header_text, message_id
from bridge.parsing.message import TextOptions, extract_text
from bridge.parsing.numbers import display_number, is_e164, mask
from bridge.parsing.slimming import KEPT, slim
from bridge.parsing.tags import subject_tags
from bridge.parsing.thread import thread_of
from bridge.settings.text import TextSettings
from bridge.store.base import Store

__all__ = ["Accepted", "EmailIntake", "InboundEmail", "parse_message"]

log = logging.getLogger(__name__)
_BROKEN_MIME = (
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
    MultipartInvariantViolationDefect,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEmail:
    """An email as an edge received it; ``recipients`` are already-validated E.164 numbers.

    ``envelope`` holds the chain's envelope-stage decision per number when the edge already
    asked (SMTP, at RCPT TO); the intake asks for the others.
    """

    envelope_from: str
    recipients: tuple[str, ...]
    content: bytes  # as ``slim`` keeps it (the SMTP listener reads it so as it arrives)
    authenticated_as: str | None = None
    source: Source = Source.EMAIL
    envelope: Mapping[str, Decision] = field(default_factory=dict)
    via: Mapping[str, str] = field(default_factory=dict)  # the reply number an address named
    domains: Mapping[str, str] = field(default_factory=dict)  # the domain each was sent to
    kept: int = KEPT  # base64 bytes kept of each run of ``content`` (``bridge.parsing.slimming``)


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of an email: the jobs stored, the recipients the chain refused, and the
    attachments left behind (the author has a notice naming them)."""

    queued: list[Queued]
    refused: list[tuple[str, str]]  # (number, the sentence)
    attachments: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # what the email's commands did to conversations, in words
    deferred: tuple[str, ...] = ()  # until when texts wait, in words (quiet hours, caps)
    scheduled: str = ""  # "scheduled for Tue 3 Dec 09:00 Europe/London", when the author asked

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.queued]

    @property
    def all_merged(self) -> bool:
        """Every job was already stored: this email was received before."""
        return bool(self.queued) and all(q.merged for q in self.queued)


class EmailIntake:
    """Parse, decide and queue an email."""

    def __init__(
        self,
        *,
        store: Store,
        gate: Gate,
        text: TextSettings,
        notices: NoticeSettings,
        clock: Clock,
        queued: Callable[[], None],
        dedupe_seconds: float = 600.0,
        mms: MmsPolicy | None = None,  # None: every attachment is left behind
        schedule: SchedulePolicy | None = None,  # None: send-at times are not read
        templates: Templating | None = None,  # None: [template …] and /canned are not read
    ) -> None:
        self._templates = templates
        self._mms = mms
        self._schedule = schedule
        self._store = store
        self._gate = gate
        self._notices = notices
        self._clock = clock
        self._queued = queued
        self._dedupe = dedupe_seconds
        self._options = TextOptions(
            subject=text.subject,
            end_marker=text.end_marker,
            disclaimer_patterns=text.disclaimer_patterns,
        )

    async def accept(self, email: InboundEmail) -> Accepted:
        """Store one job per accepted recipient, or raise ``Refused`` if none is."""
        content = email.content
        msg = _parsed(content)
        author = (email.authenticated_as or email.envelope_from).lower()
        commands, body = split_commands(self._body(msg))
        message_id, digest = _message_id(msg, content)
        tags, subject = subject_tags(header_text(msg, "Subject"))
        use, subject = self._template(subject, commands, body)
        when = self._when(msg, subject, author)
        subject = when.subject if when is not None else subject
        if commands and not body and use is None:
            return await self._commands_only(email, author, commands, msg, message_id)
        texts = await self._filled(use, email.recipients, body)
        decisions = [
            (
                number,
                await self._decide(
                    email, author, number, texts[number], (subject, tags), msg, when
                ),
            )
            for number in email.recipients
        ]
        refused = [(n, d.refusal) for n, d in decisions if d.refusal is not None]
        if len(refused) == len(decisions) and refused:
            first = refused[0][1]
            raise Refused(first.code, first.status, first.reason)
        window = self._dedupe if digest else None
        jobs = [_job(d, message_id, window) for _, d in decisions if d.accepted]
        jobs, media, attachments, why = self._pictures(msg, jobs, email.kept)
        notices = self._notices_for(jobs, decisions, email.source, attachments, why)
        changes = [_change(d, commands, message_id) for _, d in decisions if d.accepted]
        if commands and not all(changes):  # a line for a conversation the text is not part of
            raise Refused(550, "5.6.0", _WHICH_CONVERSATION)
        kept = [c for c in changes if c]
        if when is not None and jobs:
            batch = self._batch(when, [d for _, d in decisions if d.accepted], message_id)
            queued = await self._store.enqueue_batch(
                batch, jobs, now=self._clock(), notices=notices, media=media, changes=kept
            )
        else:
            queued = await self._store.enqueue_sms(
                jobs, now=self._clock(), notices=notices, media=media, changes=kept
            )
        self._queued()
        log.info(
            "email %s queued as %s for %s",
            message_id,
            " ".join(q.id for q in queued),
            ", ".join(mask(n) for n in email.recipients),
        )
        done = tuple(_described(c) for c in changes if c)
        told = when.told if when is not None else ""
        waits = tuple(
            dict.fromkeys(
                d.deferred for _, d in decisions if d.accepted and d.deferred and d.deferred != told
            )
        )
        return Accepted(queued, [(n, r.reason) for n, r in refused], attachments, done, waits, told)

    def _template(
        self, subject: str, commands: Commands, body: str
    ) -> tuple[TemplateUse | None, str]:
        """The named template the email uses (``bridge.inbound.templating``), if the bridge
        reads them, and the subject without its tag."""
        if self._templates is None:
            return None, subject
        return self._templates.chosen(subject, commands, body)

    async def _filled(
        self, use: TemplateUse | None, numbers: tuple[str, ...], body: str
    ) -> dict[str, str]:
        """Each recipient's text: the template filled for them, else the body as written."""
        if use is None or self._templates is None:
            return dict.fromkeys(numbers, body)
        return await self._templates.texts(use, numbers)

    def _when(self, msg: EmailMessage, subject: str, author: str) -> Scheduled | None:
        """The send-at time the author asked for, if the bridge reads them."""
        if self._schedule is None:
            return None
        return self._schedule.read(msg, subject, author, self._clock())

    def _batch(self, when: Scheduled, accepted: list[Decision], message_id: str) -> NewBatch:
        assert self._schedule is not None
        return self._schedule.batch(
            when, accepted, message_id=message_id, notices=self._notices, now=self._clock()
        )

    async def _commands_only(
        self,
        email: InboundEmail,
        author: str,
        commands: Commands,
        msg: EmailMessage,
        message_id: str,
    ) -> Accepted:
        """An email of commands alone: change each recipient's conversation, text nobody.

        The conversation is the one a text would join: the envelope stage's sender (the
        number the address names, or the thread's), which must be one a customer can text."""
        changes = []
        for number in email.recipients:
            request = OutboundRequest(
                source=email.source,
                author=author,
                to_number=number,
                thread=thread_of(msg, via=email.via.get(number)),
            )
            decision = await self._gate.envelope(request, at=self._clock())
            change = _change(decision, commands, message_id)
            if change is None:
                raise Refused(550, "5.6.0", _WHICH_CONVERSATION)
            changes.append(change)
        await self._store.enqueue_sms([], now=self._clock(), changes=changes)
        log.info("email %s changed %d conversations", message_id, len(changes))
        return Accepted([], [], (), tuple(_described(c) for c in changes))

    def _pictures(
        self, msg: EmailMessage, jobs: list[NewSmsJob], kept: int
    ) -> tuple[list[NewSmsJob], list[MediaFile], tuple[str, ...], tuple[str, ...]]:
        """The jobs with the pictures that go as MMS, those pictures, the attachments left
        behind and why pictures among them were (``bridge.media.outbound``)."""
        plan = None
        if self._mms is not None and jobs:
            plan = plan_pictures(msg, jobs, self._mms, kept=kept, now=self._clock())
        if plan is None:
            return jobs, [], attachment_names(msg), ()
        return plan.jobs, plan.files, plan.left, plan.reasons

    async def _decide(
        self,
        email: InboundEmail,
        author: str,
        number: str,
        body: str,
        titled: tuple[str, frozenset[str]],  # the subject, and the tags taken out of it
        msg: EmailMessage,
        when: Scheduled | None = None,
    ) -> Decision:
        subject, tags = titled
        request = OutboundRequest(
            source=email.source,
            author=author,
            to_number=number,
            text=body,
            subject=subject,
            thread=thread_of(msg, via=email.via.get(number)),
            tags=tags,
            domain=email.domains.get(number, ""),
            send_at=when.at if when is not None else None,
            send_zone=when.zone if when is not None else "",
        )
        envelope = email.envelope.get(number)
        return await self._gate.decide(request, at=self._clock(), envelope=envelope)

    def _body(self, msg: EmailMessage) -> str:
        kind = automatic_kind(msg)
        if kind is not None:
            raise Refused(550, "5.7.1", f"This is {kind}; such mail is never sent as a text.")
        return extract_text(msg, options=self._options)

    def _notices_for(
        self,
        jobs: list[NewSmsJob],
        decisions: list[tuple[str, Decision]],
        source: Source,
        attachments: tuple[str, ...],
        why: tuple[str, ...] = (),
    ) -> list[NewMailJob]:
        """The author's notices: a text cut to fit, attachments left behind, and (from SMTP;
        the mailbox watcher writes its own, with its other problems) the recipients refused."""
        notices = []
        if jobs and jobs[0].author:
            notices += self._truncation_notice(jobs[0], decisions)
            notices += self._attachments_notice(jobs[0], attachments, why)
            if source is Source.EMAIL:
                notices += self._refusal_notice(jobs, decisions)
        return notices

    def _attachments_notice(
        self, first: NewSmsJob, names: tuple[str, ...], why: tuple[str, ...]
    ) -> list[NewMailJob]:
        if not names:
            return []
        content = attachments_notice(
            first,
            names=names,
            pictures=why,
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        return [NewMailJob(envelope_from="", recipients=(first.author,), content=content)]

    def _truncation_notice(
        self, first: NewSmsJob, decisions: list[tuple[str, Decision]]
    ) -> list[NewMailJob]:
        cut = next((d.request.truncated_from for _, d in decisions if d.accepted), None)
        if cut is None:
            return []
        content = truncation_notice(
            first,
            original_length=cut,
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        return [NewMailJob(envelope_from="", recipients=(first.author,), content=content)]

    def _refusal_notice(
        self, jobs: list[NewSmsJob], decisions: list[tuple[str, Decision]]
    ) -> list[NewMailJob]:
        problems = [d.refusal.reason for _, d in decisions if d.refusal is not None]
        if not problems:
            return []
        content = mailbox_notice(
            author=jobs[0].author,
            subject=jobs[0].subject,
            message_id=jobs[0].message_id,
            problems=problems,
            sent=len(jobs),
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        return [NewMailJob(envelope_from="", recipients=(jobs[0].author,), content=content)]


_WHICH_CONVERSATION = (
    "This email's commands do not say which conversation they are for: reply to the email of"
    " the customer's text, or write to the address it came from."
)


def _change(decision: Decision, commands: Commands, message_id: str) -> ConversationChange | None:
    """The change ``commands`` make to the conversation ``decision``'s text is part of."""
    sender = decision.request.sender or ""
    if not commands or not is_e164(sender):
        return None
    return ConversationChange(
        customer_number=decision.request.to_number,
        reply_number=sender,
        owner=commands.owner,
        close=commands.close,
        message_id=message_id,
        subject=decision.request.subject,
    )


def _described(change: ConversationChange) -> str:
    customer = display_number(change.customer_number)
    if change.close:
        return f"conversation with {customer} closed"
    return f"conversation with {customer} handed over to {change.owner}"


def _job(decision: Decision, message_id: str, window: float | None) -> NewSmsJob:
    key = f"{message_id}|{decision.request.to_number}"
    return job(decision, idempotency_key=key, message_id=message_id, merge_window=window)


def parse_message(content: bytes) -> EmailMessage:
    """Parse with the modern policy, long base64 bodies cut (``slim``); refuse MIME so broken
    that its parts cannot be found."""
    return _parsed(slim(content))


def _parsed(content: bytes) -> EmailMessage:
    """``parse_message`` of content already slimmed."""
    msg = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        broken = [d for d in part.defects if isinstance(d, _BROKEN_MIME)]
        if broken:
            raise Refused(
                554, "5.6.0", f"The email's MIME structure is broken: {_describe(broken[0])}"
            )
    return msg


def _describe(defect: MessageDefect) -> str:
    if isinstance(defect, NoBoundaryInMultipartDefect):
        return "it says it has several parts but gives no boundary between them."
    if isinstance(defect, StartBoundaryNotFoundDefect):
        return "the boundary it declares never appears in the message."
    return "its parts do not match its declared structure."


def _message_id(msg: EmailMessage, content: bytes) -> tuple[str, bool]:
    """The Message-ID (made storable), or a digest of the content (and True: it is a digest),
    so that a redelivery has the same key either way."""
    written = message_id(msg)
    if written is not None:
        return written, False
    digest = hashlib.sha256(content).hexdigest()[:32]
    return f"<sha256-{digest}@smsbridge.invalid>", True
