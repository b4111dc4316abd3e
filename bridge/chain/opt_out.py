"""Rule ``opt-out``: nobody gets a text from a number they answered STOP.

The refusal names the customer's STOP and how it can be undone (only by them, texting START),
so the author knows why and that retrying will not help. The confirmation of STOP itself
(and of START and HELP) is the one text that still goes: carriers require it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Verdict

__all__ = ["OptOut"]


@dataclass(frozen=True, slots=True)
class OptOut:
    name: str = "opt-out"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset({Fact.OPTED_OUT})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        since = facts.opted_out_since
        if since is None or request.source is Source.COMPLIANCE:
            return Accept()
        sender = request.sender
        return Refuse(
            f"{request.to_number} asked not to receive texts from {sender} (they replied STOP on"
            f" {since:%Y-%m-%d %H:%M} UTC). Only they can undo that, by texting START to {sender}."
        )
