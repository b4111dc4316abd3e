"""Rule ``reply-sender``: a reply to a customer goes from the number the customer texted.

Staff answer customers from wherever they read them: a shared inbox, a colleague's forward, a
phone. Whoever presses Reply, the customer must get the answer from the number they know, or
their next text starts a new conversation nobody can follow (and an alphanumeric sender
cannot be answered at all). So, before the sender rules:

1. the address names it: ``+447700900123.via.447700900100@…``, as the bridge writes every
   customer's address (``bridge.parsing.recipients``), which survives any client;
2. a reply (``bridge.parsing.thread``) whose In-Reply-To or References name a customer's text
   the bridge emailed, or an email that texted them: that text's number;
3. a reply whose thread is unknown (headers dropped, or forgotten after ``retention_days``):
   the one number the customer has a live conversation with; with several, the bridge does not
   guess and refuses, saying how to pick one;
4. anything else (a new email, a forward, a customer who never texted): the sender rules.

A sender asked for outright (``smsbridge send --from``) is kept. The rules after this one
still hold: the number must be the bridge's, and a customer who replied STOP to it is not
texted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Rewrite, Verdict
from bridge.parsing.numbers import display_number
from bridge.parsing.recipients import customer_address

__all__ = ["ReplySender"]


@dataclass(frozen=True, slots=True)
class ReplySender:
    sms_domain: str  # for the address that names a number, in the refusal
    name: str = "reply-sender"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset({Fact.THREAD})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        thread = request.thread
        if request.sender is not None or thread is None:
            return Accept()
        if thread.via is not None:
            return Rewrite(
                request.revised(sender=thread.via), f"from {thread.via}, as its address names"
            )
        if not thread.is_reply:
            return Accept()
        numbers = facts.thread
        if numbers.answered is not None:
            chosen = request.revised(sender=numbers.answered)
            return Rewrite(chosen, f"from {numbers.answered}, the number of the thread it answers")
        if len(numbers.live) == 1:
            only = numbers.live[0]
            return Rewrite(
                request.revised(sender=only), f"from {only}, the customer's only conversation"
            )
        if len(numbers.live) > 1 and thread.headers_known:
            return Refuse(self._ambiguous(request.to_number, numbers.live))
        return Accept()

    def _ambiguous(self, customer: str, numbers: tuple[str, ...]) -> str:
        shown = " and ".join(display_number(n) for n in sorted(numbers))
        example = customer_address(customer, sorted(numbers)[0], self.sms_domain)
        return (
            f"{display_number(customer)} is in conversation with several of your numbers"
            f" ({shown}), and this reply does not show which one it answers. Reply to the"
            f" email of their text, or write to the address that names the number, such as"
            f" {example}."
        )
