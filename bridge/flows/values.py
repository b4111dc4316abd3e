"""Checking the value an ``ask`` step collects, and writing it the one way it is kept.

``date``: 24/12/2026, 24/12/26, 24/12 (the next such day), 2026-12-24, "24 December",
"Dec 24th 2026", "today", "tomorrow", read day first as in the UK, relative to the time of
the text in the reply number's time zone; kept as 2026-12-24. A day already past is refused
(a booking is in the future). ``uk_postcode``: the Royal Mail's shapes (SW1A 1AA, M1 1AE),
any case and spacing; kept upper case with one space. ``regex``: the whole answer matches
the pattern (``re.fullmatch``, case-insensitive), kept as typed. ``text``: anything but
nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["check_value"]

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_WORDY = re.compile(
    rf"^{_DAY}\s+([a-z]+)\.?(?:\s+(\d{{4}}))?$|^([a-z]+)\.?\s+{_DAY}(?:\s+(\d{{4}}))?$"
)


def check_value(kind: str, text: str, *, pattern: str = "", at: datetime) -> str | None:
    """The value as kept, or None when ``text`` is not one of ``kind``; ``at`` is aware, in
    the zone dates are read in."""
    answer = " ".join(text.split()).strip(" .!")
    if kind == "uk_postcode":
        found = _POSTCODE.match(answer.upper())
        return f"{found.group(1)} {found.group(2)}" if found else None
    if kind == "date":
        day = _date(answer.casefold().replace(",", ""), at.date())
        return day.isoformat() if day is not None and day >= at.date() else None
    if kind == "regex":
        return answer if re.fullmatch(pattern, answer, re.IGNORECASE) else None
    return answer or None


def _date(answer: str, today: date) -> date | None:
    if answer in ("today", "tomorrow"):
        return today + timedelta(days=answer == "tomorrow")
    numeric, iso, wordy = _NUMERIC.match(answer), _ISO.match(answer), _WORDY.match(answer)
    if iso:
        return _make(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    if numeric:
        year = numeric.group(3)
        full = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _near(today, int(numeric.group(2)), int(numeric.group(1)), full)
    if wordy:
        day, name, year = (
            wordy.group(1, 2, 3)
            if wordy.group(1)
            else (wordy.group(5), wordy.group(4), wordy.group(6))
        )
        month = _MONTHS.get(name)
        if month is None:
            return None
        return _near(today, month, int(day), int(year) if year else None)
    return None


def _near(today: date, month: int, day: int, year: int | None) -> date | None:
    """The date, in ``year`` or else the next time that day comes round."""
    if year is not None:
        return _make(year, month, day)
    this_year = _make(today.year, month, day)
    if this_year is not None and this_year < today:
        return _make(today.year + 1, month, day)
    return this_year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
