"""Rule ``schedule``: a text its author asked to go later waits until then.

The author's ``Send-At:`` header or ``[tomorrow 9am]`` subject tag was read by the edge
(``bridge.parsing.send_at``) into ``request.send_at``. The rule defers the text to that
instant and moves the chain's clock there, so that every later rule judges the text at the
time it will go: a text scheduled for 23:30 is then held by quiet hours until the morning,
and a frequency cap counts the texts of the day it goes. First of the content stage; it
needs no facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Defer, Verdict
from bridge.parsing.send_at import when_local

__all__ = ["Schedule"]


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str = "schedule"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        when = request.send_at
        if when is None:
            return Accept("no send-at time: now")
        if when <= facts.at:
            return Accept("its send-at time has come")
        shown = when_local(when, request.send_zone or "UTC")
        return Defer(when, f"scheduled by its author for {shown}", f"scheduled for {shown}", True)
