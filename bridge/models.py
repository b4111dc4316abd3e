"""Frozen records that flow between the edges, the store and the workers.

They carry data only; every decision about them is made in ``inbound/intake.py`` (what to
queue), the store (what is durable) and the workers (what to deliver).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "ORGANISATION",
    "ApiAnswer",
    "ApiToken",
    "BulkSend",
    "Cancelled",
    "Click",
    "ConsentEvent",
    "Contact",
    "Conversation",
    "ConversationChange",
    "DeliveryReport",
    "FlowState",
    "FlowUpdate",
    "InboundContext",
    "InboundJob",
    "InboundOutcome",
    "InboundPart",
    "InboundRecord",
    "InboundSms",
    "JobState",
    "LinkClicks",
    "MailJob",
    "MediaFile",
    "MediaRef",
    "NewBatch",
    "NewBulkSend",
    "NewMailJob",
    "NewNumbers",
    "NewSmsJob",
    "OutboundSms",
    "Queued",
    "Recipient",
    "RuleHit",
    "SendResult",
    "SentWindow",
    "ShortLink",
    "SmsJob",
    "Spent",
    "Suppression",
    "ThreadEntry",
    "ThreadNumbers",
]


ORGANISATION = "*"  # the scope of an opt-out or opt-in that covers every sender of the bridge


@dataclass(frozen=True, slots=True)
class Suppression:
    """A customer's opt-out: the number they texted STOP to (``ORGANISATION`` for one that
    came from an import or an admin, which covers every sender), and since when."""

    reply_number: str
    since: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentEvent:
    """One entry of the consent ledger: a customer opted in or out, how, on what evidence.

    ``scope`` is ``ORGANISATION`` or the reply number; ``how`` one of ``keyword``, ``double
    opt-in``, ``import``, ``staff`` (on the customer's written request), ``admin``;
    ``evidence`` the inbound text's id or the file's name; ``by`` an address or
    ``customer``; ``campaign`` the opt-in campaign's keyword, if one started it.
    """

    customer: str
    action: str  # "opt-in" or "opt-out"
    scope: str
    at: datetime
    how: str
    evidence: str = ""
    by: str = "customer"
    reason: str = ""
    campaign: str = ""
    id: str = ""  # given by the store


class JobState(enum.StrEnum):
    """Where an SMS job is. ``sent`` means the provider accepted it; the rest come from reports."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # by its author or an admin before any provider had it
    HELD = "held"  # a bulk send's text waiting for its author's SEND; no worker claims it


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule of the outbound chain that acted on a text: what it did and why.

    ``action`` is ``rewrite``, ``defer`` or ``refuse`` (a rule that accepted unchanged is not
    recorded with the job; ``smsbridge outbound explain`` shows those too, as ``accept``).
    """

    rule: str
    action: str
    detail: str


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A picture (or other media) a provider holds for an inbound text: where, and what type
    the provider says it is. The bridge fetches it when it writes the email."""

    url: str
    content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaFile:
    """A picture the bridge serves to a provider for an MMS, at ``/media/<token>`` until
    ``expires_at``; ``token`` is unguessable (``secrets.token_urlsafe(32)``)."""

    token: str
    content_type: str
    content: bytes
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewSmsJob:
    """One text to one number, as decided from one email; not yet stored."""

    idempotency_key: str
    message_id: str
    author: str
    subject: str
    to_number: str
    sender: str
    text: str
    encoding: str
    segments: int
    route: str = ""  # the inbound route whose decision made this text, if one did
    chain: tuple[RuleHit, ...] = ()  # what the outbound chain did to it
    not_before: datetime | None = None  # a rule deferred it until then
    # Merge with a stored job of the same key only if that one is younger than this many
    # seconds; None: always (the key holds a Message-ID, which names one email for good).
    merge_window: float | None = None
    media: tuple[str, ...] = ()  # tokens of the pictures sent with it as MMS (media_files)
    category: str = "transactional"  # or marketing (bridge.chain.category)
    links: tuple[ShortLink, ...] = ()  # the short links in its text (rule ``short-links``)


@dataclass(frozen=True, slots=True)
class Spent:
    """The segments one author sent to one country this month and today (a spend cap's
    period), texts that failed for good not counted; of those, the segments whose price a
    provider reported (``*_priced``) and what they cost (``*_cost``, in compliance.currency)."""

    author: str
    country: str  # ISO code of the recipients' country; "" when unknown
    month: int
    day: int
    month_priced: int = 0
    month_cost: float = 0.0
    day_priced: int = 0
    day_cost: float = 0.0


@dataclass(frozen=True, slots=True)
class SentWindow:
    """A span a frequency cap counts a recipient's texts in (``start <= at < end``; no end:
    texts deferred past now count too), and the count at which the cap is reached."""

    start: datetime
    end: datetime | None
    enough: int


@dataclass(frozen=True, slots=True)
class Recipient:
    """What the outbound chain's content stage reads about one recipient, read together: the
    address book's entry, their recent texts of the category, the author's team's spend.

    ``counts`` are the texts in each window asked about, counted by the store up to the
    window's ``enough`` (None: no window was asked about). ``sent`` holds every recent text's
    time only when a count reached its ``enough``: a cap that is reached needs the times to
    say when there is room; one that is not needs only the count, so a recipient texted
    thousands of times costs one count, not thousands of rows."""

    contact: Contact | None = None
    sent: tuple[datetime, ...] = ()
    spent: tuple[Spent, ...] = ()
    counts: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """What storing one ``NewSmsJob`` gave: its id, and whether it was already stored."""

    id: str
    merged: bool = False


@dataclass(frozen=True, slots=True)
class SmsJob:
    """A stored SMS job as a worker or ``smsbridge outbox`` sees it."""

    id: str
    idempotency_key: str
    message_id: str
    author: str
    subject: str
    to_number: str
    sender: str
    text: str
    encoding: str
    segments: int
    state: JobState
    attempts: int
    created_at: datetime
    updated_at: datetime
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    error_code: str | None = None
    # Claimed again after a claim that never finished: the provider may already have it.
    in_doubt: bool = False
    # The provider whose answer to an earlier attempt never came: it may have the text.
    maybe_sent_via: str | None = None
    price: str | None = None
    route: str = ""
    chain: tuple[RuleHit, ...] = ()
    media: tuple[str, ...] = ()  # tokens of the pictures to send with it as MMS
    category: str = "transactional"
    next_attempt_at: datetime | None = None  # when the worker may next send it (a deferral)


@dataclass(frozen=True, slots=True)
class OutboundSms:
    """What a provider needs to send one text; ``job_id`` lets it tag the message for reports.

    ``queued_at`` bounds a provider's search for an earlier, interrupted send of the same job.
    """

    job_id: str
    to: str
    sender: str
    text: str
    encoding: str = "gsm7"
    queued_at: datetime | None = None
    media_urls: tuple[str, ...] = ()  # public URLs of pictures to send with it (MMS)


@dataclass(frozen=True, slots=True)
class SendResult:
    """A provider's answer to an accepted send."""

    provider_message_id: str
    price: str | None = None


@dataclass(frozen=True, slots=True)
class NewMailJob:
    """An email the bridge itself must send (a failure notice, later an inbound text)."""

    envelope_from: str
    recipients: tuple[str, ...]
    content: bytes
    kind: str = "notice"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewBatch:
    """Texts of one email that wait for a later time, about to be stored: the token of its
    control address (``secrets.token_hex(16)``), who may act on it, until when, and the
    confirmation email to its author (bridge.inbound.control)."""

    token: str
    author: str
    kind: str  # "scheduled", or "bulk" (a bulk send by attachment)
    message_id: str
    subject: str
    zone: str  # the author's, in which their times are shown
    expires_at: datetime
    confirmation: NewMailJob


@dataclass(frozen=True, slots=True, kw_only=True)
class NewBulkSend:
    """An email to the bulk address, about to be stored whole before its 250: the batch's
    token (its control address), who wrote it, the attached file and the template."""

    token: str
    author: str
    message_id: str
    subject: str
    zone: str
    expires_at: datetime
    filename: str
    file: bytes
    template: str
    domain: str  # the bulk address's domain: the control address's too
    at_once: bool  # the author's sender rule sends without a preview


@dataclass(frozen=True, slots=True, kw_only=True)
class BulkSend:
    """A stored bulk send, as the bulk worker takes it (``NewBulkSend`` with its batch id)."""

    batch_id: str
    token: str
    author: str
    message_id: str
    subject: str
    zone: str
    filename: str
    file: bytes
    template: str
    domain: str
    at_once: bool
    attempts: int = 1  # how many times a worker has taken it (this time included)


@dataclass(frozen=True, slots=True)
class Cancelled:
    """What cancelling a batch did: its texts cancelled now, cancelled before, already gone
    (with a provider, or sent) and over otherwise (failed)."""

    now: int
    before: int
    gone: int
    other: int = 0


@dataclass(frozen=True, slots=True)
class MailJob:
    """A stored outgoing email, claimed by the mail worker."""

    id: str
    envelope_from: str
    recipients: tuple[str, ...]
    content: bytes
    kind: str
    attempts: int
    created_at: datetime
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundSms:
    """A text a customer sent to one of the bridge's reply numbers, as a provider reported it.

    ``provider`` and ``provider_message_id`` together identify it: the same pair arriving again
    (a webhook retried, or seen by both the webhook and the poller) is the same text.
    """

    provider: str
    provider_message_id: str
    from_number: str
    to_number: str
    text: str
    received_at: datetime
    media: tuple[MediaRef, ...] = ()  # pictures sent with it (MMS), still at the provider


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryReport:
    """A provider's word on a text it took: delivered, or never will be.

    ``status`` is already the bridge's word (``JobState``'s values); ``opted_out`` says the
    provider refused because the customer opted out with the provider itself (Twilio's
    21610), so the bridge records the opt-out too.
    """

    provider: str
    provider_message_id: str
    status: str
    error_code: str | None = None
    reason: str | None = None
    price: str | None = None  # what the provider charged, when the report says
    job_id: str | None = None  # our reference, for providers that echo it (Vonage client-ref)
    opted_out: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundJob:
    """A stored inbound text waiting to be routed, as the inbound worker claims it."""

    id: str
    provider: str
    provider_message_id: str
    from_number: str
    to_number: str
    text: str
    received_at: datetime
    attempts: int
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A customer in the address book, keyed by their number (E.164).

    Built through ``bridge.parsing.contacts.make_contact``, which validates every field; the
    store keeps what it is given. ``tags`` are lower-case, without commas, sorted and unique;
    ``timezone`` an IANA name and ``language`` a BCP 47 tag, or empty when unknown.
    """

    number: str
    name: str = ""
    email: str = ""
    tags: tuple[str, ...] = ()
    timezone: str = ""
    language: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    """A customer and one of the bridge's numbers: who owns it (``author``: whoever texted the
    customer last from the number, or took it over), the email that texted them last, and
    when it was last active either way. It lives ``conversation_days`` from ``active_at``,
    or until closed."""

    customer_number: str
    reply_number: str
    author: str
    message_id: str
    subject: str
    last_text: str
    last_at: datetime
    id: str = ""
    active_at: datetime | None = None
    closed_at: datetime | None = None

    def live_at(self, at: datetime, days: float) -> bool:
        active = self.active_at or self.last_at
        return self.closed_at is None and at <= active + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class ConversationChange:
    """What a member of staff asked of a conversation with a line in an email
    (``bridge.parsing.commands``): hand it over to ``owner``, or close it."""

    customer_number: str
    reply_number: str
    owner: str | None = None  # hand over to this address
    close: bool = False
    message_id: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadEntry:
    """One text of a conversation, either way, for the thread view."""

    at: datetime
    inbound: bool  # from the customer
    text: str
    author: str = ""  # the member of staff, for a text to the customer
    state: str = ""


@dataclass(frozen=True, slots=True)
class NewNumbers:
    """How new a number is to an author, for the velocity guard: ``new`` when they first
    texted it within the window (or never have), at ``first_at``; ``earlier`` how many other
    numbers they first texted within the window before it."""

    new: bool
    earlier: int = 0
    first_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ThreadNumbers:
    """The bridge's numbers a conversation with a customer is on.

    ``answered`` is the reply number of the newest email an email's References name (a
    customer's text emailed by the bridge, or an email that texted them); ``live`` every
    reply number the customer texted, or was texted from, within ``conversation_days``.
    """

    answered: str | None = None
    live: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundContext:
    """What deciding on an inbound text needs to know from the past, read in one go."""

    conversation: Conversation | None
    suppressed_since: datetime | None  # STOP to this number (or the organisation's list)
    last_auto_reply: datetime | None
    history: tuple[ThreadEntry, ...] = ()  # the conversation's latest texts, newest last
    contact: Contact | None = None  # the customer in the address book
    opted_out_anywhere: datetime | None = None  # the latest STOP to any of the bridge's numbers
    pending_campaign: str = ""  # the campaign whose YES this customer was asked for (JOIN)
    pending_since: datetime | None = None  # when they were asked
    flow: FlowState | None = None  # the customer's dialogue with this number (bridge.flows)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundOutcome:
    """Everything routing one inbound text produced, committed together with its 'routed' mark.

    ``suppress`` is True to add the customer to the reply number's suppression list (STOP),
    False to remove them (START), None to leave the list alone.
    """

    route: str
    explanation: str
    mails: tuple[NewMailJob, ...] = ()
    texts: tuple[NewSmsJob, ...] = ()
    suppress: bool | None = None
    auto_replied: bool = False
    mailed_to: tuple[str, ...] = ()  # who the email of the text went to
    in_conversation: bool = False  # it came within a live conversation, which it keeps alive
    suppress_scope: str = ""  # START takes off this number ("") or every number (ORGANISATION)
    consent: tuple[ConsentEvent, ...] = ()  # recorded in the same transaction
    pending_campaign: str | None = None  # a campaign awaiting YES ("" to forget one)
    flow: FlowUpdate | None = None  # the dialogue's next state, saved in the same transaction


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRecord:
    """A stored inbound text with how it was routed, for ``smsbridge inbox`` and the admin page."""

    id: str
    from_number: str
    to_number: str
    text: str
    received_at: datetime
    state: str
    route: str | None
    explanation: str | None
    mailed_to: tuple[str, ...] = ()  # who was actually emailed the text


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundPart:
    """One part of a long text that the provider delivers in pieces (Vonage's ``concat``).

    The parts of one text share ``concat_ref`` (per sender) and ``total``; ``part`` counts from 1.
    """

    provider: str
    provider_message_id: str
    from_number: str
    to_number: str
    text: str
    received_at: datetime
    concat_ref: str
    part: int
    total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowState:
    """Where a customer is in a flow (``[[flows]]``) with one reply number: the step waiting
    for their answer, the answers so far, wrong answers at this step, and whether a person
    has it (``handed over``: the flow is silent until they close the conversation)."""

    flow: str
    step: str
    status: str = "active"  # or "handed over"
    answers: tuple[tuple[str, str], ...] = ()
    failures: int = 0
    updated_at: datetime
    version: int = 0  # counts saves: a save from an older state is refused


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowUpdate:
    """A flow's new state (None: it ended), saved only over the ``expected`` version (None:
    no state was stored), so two texts decided on the same state cannot both advance it."""

    state: FlowState | None
    expected: int | None
    keep: bool = False  # no change, but decided on version ``expected``: check it still is


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A system allowed to send texts over HTTP (``smsbridge api-tokens``); never its token."""

    name: str
    author: str  # whose texts they count as; "" for none
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """What the HTTP send endpoint answered to one Idempotency-Key: its status and JSON body,
    kept so that the same key gets the same answer (``replayed``) and nothing twice."""

    status: int
    body: str
    fingerprint: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class ShortLink:
    """A short link in one text: ``code`` redirects to ``target`` until ``expires_at``
    (None: for good); ``position`` is its place among the text's links, from 0."""

    code: str
    target: str
    position: int = 0
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Click:
    """One request for a short link: ``counted`` when a person clicked it, else ``why`` not
    (a HEAD request, a link-preview agent or scanner, by name)."""

    code: str
    at: datetime
    counted: bool
    why: str = ""


@dataclass(frozen=True, slots=True)
class LinkClicks:
    """What one text's short links were asked for: clicks by people, and requests by
    previews and scanners (not counted)."""

    links: int
    clicks: int
    not_counted: int
    first_click: datetime | None = None
