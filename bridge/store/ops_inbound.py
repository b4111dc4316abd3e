"""The store's inbound operations, once for both backends: inbound texts and their parts,
conversations, suppressions, auto-replies. An inbound text is marked routed in the same
transaction that stores the emails and texts its routing produced. The SQL is named in
``bridge/store/queries/inbound.sql``."""

from __future__ import annotations

import json
import re

from bridge.models import (
    ConversationChange,
    InboundJob,
    InboundOutcome,
    InboundPart,
    InboundSms,
    ThreadEntry,
    ThreadNumbers,
)
from bridge.parsing.numbers import is_e164
from bridge.store import ops_consent, ops_contacts, ops_flows
from bridge.store.base import InboundContext
from bridge.store.ids import new_id
from bridge.store.queries import Q
from bridge.store.rows import conversation_row, dt, thread_row
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "as_received",
    "change_conversation",
    "context",
    "insert_inbound",
    "insert_part",
    "mark_routed",
    "record_conversation",
    "set_suppressed",
    "thread",
    "thread_numbers",
]

_INBOUND_ID = re.compile(r"<(i[A-Za-z0-9]+)@")  # the Message-ID of a customer's text's email


def insert_inbound(
    sms: InboundSms, now: float, *, inbound_id: str | None = None
) -> Op[tuple[str, bool]]:
    """Store the text unless the provider's id is known; return its id and whether it is new.
    ``inbound_id``: the id chosen already (by a caller that routed the text before storing
    it); a new one otherwise."""
    inbound_id = inbound_id or new_id("i")
    added = yield count(
        Q.insert_inbound,
        inbound_id,
        sms.provider,
        sms.provider_message_id,
        sms.from_number,
        sms.to_number,
        sms.text,
        sms.received_at.timestamp(),
        json.dumps([[ref.url, ref.content_type] for ref in sms.media]),
        now,
        now,
        now,
    )
    if added:
        return inbound_id, True
    row = yield one_row(
        Q.inbound_id,
        sms.provider,
        sms.provider_message_id,
    )
    return str(row["id"]), False


def as_received(job: InboundJob) -> InboundSms:
    """The text as its webhook gave it, from a job made of it before it was stored."""
    return InboundSms(
        provider=job.provider,
        provider_message_id=job.provider_message_id,
        from_number=job.from_number,
        to_number=job.to_number,
        text=job.text,
        received_at=job.received_at,
        media=job.media,
    )


def insert_part(part: InboundPart, now: float) -> Op[tuple[str, bool] | None]:
    """Keep one part of a long text; once all are here, store the whole text.

    Returns what ``insert_inbound`` returns for the whole text, or None while parts are
    missing. The whole text takes the first part's message id, so it is the same whichever
    part arrives last, and a part the provider sends again is ignored by its own id.
    """
    yield count(
        Q.insert_part,
        part.provider,
        part.provider_message_id,
        part.from_number,
        part.to_number,
        part.concat_ref,
        part.part,
        part.total,
        part.text,
        part.received_at.timestamp(),
    )
    rows = yield all_rows(
        Q.waiting_parts,
        part.provider,
        part.from_number,
        part.to_number,
        part.concat_ref,
        part.total,
    )
    pieces = {row["part"]: row for row in rows}  # a later part of the same number wins
    if set(pieces) != set(range(1, part.total + 1)):
        return None
    ordered = [pieces[n] for n in sorted(pieces)]
    for row in ordered:
        yield count(
            Q.part_assembled,
            part.provider,
            row["provider_message_id"],
        )
    received = dt(ordered[-1]["received_at"])
    assert received is not None
    whole = InboundSms(
        provider=part.provider,
        provider_message_id=ordered[0]["provider_message_id"],
        from_number=part.from_number,
        to_number=part.to_number,
        text="".join(row["body"] for row in ordered),
        received_at=received,
    )
    return (yield from insert_inbound(whole, now))


def record_conversation(
    *,
    customer: str,
    reply_number: str,
    author: str,
    message_id: str,
    subject: str,
    text: str,
    now: float,
) -> Op[None]:
    """The latest email to text this customer from this number owns the conversation."""
    yield count(
        Q.record_conversation,
        customer,
        reply_number,
        author,
        message_id,
        subject,
        text,
        now,
        new_id("c"),
        now,
    )


def change_conversation(change: ConversationChange, now: float) -> Op[None]:
    """Hand a conversation over, or close it, as a member of staff asked."""
    if change.owner is not None:
        yield count(
            Q.hand_over,
            change.customer_number,
            change.reply_number,
            change.owner,
            change.message_id,
            change.subject,
            now,
            new_id("c"),
            now,
        )
    if change.close:
        yield count(Q.close_conversation, now, change.customer_number, change.reply_number)


