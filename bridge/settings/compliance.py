"""``[compliance]``: what kind of text each is, and the guard rails that follow from it.

A text is ``transactional`` (an order, an appointment, a reply to a customer) or
``marketing`` (an offer, a newsletter); the category decides which rules apply to it
(``bridge.chain.category`` sets it). The guard rails are set here too (docs/compliance.md):
the content guard (payment data in a text, the opt-out line of marketing), the destination
policy (countries and kinds of number), the velocity guard (an author suddenly texting many
new numbers), quiet hours (``bridge.chain.quiet_hours``), frequency caps per recipient
(``bridge.chain.frequency_cap``) and spend caps per author or team (``bridge.chain.spend_cap``).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from phonenumbers import SUPPORTED_REGIONS
from pydantic import Field, field_validator, model_validator

from bridge.parsing.calendar import WEEKDAYS
from bridge.parsing.numbers import LINE_TYPES, is_region
from bridge.settings.section import Section, check_addresses, check_regex, check_zone

__all__ = [
    "Category",
    "ComplianceSettings",
    "FrequencyCap",
    "GuardAction",
    "OptOutScope",
    "QuietHours",
    "SensitivePattern",
    "SpendCap",
    "check_countries",
    "check_line_types",
    "clock_time",
]

Category = Literal["transactional", "marketing"]
GuardAction = Literal["mask", "refuse", "allow"]
OptOutScope = Literal["organisation", "number"]

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


Period = Literal["day", "week", "month"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def clock_time(value: str) -> time:
    """``"08:00"`` as a time; a settings error saying how to write it otherwise."""
    found = _CLOCK.match(value.strip())
    if found is None:
        raise ValueError(f"{value!r} is not a time of day: write 24-hour HH:MM, e.g. 08:00")
    return time(int(found.group(1)), int(found.group(2)))


class QuietHours(Section):
    """When texts wait: from ``start`` to ``end`` (it may wrap midnight), recipient's time."""

    start: str = "21:00"
    end: str = "08:00"

    _times = field_validator("start", "end")(
        classmethod(lambda cls, v: clock_time(v).strftime("%H:%M"))
    )

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are the same: quiet hours need a length")
        return self


class FrequencyCap(Section):
    """At most ``max`` texts of ``category`` to one recipient per ``per``."""

    category: Category = "marketing"
    max: int = Field(
        ge=1, description="The most texts of the category a recipient gets per period."
    )
    per: Period = "month"
    mode: Literal["rolling", "calendar"] = Field(
        default="calendar",
        description="calendar: the recipient's day, week (from Monday) or month; rolling: the"
        " last 24 hours, 7 days or 30 days.",
    )
    over: Literal["refuse", "defer"] = Field(
        default="refuse", description="Over the cap: refuse the text, or wait for room."
    )


class SpendCap(Section):
    """At most ``segments`` (or ``money``) a ``per`` for the authors ``match`` names."""

    match: str = Field(
        description="An author address (alice@example.com), or a domain (example.com: its"
        " authors and those of its subdomains together, one team)."
    )
    per: Literal["day", "month"] = "month"
    segments: int | None = Field(default=None, ge=1)
    money: float | None = Field(
        default=None, gt=0, description="In compliance.currency, priced by compliance.prices."
    )
    each_author: bool = Field(
        default=False, description="The cap applies to each author of the team on their own."
    )
    admin: str | None = Field(
        default=None, description="Emailed once a period when 80% of the cap is spent."
    )

    @field_validator("match")
    @classmethod
    def _lower(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or value.startswith("@") or " " in value:
            raise ValueError(f"{value!r} is neither an address nor a domain, e.g. example.com")
        return value

    @field_validator("admin")
    @classmethod
    def _admin(cls, value: str | None) -> str | None:
        return None if value is None else check_addresses((value,))[0]

    @model_validator(mode="after")
    def _one_measure(self) -> SpendCap:
        if (self.segments is None) == (self.money is None):
            raise ValueError("give the cap in segments or in money (with compliance.prices)")
        return self


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
    # Quiet hours, frequency caps and spend caps
    quiet_hours: QuietHours | None = Field(
        default=None, description='Texts wait out these hours: {start = "21:00", end = "08:00"}.'
    )
    send_window: str | None = Field(
        default=None, description='The other way round: texts go only "08:00-21:00".'
    )
    quiet_days: tuple[str, ...] = Field(
        default=(), description='Weekdays without texts, as routes write them: ["sun"].'
    )
    quiet_during: tuple[str, ...] = Field(
        default=(), description="[[calendars]] by name: no texts on their dates (holidays)."
    )
    quiet_categories: tuple[Category, ...] = Field(
        default=("marketing",),
        description='The categories quiet hours hold back; add "transactional" for all texts.',
    )
    timezone: str = Field(
        default="UTC",
        description="Where quiet hours are read for a recipient whose zone is unknown, and"
        " where the spend caps' days and months begin.",
    )
    caps: tuple[FrequencyCap, ...] = ()
    spend_caps: tuple[SpendCap, ...] = ()
    prices: dict[str, float] = Field(
        default={}, description="A segment's price by country: {GB = 0.04, US = 0.0079}."
    )
    currency: str = "GBP"

    _zone = field_validator("timezone")(classmethod(lambda cls, v: check_zone(v)))

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

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is None:
            return None
        start, dash, end = value.partition("-")
        if not dash:
            raise ValueError(f"{value!r} is not a window: write 08:00-21:00")
        if clock_time(start) == clock_time(end):
            raise ValueError(f"{value!r} starts and ends at once: the window needs a length")
        return f"{clock_time(start):%H:%M}-{clock_time(end):%H:%M}"

    @field_validator("quiet_days")
    @classmethod
    def _days(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(v.strip().lower()[:3] for v in values)
        wrong = [v for v, day in zip(values, days, strict=True) if day not in WEEKDAYS]
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: write weekdays as {', '.join(WEEKDAYS)}")
        return days

    @field_validator("prices")
    @classmethod
    def _prices(cls, values: dict[str, float]) -> dict[str, float]:
        wrong = [k for k, v in values.items() if k not in SUPPORTED_REGIONS or v < 0]
        if wrong:
            raise ValueError(
                f"{', '.join(wrong)}: prices are by country (ISO 3166 code, as phonenumbers"
                " knows it) and not negative: {GB = 0.04, US = 0.0079}"
            )
        return values

    @model_validator(mode="after")
    def _one_window(self) -> ComplianceSettings:
        if self.quiet_hours is not None and self.send_window is not None:
            raise ValueError("write quiet_hours or send_window, not both: they say one thing")
        priced = [c.match for c in self.spend_caps if c.money is not None]
        if priced and not self.prices:
            raise ValueError(
                f"the spend cap(s) for {', '.join(priced)} are in money: give compliance.prices"
            )
        return self

    @property
    def window(self) -> tuple[time, time] | None:
        """When texts may go (start, end; it may wrap midnight), if hours are set."""
        if self.send_window is not None:
            start, _, end = self.send_window.partition("-")
            return clock_time(start), clock_time(end)
        if self.quiet_hours is not None:
            return clock_time(self.quiet_hours.end), clock_time(self.quiet_hours.start)
        return None

    @property
    def has_quiet_time(self) -> bool:
        return self.window is not None or bool(self.quiet_days or self.quiet_during)
