"""When texts may go, in a recipient's time zones: a daily window and quiet days.

Pure: a ``QuietTime`` answers for an aware time. The window may wrap midnight (``22:00-06:00``)
and is read in local time, so a change of clocks moves it with the recipient (zoneinfo); a
quiet day (a weekday, a holiday) is quiet from its local midnight to the next. A recipient
who may be in several zones (a number whose area spans them) gets the safe overlap: the
window is open only when it is open in every zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bridge.parsing.calendar import WEEKDAYS

__all__ = ["QuietTime"]

_SEARCH_DAYS = 15  # a window closed longer than this (every day a holiday) is not waited for
_ALL_DAY = (time(0, 0), time(0, 0))


@dataclass(frozen=True, slots=True)
class QuietTime:
    window: tuple[time, time] | None = None  # open from, to (may wrap); None: all day
    weekdays: frozenset[str] = frozenset()  # quiet weekdays, as routes write them ("sun")
    dates: frozenset[date] = frozenset()  # quiet dates (holidays), local

    def is_open(self, zone: ZoneInfo, at: datetime) -> bool:
        local = at.astimezone(zone)
        if self._quiet_day(local.date()):
            return False
        start, end = self.window or _ALL_DAY
        now = local.time().replace(tzinfo=None)
        if start < end:
            return start <= now < end
        return now >= start or now < end  # wraps midnight, or all day

    def next_open(self, zones: Sequence[ZoneInfo], at: datetime) -> datetime | None:
        """``at`` if open in every zone, else the first time it is; None if not within two
        weeks (the zones share no hour of the window, or every day is quiet)."""
        candidate = at
        limit = at + timedelta(days=_SEARCH_DAYS)
        while candidate < limit:
            closed = [zone for zone in zones if not self.is_open(zone, candidate)]
            if not closed:
                return candidate
            opening = self._opening(closed[0], candidate)
            if opening is None:
                return None
            candidate = opening
        return None

    def _opening(self, zone: ZoneInfo, at: datetime) -> datetime | None:
        """The first time after ``at`` the window opens in ``zone`` (DST-correct)."""
        start = (self.window or _ALL_DAY)[0]
        day = at.astimezone(zone).date()
        for offset in range(_SEARCH_DAYS + 1):
            local = datetime.combine(day + timedelta(days=offset), start, tzinfo=zone)
            # a start inside a spring-forward gap is read with the offset before the change
            # and normalised: 01:30 in London on the last Sunday of March is 02:30 BST
            opening = local.astimezone(UTC).astimezone(zone)
            if opening > at and not self._quiet_day(opening.date()):
                return opening
        return None

    def _quiet_day(self, day: date) -> bool:
        return day in self.dates or WEEKDAYS[day.weekday()] in self.weekdays
