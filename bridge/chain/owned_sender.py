"""Rule ``owned-sender``: a person may only text from a sender the bridge is set up to use.

The bridge's senders are its reply numbers (``[[numbers]]``), ``senders.default`` and the
senders its rules give. Texting from any other number would impersonate someone, and a
customer's reply to it would go to a stranger. Answers to a customer (auto-replies, STOP
confirmations, forwards) go from the number that customer texted, which the provider has
just proved is the bridge's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Verdict

__all__ = ["OwnedSender"]


@dataclass(frozen=True, slots=True)
class OwnedSender:
    senders: frozenset[str]
    name: str = "owned-sender"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        sender = request.sender or ""
        if sender in self.senders or not request.source.chosen_by_a_person:
            return Accept()
        known = ", ".join(sorted(self.senders))
        return Refuse(
            f"This bridge does not send texts from {sender}: use one of its senders ({known}),"
            " or ask your administrator to add it to [[numbers]] or [senders]."
        )
