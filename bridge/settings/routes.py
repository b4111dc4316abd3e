"""``[[routes]]`` and ``[[calendars]]``: the routing table for customers' texts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from bridge.parsing.calendar import WEEKDAYS, dates_from_ics, expand
from bridge.parsing.keywords import normal_form
from bridge.settings.numbers import check_e164
from bridge.settings.section import (
    LocalPath,
    Section,
    SettingError,
    check_addresses,
    check_zone,
)

__all__ = ["CalendarSettings", "RouteSettings", "RouteTable", "table_faults"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SENDER_MATCH = re.compile(r"^\+[1-9]\d{0,14}$|^[A-Z]{2}$")


class CalendarSettings(Section):
    """Named dated periods (closures, holidays) that routes can follow or avoid."""

    name: str = Field(min_length=1)
    dates: tuple[str, ...] = ()
    ics: LocalPath | None = Field(default=None, description="An iCalendar file of all-day events.")

    @field_validator("dates")
    @classmethod
    def _dates(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        expand(values)  # raises with the date that is wrong and how to write it
        return values

    @field_validator("ics")
    @classmethod
    def _ics(cls, value: Path | None) -> Path | None:
        """Routes read the file when the table is built; one they could not read is refused
        here, at its key."""
        if value is not None:
            _ics_days(value)
        return value

    def days(self) -> frozenset[date]:
        found = expand(self.dates)
        return found | _ics_days(self.ics) if self.ics is not None else found


def _ics_days(path: Path) -> frozenset[date]:
    """Read by every loading: commands explain routes with the calendars too."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(
            f"cannot read {path}: {exc.strerror}; give an iCalendar file of all-day events"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not an iCalendar file (it is not text)") from None
    return dates_from_ics(text)[0]


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
        SettingError.raise_any(self._faults())
        return self

    def _faults(self) -> list[tuple[str, str]]:
        faults = []
        if (self.start is None) != (self.end is None):
            absent = "end" if self.end is None else "start"
            faults.append((absent, f"route {self.name!r}: give both start and end, or neither"))
        if self.start is not None and self.start == self.end:
            faults.append(("end", f"route {self.name!r}: start and end are the same time"))
        if not (self.emails or self.owner or self.auto_reply or self.forward_to or self.webhook):
            faults.append(
                (
                    "",
                    f"route {self.name!r} has no destination: give emails, owner = true,"
                    " auto_reply, forward_to or webhook",
                )
            )
        if self.default and self.has_conditions:
            faults.append(
                (
                    "default",
                    f"route {self.name!r} is the default, which matches every text:"
                    " remove its conditions",
                )
            )
        return faults

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


class RouteTable(Section):
    """The routing table alone, as ``[[routes]]`` and ``[[calendars]]`` write it: checked by
    the loader when another section is wrong (``Settings`` then never checks it), so that
    one pass reports the table's faults too."""

    routes: tuple[RouteSettings, ...] = ()
    calendars: tuple[CalendarSettings, ...] = ()

    @model_validator(mode="after")
    def _whole(self) -> RouteTable:
        SettingError.raise_any(table_faults(self.routes, self.calendars))
        return self


def table_faults(
    routes: tuple[RouteSettings, ...], calendars: tuple[CalendarSettings, ...]
) -> list[tuple[str, str]]:
    """The routing table as a whole: calendars that exist, unique names, one default, last.
    Each fault is at the key of the route it concerns (``routes.2.during``)."""
    known = {calendar.name for calendar in calendars}
    faults = []
    first: dict[str, int] = {}
    for index, route in enumerate(routes):
        for key in ("during", "except_during"):
            unknown = sorted(set(getattr(route, key)) - known)
            if unknown:
                faults.append(
                    (
                        f"routes.{index}.{key}",
                        f"route {route.name!r} names calendar(s) {', '.join(unknown)} that no"
                        " [[calendars]] entry defines",
                    )
                )
        if route.name in first:
            faults.append(
                (
                    f"routes.{index}.name",
                    f"each route name must be unique; used twice: {route.name}",
                )
            )
        first.setdefault(route.name, index)
    return faults + _default_faults(routes)


def _default_faults(routes: tuple[RouteSettings, ...]) -> list[tuple[str, str]]:
    rule = (
        "the table needs exactly one route with default = true, and it must be the last"
        " (routes are tried in order and the default matches every text)"
    )
    last = len(routes) - 1
    early = [
        (f"routes.{i}.default", f"{rule}: move it to the end")
        for i, r in enumerate(routes)
        if r.default and i != last
    ]
    if routes and not routes[-1].default:
        return [*early, (f"routes.{last}", f"{rule}: add default = true to the last route")]
    return early
