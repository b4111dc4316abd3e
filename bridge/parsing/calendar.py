"""Dated periods for routes: closures and holidays, from the TOML or an iCalendar file.

Dates are written ``2026-12-25`` or as an inclusive range ``2026-12-24..2026-12-26``. An
``.ics`` file contributes its all-day events (``DTSTART;VALUE=DATE``, ``DTEND`` exclusive, as
RFC 5545 defines); timed events and recurrence rules are not read, which the check reports.
A text falls in a calendar when its date, in the route's time zone, is one of the dates.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["WEEKDAYS", "dates_from_ics", "expand"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as routes write them, Monday first

_DATE_VALUE = re.compile(r"^(\d{8})$")


def expand(entries: tuple[str, ...]) -> frozenset[date]:
    """``("2026-12-24..2026-12-26", "2027-01-01")`` as the set of those days."""
    days: set[date] = set()
    for entry in entries:
        first, _, last = entry.partition("..")
        start = _day(first)
        end = _day(last) if last else start
        if end < start:
            raise ValueError(f"{entry!r} ends before it starts: write the earlier date first")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a date: write 2026-12-25") from None


def dates_from_ics(text: str) -> tuple[frozenset[date], int]:
    """The days covered by all-day events, and how many events could not be read that way."""
    days: set[date] = set()
    skipped = 0
    for event in _events(_unfolded(text)):
        span = _all_day(event)
        if span is None or "RRULE" in event:
            skipped += 1
            continue
        start, end = span
        days.update(start + timedelta(days=n) for n in range(max((end - start).days, 1)))
    return frozenset(days), skipped


def _unfolded(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def _events(lines: list[str]) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line.strip() == "BEGIN:VEVENT":
            current = {}
        elif line.strip() == "END:VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, _, value = line.partition(":")
            current[name.split(";")[0].upper()] = value.strip()
    return events


def _all_day(event: dict[str, str]) -> tuple[date, date] | None:
    start = _DATE_VALUE.match(event.get("DTSTART", ""))
    if start is None:
        return None
    first = _compact(start.group(1))
    end = _DATE_VALUE.match(event.get("DTEND", ""))
    return first, (_compact(end.group(1)) if end else first + timedelta(days=1))


def _compact(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))
