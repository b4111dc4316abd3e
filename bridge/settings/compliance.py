"""``[compliance]``: what kind of text each is, and the guard rails that follow from it.

A text is ``transactional`` (an order, an appointment, a reply to a customer) or
``marketing`` (an offer, a newsletter); the category decides which rules apply to it
(``bridge.chain.category`` sets it). The content guard (payment data in a text, the opt-out
line of marketing), the destination policy (countries and kinds of number) and the velocity
guard (an author suddenly texting many new numbers) are set here too (docs/compliance.md).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from bridge.parsing.numbers import LINE_TYPES, is_region
from bridge.settings.section import Section, check_addresses, check_regex

__all__ = [
    "Category",
    "ComplianceSettings",
    "GuardAction",
    "SensitivePattern",
    "check_countries",
    "check_line_types",
]

Category = Literal["transactional", "marketing"]
GuardAction = Literal["mask", "refuse", "allow"]

# Kinds of number that cannot receive a text, or that are what SMS pumping and toll fraud
# aim at (docs/compliance.md, "Destinations and toll fraud"): premium rate (+44 9, +1 900),
# shared cost (+44 84/87), personal numbers (+44 70), corporate numbers (UAN), pagers,
# voicemail, and landlines (which cannot receive a text; the provider would fail it later).
BLOCKED_BY_DEFAULT = (
    "PREMIUM_RATE",
    "SHARED_COST",
    "PERSONAL_NUMBER",
    "UAN",
    "PAGER",
    "VOICEMAIL",
    "FIXED_LINE",
)


def check_countries(values: tuple[str, ...]) -> tuple[str, ...]:
    """Two-letter ISO 3166 region codes, in capitals, each one phonenumbers knows."""
    codes = tuple(value.strip().upper() for value in values if value.strip())
    unknown = [code for code in codes if not is_region(code)]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: not a country code; write two-letter ISO codes"
            ' such as "GB", "US", "IE"'
        )
    return codes


def check_line_types(values: tuple[str, ...]) -> tuple[str, ...]:
    """Names of phonenumbers' ``PhoneNumberType`` (``PREMIUM_RATE``), in capitals."""
    names = tuple(value.strip().upper() for value in values if value.strip())
    unknown = [name for name in names if name not in LINE_TYPES]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: not a kind of number; use {', '.join(LINE_TYPES)}"
        )
    return names


class SensitivePattern(Section):
    """An administrator's own kind of data the content guard looks for."""

    name: str = Field(min_length=1, description='What it is, for the author: "a customer code".')
    regex: str = Field(description="A Python regular expression matching it.")
    action: GuardAction = "refuse"

    _compiles = field_validator("regex")(classmethod(lambda cls, v: check_regex(v)))

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.regex)


class ComplianceSettings(Section):
    default_category: Category = Field(
        default="transactional", description="The category of a text nothing else classifies."
    )
    marketing_domains: tuple[str, ...] = Field(
        default=(),
        description="Emails to numbers at these domains (also in smtp.domains) are marketing:"
        " +447700900123@offers.sms.example.com.",
    )
    # The content guard
    card_numbers: GuardAction = Field(
        default="mask", description="A Luhn-valid card number in a text: mask, refuse or allow."
    )
    ibans: GuardAction = Field(default="mask", description="An IBAN with valid check digits.")
    sort_codes: GuardAction = Field(
        default="mask", description="A UK sort code with an account number (12-34-56 12345678)."
    )
    patterns: tuple[SensitivePattern, ...] = ()
    send_instead: str = Field(
        default="a secure channel (your payment page, customer portal or a phone call)",
        description="Where the author is told to send data the guard refuses.",
    )
    opt_out_line: str = Field(
        default="Reply STOP to opt out",
        description="Appended to a marketing text that names no STOP word; empty: never.",
    )
    # The destination policy
    allowed_countries: tuple[str, ...] = Field(
        default=(), description="ISO codes of the countries texts may go to; empty: all."
    )
    blocked_number_types: tuple[str, ...] = Field(
        default=BLOCKED_BY_DEFAULT,
        description="Kinds of number never texted (phonenumbers' PhoneNumberType names).",
    )
    block_non_geographic: bool = Field(
        default=True,
        description="Refuse numbers of no country: satellite (+881, +870), international"
        " networks (+882, +883), international premium rate (+979).",
    )
    # The velocity guard
    velocity_new_numbers: int = Field(
        default=0,
        ge=0,
        description="Hold an author's texts to numbers new to them past this many new numbers"
        " within velocity_minutes (50 suits people writing emails); 0: no velocity guard.",
    )
    velocity_minutes: float = Field(default=10, gt=0, le=24 * 60)
    alert_to: tuple[str, ...] = Field(
        default=(), description="Who is emailed (once a window) when an author is held."
    )

    @field_validator("marketing_domains")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in values if v.strip())

    _countries = field_validator("allowed_countries")(
        classmethod(lambda cls, v: check_countries(v))
    )
    _types = field_validator("blocked_number_types")(
        classmethod(lambda cls, v: check_line_types(v))
    )
    _alert = field_validator("alert_to")(classmethod(lambda cls, v: check_addresses(v)))
