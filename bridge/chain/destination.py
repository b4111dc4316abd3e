"""Rule ``destination``: texts go only to the countries and kinds of number they may.

Toll fraud and SMS pumping make a bridge text numbers that pay someone per text received:
premium-rate and shared-cost ranges, personal numbers, satellite and international networks.
At the envelope stage (SMTP refuses at RCPT TO, 550 5.7.1), in order:

1. a kind of number in ``compliance.blocked_number_types`` (``bridge.parsing.numbers.
   line_type``), unless the author's sender rule lists it in ``allow_number_types``;
2. a number of no country (+881, +882, +883, +870, +979) when
   ``compliance.block_non_geographic``;
3. a country outside the author's sender rule's ``allowed_countries``, else
   ``compliance.allowed_countries`` (empty: every country). Not for the bridge's answers to a
   customer who texted in (an auto-reply, a STOP answer, a forward): they texted us, so their
   country was not chosen by a person and is not held against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.sender import sender_for
from bridge.chain.verdicts import Accept, Refuse, Verdict
from bridge.parsing.numbers import country_of, display_number, line_type, number_type
from bridge.settings.compliance import ComplianceSettings
from bridge.settings.text import SendersSettings

__all__ = ["Destination"]

_ASK = "Ask your administrator if this number must be texted."


@dataclass(frozen=True, slots=True)
class Destination:
    settings: ComplianceSettings
    senders: SendersSettings
    name: str = "destination"
    stage: Stage = Stage.ENVELOPE
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        number = request.to_number
        identity = sender_for(request.author, settings=self.senders) if request.author else None
        kind = line_type(number)
        allowed_kinds = identity.allow_number_types if identity else ()
        if kind in self.settings.blocked_number_types and kind not in allowed_kinds:
            return Refuse(_blocked_kind(number))
        country = country_of(number)
        if country is None and self.settings.block_non_geographic:
            return Refuse(
                f"{display_number(number)} belongs to no country (a satellite or international"
                " network number); this bridge does not text such numbers. " + _ASK
            )
        countries = self.settings.allowed_countries
        if identity is not None and identity.allowed_countries is not None:
            countries = identity.allowed_countries
        if not countries or not request.source.chosen_by_a_person or country in countries:
            return Accept()
        return Refuse(
            f"{display_number(number)} is a number in {country}; this bridge texts only numbers"
            f" in {', '.join(countries)}. " + _ASK
        )


def _blocked_kind(number: str) -> str:
    words = number_type(number)
    article = "an" if words[:1] in "aeiou" else "a"
    return (
        f"{display_number(number)} is {article} {words} number; this bridge does not text"
        f" {words} numbers. " + _ASK
    )
