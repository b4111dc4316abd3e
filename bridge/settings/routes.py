"""``[[routes]]`` and ``[[calendars]]``: the routing table for customers' texts."""

from __future__ import annotations

import re
from datetime import date

from pydantic import Field, field_validator, model_validator

from bridge.parsing.calendar import WEEKDAYS, dates_from_ics, expand
from bridge.parsing.keywords import normal_form
from bridge.settings.numbers import check_e164
from bridge.settings.section import LocalPath, Section, check_addresses, check_zone

__all__ = ["CalendarSettings", "RouteSettings"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SENDER_MATCH = re.compile(r"^\+[1-9]\d{0,14}$|^[A-Z]{2}$")


class CalendarSettings(Section):
    """Named dated periods (closures, holidays) that routes can follow or avoid."""

    name: str = Field(min_length=1)
    dates: tuple[str, ...] = ()
    ics: LocalPath | None = Field(default=None, description="An iCalendar file of all-day events.")

    @model_validator(mode="after")
    def _readable(self) -> CalendarSettings:
        self.days()  # raises with the reason if a date or the file is wrong
        return self

    def days(self) -> frozenset[date]:
        found = expand(self.dates)
        if self.ics is not None:
            try:
                text = self.ics.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(
                    f"calendar {self.name!r}: cannot read {self.ics}: {exc.strerror}"
                ) from None
            found |= dates_from_ics(text)[0]
        return found


class RouteSettings(Section):
    """One row of the routing table: conditions (all must hold) and what to do."""

    name: str = Field(min_length=1)
    default: bool = False
    numbers: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    timezone: str | None = Field(
        default=None,
        description="Where days, start, end and calendars are read; the reply number's"
        " ([[numbers]] timezone) when not given, UTC for a number not listed there.",
    )
    emails: tuple[str, ...] = ()
    owner: bool = False
    auto_reply: str | None = None
    forward_to: tuple[str, ...] = ()
    webhook: str | None = Field(default=None, description="Each text is POSTed here as JSON.")
    during: tuple[str, ...] = Field(default=(), description="Calendars: only on their dates.")
    except_during: tuple[str, ...] = Field(default=(), description="Calendars: not on their dates.")

    _emails = field_validator("emails")(classmethod(lambda cls, v: check_addresses(v)))
    _zone = field_validator("timezone")(
        classmethod(lambda cls, v: None if v is None else check_zone(v))
    )

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://hooks.example.com/sms")
        return value

    @field_validator("numbers", "forward_to")
    @classmethod
    def _numbers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_e164(value) for value in values)

    @field_validator("senders")
    @classmethod
    def _senders(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _SENDER_MATCH.match(value):
                raise ValueError(
                    f"{value!r} is neither a number or number prefix (+447700900) nor a country"
                    " code (GB, US)"
                )
        return values

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        words = tuple(normal_form(value) for value in values)
        for value, word in zip(values, words, strict=True):
            if not word or len(word.split()) != 1:
                raise ValueError(f"{value!r} is not one word: a keyword is the text's first word")
        return words

    @field_validator("days")
    @classmethod
    def _days(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(v.strip().lower()[:3] for v in values)
        for value, day in zip(values, days, strict=True):
            if day not in WEEKDAYS:
                raise ValueError(
                    f"{value!r} is not a weekday: write mon, tue, wed, thu, fri, sat, sun"
                )
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None and not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day: write HH:MM, e.g. 09:00 or 17:30")
        return value

    @model_validator(mode="after")
    def _complete(self) -> RouteSettings:
        if (self.start is None) != (self.end is None):
            raise ValueError(f"route {self.name!r}: give both start and end, or neither")
        if self.start is not None and self.start == self.end:
            raise ValueError(f"route {self.name!r}: start and end are the same time")
        if not (self.emails or self.owner or self.auto_reply or self.forward_to or self.webhook):
            raise ValueError(
                f"route {self.name!r} has no destination: give emails, owner = true, auto_reply,"
                " forward_to or webhook"
            )
        if self.default and self.has_conditions:
            raise ValueError(
                f"route {self.name!r} is the default, which matches every text:"
                " remove its conditions"
            )
        return self

    @property
    def has_conditions(self) -> bool:
        return bool(
            self.numbers
            or self.senders
            or self.keywords
            or self.days
            or self.start
            or self.during
            or self.except_during
        )
