"""What a rule of the outbound chain is: a name, a stage, the facts it needs, and ``check``."""

from __future__ import annotations

import enum
from typing import Protocol

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.verdicts import Verdict

__all__ = ["Fact", "Rule", "Stage"]


class Stage(enum.IntEnum):
    """When a rule can decide: ordered as a text meets them."""

    ENVELOPE = 1  # sender and recipient known (SMTP's RCPT TO): who may text whom
    CONTENT = 2  # the text known: what it says and what it costs
    SEND = 3  # a provider about to be asked: pacing


class Fact(enum.StrEnum):
    OPTED_OUT = "opted_out_since"
    RATE = "rate_wait"
    THREAD = "thread"
    CONTACT = "contact"  # the recipient's address-book entry (their time zone, language)
    NEW_NUMBERS = "new_numbers"  # how new the recipient is to the author (the velocity guard)
    SENT = "sent"  # when the recipient was sent texts of this one's category, lately
    SPENT = "spent"  # the segments the author's team sent this month, by author and country
    CONSENT = "consent"  # the recipient's latest recorded opt-in or opt-out


class Rule(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def stage(self) -> Stage: ...

    @property
    def needs(self) -> frozenset[Fact]:
        """The facts the chain must read before ``check``."""
        ...

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        """Accept, refuse, defer or rewrite ``request``; pure: no I/O, no clock but ``facts.at``."""
        ...
