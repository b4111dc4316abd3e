"""``[compliance]``: what kind of text each is, and the guard rails that follow from it.

A text is ``transactional`` (an order, an appointment, a reply to a customer) or
``marketing`` (an offer, a newsletter); the category decides which rules apply to it
(``bridge.chain.category`` sets it). The guard rails on time and volume are here too: quiet
hours (``bridge.chain.quiet_hours``), frequency caps per recipient
(``bridge.chain.frequency_cap``) and spend caps per author or team (``bridge.chain.spend_cap``).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from phonenumbers import SUPPORTED_REGIONS
from pydantic import Field, field_validator, model_validator

from bridge.parsing.calendar import WEEKDAYS
from bridge.settings.section import Section, check_addresses, check_zone

__all__ = [
    "Category",
    "ComplianceSettings",
    "FrequencyCap",
    "QuietHours",
    "SpendCap",
    "clock_time",
]

Category = Literal["transactional", "marketing"]
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
    marketing_domains: tuple[str, ...] = Field(
        default=(),
        description="Emails to numbers at these domains (also in smtp.domains) are marketing:"
        " +447700900123@offers.sms.example.com.",
    )
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
