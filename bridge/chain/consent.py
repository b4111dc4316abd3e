"""Rule ``consent``: with ``compliance.marketing_requires_consent``, a marketing text goes only
to a customer whose latest recorded consent for the sender is an opt-in (a keyword, a double
opt-in, an import or an admin's; docs/compliance.md). Transactional texts pass: it is the
content stage's ``category`` rule, just before, that says which a text is.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Verdict

__all__ = ["COUNTS", "MarketingConsent"]

COUNTS = frozenset({"keyword", "double opt-in", "import", "admin"})  # staff alone is not enough


@dataclass(frozen=True, slots=True)
class MarketingConsent:
    name: str = "consent"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset({Fact.CONSENT})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        if request.category != "marketing":
            return Accept()
        latest = facts.consent
        if latest is not None and latest.action == "opt-in" and latest.how in COUNTS:
            return Accept()
        why = (
            "has no recorded opt-in"
            if latest is None or latest.action == "opt-in"
            else f"opted out on {latest.at:%Y-%m-%d %H:%M} UTC"
        )
        return Refuse(
            f"{request.to_number} {why}, and marketing texts need one"
            " (compliance.marketing_requires_consent): send it as transactional if it is not"
            " marketing, or record their consent (an opt-in campaign, smsbridge consent import"
            " or opt-in)."
        )
