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

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Verdict
from bridge.models import ORGANISATION, Suppression

__all__ = ["OptOut"]


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


def _sentence(customer: str, sender: str, stopped: Suppression) -> str:
    when = f"{stopped.since:%Y-%m-%d %H:%M} UTC"
    if stopped.reply_number == ORGANISATION:
        return (
            f"{customer} is on the organisation's opt-out list since {when} (an import or an"
            f" admin; smsbridge consent list --number {customer} says why): no sender may text"
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
