"""The periods caps count over: a calendar day, week (from Monday) or month in a time zone,
or the last 24 hours, 7 days or 30 days. Pure; DST-correct (local midnights via zoneinfo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["ROLLING", "calendar_period", "period_words", "utc_period"]

ROLLING = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def calendar_period(per: str, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The start of the calendar ``per`` holding ``at`` in ``zone``, and the next one's."""
    return _bounds(per, at.astimezone(zone).date(), zone)


def utc_period(per: str, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``calendar_period`` in UTC: compared with times in UTC, as caps compare every counted
    text, aware times with one and the same zone compare without asking it for offsets."""
    return _utc_bounds(per, at.astimezone(zone).date(), zone)


@lru_cache(maxsize=1024)  # every text asks; the answer changes once a day per zone
def _utc_bounds(per: str, today: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start, after = _bounds(per, today, zone)
    return start.astimezone(UTC), after.astimezone(UTC)


@lru_cache(maxsize=1024)
def _bounds(per: str, today: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    if per == "day":
        first, after = today, today + timedelta(days=1)
    elif per == "week":
        first = today - timedelta(days=today.weekday())
        after = first + timedelta(days=7)
    else:
        first = today.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    return _midnight(first, zone), _midnight(after, zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(0, 0), tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone)


def period_words(per: str, mode: str) -> str:
    """``this month`` (calendar), ``in the last 30 days`` (rolling)."""
    if mode == "calendar":
        return {"day": "today", "week": "this week", "month": "this month"}[per]
    return {
        "day": "in the last 24 hours",
        "week": "in the last 7 days",
        "month": "in the last 30 days",
    }[per]