def context(
    customer: str, reply_number: str, history_since: float = 0.0, history: int = 0
) -> Op[InboundContext]:
    """What deciding on a text needs; with ``history``, the conversation's latest texts."""
    row = yield one_row(
        Q.conversation,
        customer,
        reply_number,
    )
    here = yield from ops_consent.suppression(customer, reply_number)
    anywhere = yield from ops_consent.suppression(customer, None)
    pending = yield one_row(Q.pending_campaign, customer, reply_number)
    auto = yield one_row(
        Q.last_auto_reply,
        customer,
        reply_number,
    )
    entries = (yield from thread(customer, reply_number, history_since, history)) if history else []
    known = yield from ops_contacts.contact(customer)
    flow = yield from ops_flows.state(customer, reply_number)
    return InboundContext(
        conversation=conversation_row(row) if row else None,
        suppressed_since=here.since if here else None,
        last_auto_reply=dt(auto["last_at"]) if auto else None,
        history=tuple(entries),
        contact=known,
        opted_out_anywhere=anywhere.since if anywhere else None,
        pending_campaign=str(pending["campaign"]) if pending else "",
        pending_since=dt(pending["asked_at"]) if pending else None,
        flow=flow,
    )


def thread(customer: str, reply_number: str, since: float, limit: int) -> Op[list[ThreadEntry]]:
    """The latest ``limit`` texts between ``customer`` and ``reply_number`` since ``since``,
    both ways, oldest first."""
    came = yield all_rows(Q.thread_inbound, customer, reply_number, since, limit)
    went = yield all_rows(Q.thread_outbound, customer, reply_number, since, limit)
    entries = [thread_row(r, inbound=True) for r in came]
    entries += [thread_row(r, inbound=False) for r in went]
    return sorted(entries, key=lambda entry: entry.at)[-limit:]


def set_suppressed(
    *, reply_number: str, customer: str, on: bool, now: float, scope: str = ""
) -> Op[None]:
    """STOP puts the customer on ``reply_number``'s list; START takes them off it (and off
    the organisation's), or with ``scope`` ORGANISATION off every number's."""
    if on:
        yield count(
            Q.suppress,
            reply_number,
            customer,
            now,
        )
    else:
        yield from ops_consent.unsuppress(customer, scope or reply_number)


def mark_routed(job: InboundJob, outcome: InboundOutcome, now: float) -> Op[None]:
    yield count(
        Q.inbound_routed,
        outcome.route,
        outcome.explanation,
        json.dumps(list(outcome.mailed_to)),
        now,
        job.id,
    )
    if outcome.in_conversation:
        yield count(Q.touch_conversation, now, job.from_number, job.to_number)
    if outcome.suppress is not None:
        yield from set_suppressed(
            reply_number=job.to_number,
            customer=job.from_number,
            on=outcome.suppress,
            now=now,
            scope=outcome.suppress_scope,
        )
    for event in outcome.consent:  # the ledger, in the same transaction as the list
        yield from ops_consent.record(event)
    if outcome.pending_campaign is not None:
        yield from _pending(job, outcome.pending_campaign, now)
    if outcome.auto_replied:
        yield count(
            Q.auto_replied,
            job.to_number,
            job.from_number,
            now,
        )
    if outcome.flow is not None:  # raises FlowConflict (all of it rolls back) if it moved on
        yield from ops_flows.save(job.from_number, job.to_number, outcome.flow, job.id)


def _pending(job: InboundJob, campaign: str, now: float) -> Op[None]:
    if campaign:
        yield from ops_consent.ask_campaign(job.from_number, job.to_number, campaign, now)
    else:
        yield from ops_consent.forget_campaign(job.from_number, job.to_number)


def thread_numbers(customer: str, references: tuple[str, ...], since: float) -> Op[ThreadNumbers]:
    """The number the newest referenced email was on, else the customer's live numbers."""
    for reference in references:
        found = _INBOUND_ID.match(reference)
        if found:
            row = yield one_row(Q.reply_number_of_inbound, found.group(1), customer)
            if row is not None:
                return ThreadNumbers(answered=str(row["to_number"]))
        row = yield one_row(Q.sender_of_email, f"{reference}|{customer}")
        if row is not None and is_e164(str(row["sender"])):  # a sender ID cannot be answered
            return ThreadNumbers(answered=str(row["sender"]))
    rows = yield all_rows(Q.live_reply_numbers, customer, since, customer, since)
    return ThreadNumbers(live=tuple(sorted({str(row["reply_number"]) for row in rows})))
