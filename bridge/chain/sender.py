"""Rule ``sender``: who the phone shows the text as from, and how long this author's texts
may be.

Without a sender asked for, the sender rules decide: the first ``[[senders.rules]]`` entry
naming the author's address, else its domain or a parent domain (``bridge.parsing.addresses``),
else ``senders.default``. An author's rule also sets their segment limit. A sender asked for
(``smsbridge send --from``, a reply from the number a customer texted) is kept, and the
tightest limit of the rules that give that sender still applies: a limit set for a sender
holds whoever uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Rewrite, Verdict
from bridge.parsing.addresses import best_match
from bridge.settings.text import SenderRule, SendersSettings

__all__ = ["SenderIdentity", "SenderRuleSet", "sender_for"]


@dataclass(frozen=True, slots=True)
class SenderIdentity:
    """What the phone shows as the sender, how long this author's texts may be, and why;
    ``email_fallback``: a text that fails for good is emailed to a contact instead."""

    sender: str
    max_segments: int | None
    because: str
    email_fallback: bool = False
    category: str | None = None  # the category the rule gives this author's texts
    allowed_countries: tuple[str, ...] | None = None  # None: as compliance.allowed_countries
    allow_number_types: tuple[str, ...] = ()  # kinds of number allowed despite the block
    urgent_allowed: bool = False  # an [urgent] tag may pass quiet hours


@lru_cache(maxsize=4096)  # every email asks, and the same authors recur
def sender_for(author: str, *, settings: SendersSettings) -> SenderIdentity:
    """The identity the sender rules give ``author``."""
    rules = {rule.match: rule for rule in settings.rules}
    match = best_match(author, rules) if author else None
    if match is None:
        return SenderIdentity(settings.default, None, "the default sender")
    rule = rules[match]
    return SenderIdentity(
        rule.sender,
        rule.max_segments,
        f"the rule for {match}",
        rule.email_fallback,
        rule.category,
        rule.allowed_countries,
        rule.allow_number_types,
        rule.urgent_allowed,
    )


def _limit_of(sender: str, rules: tuple[SenderRule, ...]) -> int | None:
    limits = [r.max_segments for r in rules if r.sender == sender and r.max_segments]
    return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class SenderRuleSet:
    settings: SendersSettings
    name: str = "sender"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        if request.sender is None:
            identity = sender_for(request.author, settings=self.settings)
            chosen = request.revised(sender=identity.sender, max_segments=identity.max_segments)
            return Rewrite(chosen, f"from {identity.sender} ({identity.because})")
        own = sender_for(request.author, settings=self.settings) if request.author else None
        limit = own.max_segments if own and own.sender == request.sender else None
        limit = limit or _limit_of(request.sender, self.settings.rules)
        if limit is None or limit == request.max_segments:
            return Accept(f"from {request.sender}, as asked")
        return Rewrite(
            request.revised(max_segments=limit), f"{request.sender}: at most {limit} segments"
        )
