"""``[compliance]``: what kind of text each is, and the guard rails that follow from it.

A text is ``transactional`` (an order, an appointment, a reply to a customer) or
``marketing`` (an offer, a newsletter); the category decides which rules apply to it
(``bridge.chain.category`` sets it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bridge.settings.section import Section

__all__ = ["Category", "ComplianceSettings", "OptOutScope"]

Category = Literal["transactional", "marketing"]
OptOutScope = Literal["organisation", "number"]


class ComplianceSettings(Section):
    default_category: Category = Field(
        default="transactional", description="The category of a text nothing else classifies."
    )
    opt_out_scope: OptOutScope = Field(
        default="organisation",
        description="organisation: STOP to any of the bridge's numbers stops every sender"
        " (sender IDs included) and START to any undoes it; number: each number on its own.",
    )
    marketing_requires_consent: bool = Field(
        default=False,
        description="A marketing text goes only to a customer with a recorded opt-in"
        " (a keyword, a double opt-in, an import or an admin; docs/compliance.md).",
    )
    marketing_domains: tuple[str, ...] = Field(
        default=(),
        description="Emails to numbers at these domains (also in smtp.domains) are marketing:"
        " +447700900123@offers.sms.example.com.",
    )

    @field_validator("marketing_domains")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in values if v.strip())
