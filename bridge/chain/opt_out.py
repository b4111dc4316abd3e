"""Rule ``opt-out``: nobody gets a text from a number they answered STOP.

With ``compliance.opt_out_scope = "organisation"`` (the default) a STOP to any of the bridge's
numbers stops every sender, sender IDs included; with ``"number"``, only the number texted.
An import's or an admin's opt-out (the organisation's list) stops every sender either way.
The refusal names the customer's STOP (which number, when) and how it can be undone (only
by them, texting START, or by an admin with a recorded reason), so the author knows why and
that retrying will not help. The confirmation of STOP itself (and of START and HELP) is the
one text that still goes: carriers require it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Verdict
from bridge.models import ORGANISATION, ConsentEvent, SmsJob, Suppression
from bridge.parsing.numbers import is_e164, is_short_code

__all__ = ["OptOut", "provider_opt_out"]


@dataclass(frozen=True, slots=True)
class OptOut:
    name: str = "opt-out"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset({Fact.OPTED_OUT})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        stopped = facts.opted_out
        if stopped is None or request.source is Source.COMPLIANCE:
            return Accept()
        return Refuse(_sentence(request.to_number, request.sender or "", stopped))


def provider_opt_out(
    job: SmsJob,
    *,
    provider: str,
    code: str | None,
    reason: str,
    at: datetime,
    scope: str = "organisation",
    message_id: str = "",
) -> ConsentEvent:
    """The consent ledger's opt-out for a text the provider refused because the customer
    opted out with it (they replied STOP to the provider's number, or the carrier has them
    as unsubscribed: Twilio's 21610). ``scope`` is ``compliance.opt_out_scope``: the
    organisation's covers every sender; the number's covers the text's sender, unless that
    is a sender ID, which no customer can text START to, so it covers every sender too."""
    sender = job.sender
    number = is_e164(sender) or is_short_code(sender)
    evidence = f"{provider} error {code or 'opted out'} for text {job.id} from {sender}"
    return ConsentEvent(
        customer=job.to_number,
        action="opt-out",
        scope=sender if scope == "number" and number else ORGANISATION,
        at=at,
        how="provider",
        evidence=evidence + (f", message {message_id}" if message_id else ""),
        by=provider,
        reason=reason,
    )


def _sentence(customer: str, sender: str, stopped: Suppression) -> str:
    when = f"{stopped.since:%Y-%m-%d %H:%M} UTC"
    if stopped.reply_number == ORGANISATION:
        return (
            f"{customer} is on the organisation's opt-out list since {when} (an import, an"
            " admin, or the SMS provider reporting that they opted out; smsbridge consent list"
            f" --number {customer} says which): no sender may text"
            " them. Only they can undo that, by texting START to any of our numbers, or an"
            " admin with their written request (smsbridge consent opt-in)."
        )
    if stopped.reply_number == sender:
        return (
            f"{customer} asked not to receive texts from {sender} (they replied STOP on {when})."
            f" Only they can undo that, by texting START to {sender}."
        )
    return (
        f"{customer} asked not to receive texts from us: they replied STOP to"
        f" {stopped.reply_number} on {when}, which stops every sender, {sender} included."
        f" Only they can undo that, by texting START to {stopped.reply_number}."
    )
