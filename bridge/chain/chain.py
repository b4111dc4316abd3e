"""The ordered chain of rules, run over one request; the record of what each rule did.

The order is the order a text meets the rules, and it matters: the sender must be chosen
before anyone can ask whether the customer opted out from it, and the text must be clean
before it is measured. The first refusal ends the chain; a deferral is remembered and the
rest still run, since a later rule may refuse outright; the latest deferral wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bridge.chain.category import CategoryRule
from bridge.chain.consent import MarketingConsent
from bridge.chain.content import Content
from bridge.chain.facts import NO_THREAD, FactReader, Facts
from bridge.chain.opt_out import OptOut
from bridge.chain.owned_sender import OwnedSender
from bridge.chain.rate_limit import RateLimit
from bridge.chain.reply_sender import ReplySender
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Rule, Stage
from bridge.chain.segments import Segments
from bridge.chain.sender import SenderRuleSet
from bridge.chain.verdicts import Decision, Defer, Refuse, Rewrite, Verdict
from bridge.models import RuleHit
from bridge.settings.root import Settings

__all__ = ["Chain", "build_chain", "owned_senders", "rate_limited"]


def owned_senders(settings: Settings) -> frozenset[str]:
    """The senders the bridge is set up to use: its numbers, the default, the rules' senders."""
    senders = {number.number for number in settings.numbers}
    senders |= {settings.senders.default, *(rule.sender for rule in settings.senders.rules)}
    return frozenset(senders)


def rate_limited(settings: Settings) -> bool:
    """Whether any sending number or provider has a rate limit."""
    return any(n.rate_per_second for n in settings.numbers) or any(
        p.rate_per_second for p in settings.providers.values()
    )


def build_chain(settings: Settings) -> Chain:
    """The chain in its order; later issues add their rules here. A rule with nothing to
    enforce (no rate limit set anywhere) is left out, so that the send stage costs nothing."""
    rules: list[Rule] = [
        ReplySender(settings.smtp.domains[0]),
        SenderRuleSet(settings.senders),
        OwnedSender(owned_senders(settings)),
        OptOut(),
        CategoryRule(settings.compliance, settings.senders),
    ]
    if settings.compliance.marketing_requires_consent:
        rules.append(MarketingConsent())
    rules += [
        Content(),
        Segments(settings.text),
    ]
    if rate_limited(settings):
        rules.append(RateLimit())
    return Chain(rules)


class Chain:
    def __init__(self, rules: Sequence[Rule]) -> None:
        stages = [rule.stage for rule in rules]
        if stages != sorted(stages):
            raise ValueError("the chain's rules must be ordered by stage")
        self.rules = tuple(rules)
        # The rules of each combination of stages, listed once: the chain runs for every
        # recipient of every email, twice for SMTP (RCPT, DATA), and at every send.
        self._by_stages: dict[frozenset[Stage], tuple[Rule, ...]] = {}

    def rules_of(self, stages: frozenset[Stage]) -> tuple[Rule, ...]:
        found = self._by_stages.get(stages)
        if found is None:
            found = self._by_stages[stages] = tuple(r for r in self.rules if r.stage in stages)
        return found

    async def run(
        self,
        request: OutboundRequest,
        *,
        facts: FactReader,
        at: datetime,
        stages: frozenset[Stage] = frozenset({Stage.ENVELOPE, Stage.CONTENT}),
    ) -> Decision:
        """Run the rules of ``stages`` in order over ``request``."""
        if at.tzinfo is None:
            raise ValueError("the chain needs an aware time")
        hits: list[RuleHit] = []
        not_before: datetime | None = None
        bare = Facts(at=at)  # for the rules that need no fact, which are most
        for rule in self.rules_of(stages):
            known = await _read(rule.needs, request, facts, at) if rule.needs else bare
            verdict = rule.check(request, known)
            hits.append(_hit(rule.name, verdict))
            if isinstance(verdict, Refuse):
                return Decision(request, tuple(hits), refusal=verdict)
            if isinstance(verdict, Defer):
                not_before = max(not_before or verdict.until, verdict.until)
            elif verdict.request is not None:  # a rewrite, or an accept that measured
                request = verdict.request
        return Decision(request, tuple(hits), not_before=not_before)

    def with_hits(self, decision: Decision, earlier: Sequence[RuleHit]) -> Decision:
        """``decision`` with the hits of an earlier stage's run in front (the envelope's, made
        at SMTP's RCPT, in front of the content's, made at DATA)."""
        return replace(decision, hits=(*earlier, *decision.hits))


async def _read(
    needs: frozenset[Fact], request: OutboundRequest, reader: FactReader, at: datetime
) -> Facts:
    opted_out = rate = contact = consent = None
    if Fact.OPTED_OUT in needs and request.sender:
        opted_out = await reader.opted_out(sender=request.sender, customer=request.to_number)
    if Fact.CONSENT in needs:
        consent = await reader.consent(sender=request.sender or "", customer=request.to_number)
    if Fact.RATE in needs:
        keys = tuple(k for k in (request.provider, request.sender) if k)
        rate = await reader.rate_wait(keys=keys, at=at)
    thread = NO_THREAD
    if Fact.THREAD in needs and request.thread is not None and request.thread.open_reply:
        # only then does the rule read them: no query at RCPT TO, nor for a new email
        thread = await reader.thread_numbers(
            customer=request.to_number, references=request.thread.references, at=at
        )
    if Fact.CONTACT in needs:
        contact = await reader.contact(request.to_number)
    return Facts(
        at=at,
        opted_out=opted_out,
        rate_wait=rate or 0.0,
        thread=thread,
        contact=contact,
        consent=consent,
    )


def _hit(rule: str, verdict: Verdict) -> RuleHit:
    if isinstance(verdict, Refuse):
        return RuleHit(rule, "refuse", verdict.reason)
    if isinstance(verdict, Defer):
        return RuleHit(rule, "defer", f"until {verdict.until:%Y-%m-%d %H:%M:%S %Z}: {verdict.why}")
    if isinstance(verdict, Rewrite):
        return RuleHit(rule, "rewrite", verdict.what)
    return RuleHit(rule, "accept", verdict.note)
