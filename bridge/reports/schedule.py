"""When a scheduled report (``[[reports]]``) is due, and the key that makes it go once. Pure.

A report covers the calendar week (from Monday) or month just ended in the organisation's
time zone (``compliance.timezone``) and is due from its ``at`` in the new period: a weekday
or a day of the month, at a local time. Only the period just ended is ever due: a bridge
stopped for a whole period does not send the one before on its return.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.chain.periods import calendar_period
from bridge.settings.reports import ReportSchedule

__all__ = ["due_period", "report_key", "title"]


def due_period(
    schedule: ReportSchedule, *, at: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The period (start, end) whose report is due at ``at``, or None before its time."""
    current, _ = calendar_period(schedule.every, at, zone)
    previous, _ = calendar_period(schedule.every, current - timedelta(seconds=1), zone)
    day = current.date() + timedelta(days=schedule.send_day())
    send_at = datetime.combine(day, schedule.send_time(), tzinfo=zone)
    return (previous, current) if at >= send_at else None


def report_key(schedule: ReportSchedule, start: datetime) -> str:
    """The same on every bridge with the same settings: stored once, the email goes once."""
    to = ",".join(sorted(schedule.to))
    return f"report|{schedule.every}|{schedule.by}|{to}|{start:%Y-%m-%d}"


def title(schedule: ReportSchedule, start: datetime) -> str:
    """The email's subject: ``SMS report: week of 2026-11-30, by team``."""
    period = f"week of {start:%Y-%m-%d}" if schedule.every == "week" else f"{start:%B %Y}"
    return f"SMS report: {period}, by {schedule.by}"
