"""The conditions a route can set, one small class each.

``check(text, at=)`` returns None when the condition holds and otherwise a short sentence
saying why not, which is what ``smsbridge routes explain`` (and the stored explanation of
every routed text) shows. No I/O and no clock: the time is always passed in, aware.

Time windows are read in the route's own time zone (or, for a route that names none, the
time zone of the reply number texted, which the router puts in ``InboundText.zone``), on the
wall clock, so "09:00-17:30" means
office hours on both sides of a DST change. A window whose end is before its start crosses
midnight and belongs to the day it starts: "fri 22:00-06:00" includes Saturday 03:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bridge.parsing.calendar import WEEKDAYS
from bridge.parsing.keywords import first_word
from bridge.parsing.numbers import country_of

__all__ = [
    "CalendarIs",
    "Condition",
    "InboundText",
    "KeywordIs",
    "NumberIs",
    "SenderMatches",
    "TimeWindow",
]


@dataclass(frozen=True, slots=True)
class InboundText:
    from_number: str
    to_number: str
    text: str
    zone: str = "UTC"  # the reply number's time zone: routes that name none read time in it


class Condition(Protocol):
    def check(self, text: InboundText, *, at: datetime) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NumberIs:
    numbers: tuple[str, ...]

    def check(self, text: InboundText, *, at: datetime) -> str | None:
        if text.to_number in self.numbers:
            return None
        return f"it was sent to {text.to_number}, not {' or '.join(self.numbers)}"


@dataclass(frozen=True, slots=True)
class SenderMatches:
    """Exact numbers, number prefixes ("+447700900") or countries ("GB", as
    ``bridge.parsing.numbers.country_of`` reads a number: every +44 number is GB)."""

    patterns: tuple[str, ...]

    def check(self, text: InboundText, *, at: datetime) -> str | None:
        country = country_of(text.from_number)
        for pattern in self.patterns:
            if pattern.startswith("+") and text.from_number.startswith(pattern):
                return None
            if pattern == country:
                return None
        return f"the sender {text.from_number} is not {' or '.join(self.patterns)}"


@dataclass(frozen=True, slots=True)
class KeywordIs:
    keywords: tuple[str, ...]

    def check(self, text: InboundText, *, at: datetime) -> str | None:
        word = first_word(text.text)  # the normal form, as the keywords were written
        if word in self.keywords:
            return None
        wanted = " or ".join(k.upper() for k in self.keywords)
        return f"the keyword is {word.upper() or '(none)'}, not {wanted}"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    days: tuple[str, ...]
    start: time | None
    end: time | None
    zone: str | None  # None: the reply number's (``InboundText.zone``)

    def check(self, text: InboundText, *, at: datetime) -> str | None:
        if at.tzinfo is None:
            raise ValueError("routing needs an aware time")
        zone = self.zone or text.zone
        local = at.astimezone(ZoneInfo(zone))
        if self._contains(local):
            return None
        return f"{local:%H:%M %A} in {zone} is outside {self.describe()}"

    def describe(self) -> str:
        days = ",".join(self.days) if self.days else "every day"
        hours = f" {self.start:%H:%M}-{self.end:%H:%M}" if self.start and self.end else ""
        return days + hours

    def _contains(self, local: datetime) -> bool:
        now = local.time()
        if self.start is None or self.end is None:
            return self._on(local)
        if self.start < self.end:
            return self._on(local) and self.start <= now < self.end
        started_today = self._on(local) and now >= self.start
        started_yesterday = self._on(local - timedelta(days=1)) and now < self.end
        return started_today or started_yesterday

    def _on(self, local: datetime) -> bool:
        return not self.days or WEEKDAYS[local.weekday()] in self.days


@dataclass(frozen=True, slots=True)
class CalendarIs:
    """The text's local date is (or, with ``outside``, is not) one of a calendar's days."""

    name: str
    days: frozenset[date]
    zone: str | None  # None: the reply number's (``InboundText.zone``)
    outside: bool = False

    def check(self, text: InboundText, *, at: datetime) -> str | None:
        if at.tzinfo is None:
            raise ValueError("routing needs an aware time")
        day = at.astimezone(ZoneInfo(self.zone or text.zone)).date()
        inside = day in self.days
        if inside != self.outside:
            return None
        return f"{day:%a %d %b %Y} is {'in' if inside else 'not in'} the calendar {self.name!r}"
