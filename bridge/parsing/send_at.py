"""When an author asked for a text to go: ``[tomorrow 9am]`` in the subject, ``Send-At:``.

An author writes a send-at time in their own time zone (their sender rule's ``timezone``,
else ``compliance.timezone``), in one of a few forms a person types:

| Written | Means |
|---|---|
| ``at 09:00``, ``at 9am``, ``at 9:30 pm`` | that time today; tomorrow if it has passed |
| ``tomorrow 9am``, ``tomorrow at 09:00`` | that time tomorrow |
| ``mon 14:30``, ``friday at 8am`` | the next such weekday with that time still ahead (today counts) |
| ``2026-12-24 08:30``, ``2026-12-24T08:30`` | that local date and time |
| ``2026-12-24T08:30+01:00``, ``…Z`` | that instant, whatever the zone |
| ``Thu, 24 Dec 2026 08:30:00 +0000`` | the date format of email headers (``Send-At:`` only) |

Local times are made exact with zoneinfo. A time that does not exist (the hour skipped when
clocks go forward) moves forward to the first minute that does (01:30 on the last Sunday of
March in London is 02:00 BST). A time that happens twice (the hour repeated when clocks go
back) is the first of the two (01:30 BST, not 01:30 GMT). A time in the past or more than
``max_days`` ahead, or one that cannot be read, is refused with a sentence that says why.

Pure: the time now is a parameter, nothing here reads a clock.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

__all__ = ["HEADERS", "SendAtError", "local_time", "parse_send_at", "when_local"]

HEADERS = ("Send-At", "X-Send-At")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?"
_AT = re.compile(rf"^at\s+{_CLOCK}$")
_TOMORROW = re.compile(rf"^tomorrow\s+(?:at\s+)?{_CLOCK}$")
_WEEKDAY = re.compile(rf"^(?P<day>[a-z]{{3,9}})\s+(?:at\s+)?{_CLOCK}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[ t]\d{1,2}:\d{2}")
_EXAMPLES = "[at 09:00], [at 9am], [tomorrow 9am], [mon 14:30] or [2026-12-24 08:30]"


class SendAtError(ValueError):
    """A send-at time that cannot be honoured; ``reason`` is the sentence the author reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_send_at(spec: str, *, zone: str, now: datetime, max_days: int) -> datetime:
    """The instant (UTC) ``spec`` names, read in ``zone`` as of ``now``; ``SendAtError`` if
    it cannot be read, has passed, or is more than ``max_days`` ahead."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    where = ZoneInfo(zone)
    words = " ".join(spec.split()).lower()
    when = _instant(words, where, now)
    if when is None:
        raise SendAtError(
            f"The send-at time {spec.strip()!r} could not be read: write it as {_EXAMPLES},"
            f" in your time zone ({zone})."
        )
    if when <= now:
        raise SendAtError(
            f"The send-at time {when_local(when, zone, year=True)} has already passed: give a time in"
            " the future, or leave the time out to send the text now."
        )
    if when > now + timedelta(days=max_days):
        raise SendAtError(
            f"The send-at time {when_local(when, zone, year=True)} is more than {max_days} days ahead:"
            f" texts can be scheduled at most {max_days} days ahead."
        )
    return when.astimezone(UTC)


def _instant(words: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The instant of a written time, or None if it is none of the known forms."""
    today = now.astimezone(zone).date()
    for pattern, ahead in ((_AT, (0, 1)), (_TOMORROW, (1,))):
        found = pattern.match(words)
        if found:
            return _first_ahead(found, [today + timedelta(d) for d in ahead], zone, now)
    found = _WEEKDAY.match(words)
    if found and found.group("day")[:3] in _WEEKDAYS and _is_weekday(found.group("day")):
        wanted = _WEEKDAYS.index(found.group("day")[:3])
        days = [today + timedelta(d) for d in range(8) if (today.weekday() + d) % 7 == wanted]
        return _first_ahead(found, days, zone, now)
    if _ISO.match(words):
        return _iso(words, zone)
    return _rfc5322(words)


def _is_weekday(word: str) -> bool:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return any(name.startswith(word) for name in names) or word in ("tues", "thur", "thurs")


def _first_ahead(
    found: re.Match[str], days: list[date], zone: ZoneInfo, now: datetime
) -> datetime | None:
    """The first of ``days`` at the written time that is still ahead of ``now``."""
    at = _clock(found)
    if at is None:
        return None
    instants = [local_time(day, at, zone) for day in days]
    ahead = [instant for instant in instants if instant > now]
    return ahead[0] if ahead else instants[-1]


def _clock(found: re.Match[str]) -> time | None:
    """The time of day written (``9am``, ``09:00``, ``9:30 pm``); a bare ``9`` is none."""
    hour, minute, half = int(found.group("hour")), found.group("minute"), found.group("half")
    if half is None and minute is None:
        return None
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or int(minute or 0) > 59:
        return None
    return time(hour, int(minute or 0))


def _iso(words: str, zone: ZoneInfo) -> datetime | None:
    try:
        written = datetime.fromisoformat(words.upper())
    except ValueError:
        return None
    if written.tzinfo is not None:  # an explicit offset names one instant
        return written
    return local_time(written.date(), written.time(), zone)


def _rfc5322(words: str) -> datetime | None:
    """An email header's date (``Thu, 24 Dec 2026 08:30:00 +0000``), which names its offset."""
    try:
        written = parsedate_to_datetime(words)
    except (TypeError, ValueError, IndexError):
        return None
    return written if written.tzinfo is not None else None


def local_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone``: the first occurrence when the clocks went back; when
    they went forward past it, the first minute that exists after the gap."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first  # exists (fold=0 is the first of two, when it happens twice)
    return _after_gap(naive, zone)


def _after_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant the clocks jumped over ``naive``: the gap's end, in ``zone``."""
    earliest = min(
        naive.replace(tzinfo=zone, fold=0).astimezone(UTC),
        naive.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )
    offset = earliest.astimezone(zone).utcoffset()
    step = earliest.replace(second=0, microsecond=0)
    while step.astimezone(zone).utcoffset() == offset:  # a gap is at most a day long
        step += timedelta(minutes=1)
    return step.astimezone(zone)


def when_local(when: datetime, zone: str, *, year: bool = False) -> str:
    """``Tue 3 Dec 09:00 Europe/London`` (``year``: ``Tue 3 Dec 2026 09:00 …``): how a
    scheduled time is shown to its author, in their zone."""
    local = when.astimezone(ZoneInfo(zone))
    shown = f" {local.year}" if year else ""
    return f"{local:%a} {local.day} {local:%b}{shown} {local:%H:%M} {zone}"
