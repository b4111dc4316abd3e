"""Rule ``category``: is a text transactional or marketing.

The category decides which guard rails apply (docs/compliance.md): marketing may need the
customer's recorded consent, waits for the day, counts against a monthly cap and carries the
opt-out line. In order, the first that says:

1. a tag in the subject, ``[marketing]`` or ``[transactional]`` (``bridge.parsing.tags``;
   both: marketing, the stricter);
2. the author's sender rule, ``category = "marketing"``;
3. the address: a number at one of ``compliance.marketing_domains``
   (``+447700900123@offers.sms.example.com``);
4. the bridge's own answers to a customer (STOP/START/HELP, auto-replies, forwards) are
   transactional;
5. ``compliance.default_category``.

It only classifies: it never refuses, and is not recorded as acting (explain shows it).
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.sender import sender_for
from bridge.chain.verdicts import Accept, Verdict
from bridge.settings.compliance import ComplianceSettings
from bridge.settings.text import SendersSettings

__all__ = ["CategoryRule"]


@dataclass(frozen=True, slots=True)
class CategoryRule:
    settings: ComplianceSettings
    senders: SendersSettings
    name: str = "category"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        if request.category:
            return Accept(f"{request.category}, as given")
        category, why = self._of(request)
        return Accept(f"{category} ({why})", request.revised(category=category))

    def _of(self, request: OutboundRequest) -> tuple[str, str]:
        if "marketing" in request.tags:
            return "marketing", "the subject's [marketing] tag"
        if "transactional" in request.tags:
            return "transactional", "the subject's [transactional] tag"
        if request.author:
            identity = sender_for(request.author, settings=self.senders)
            if identity.category:
                return identity.category, identity.because
        if request.domain and request.domain in self.settings.marketing_domains:
            return "marketing", f"sent to a number at {request.domain}"
        if not request.source.chosen_by_a_person:
            return "transactional", "the bridge's answer to a customer"
        return self.settings.default_category, "compliance.default_category"
