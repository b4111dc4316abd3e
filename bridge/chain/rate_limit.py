"""Rule ``rate-limit``: a sending number and a provider send no faster than their limits.

At the send stage, for the provider about to be asked: the limiter (in the process, or in the
store for several bridges) either takes a token from every limited key (the provider's name,
the sending number) or says how long to wait, and the text is put back until then without
spending one of its attempts. It is the chain's last rule, so a token taken is a token used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Defer, Verdict

__all__ = ["RateLimit"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    name: str = "rate-limit"
    stage: Stage = Stage.SEND
    needs: frozenset[Fact] = frozenset({Fact.RATE})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        if facts.rate_wait <= 0:
            return Accept()
        why = f"{request.provider} or {request.sender} is at its rate limit"
        return Defer(facts.at + timedelta(seconds=facts.rate_wait), why)
