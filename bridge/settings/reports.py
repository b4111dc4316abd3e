"""``[[reports]]``: a report emailed to admins once a week or once a month.

``every = "week"`` covers the calendar week just ended (Monday to Monday in
``compliance.timezone``), ``"month"`` the calendar month; it is sent once that period is
over, at ``at`` in the new one: ``"Mon 08:00"`` (a weekday and a time; a week's report) or
``"1 08:00"`` (a day of the month, 1 to 28, and a time; a month's), or a bare ``"08:00"`` on
the first day. ``by`` is the report's grouping (``smsbridge report --by``).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bridge.parsing.calendar import WEEKDAYS
from bridge.settings.compliance import clock_time
from bridge.settings.section import Section, check_addresses

__all__ = ["ReportSchedule"]

_AT = re.compile(r"^\s*(?:(\w+)\s+)?(\d{1,2}:\d{2})\s*$")


class ReportSchedule(Section):
    to: tuple[str, ...] = Field(min_length=1, description="Who receives the report.")
    every: Literal["week", "month"] = Field(default="week", description="The period covered.")
    by: Literal["team", "sender", "provider", "country"] = Field(
        default="team", description="Group the figures by this (as smsbridge report --by)."
    )
    at: str = Field(
        default="Mon 08:00",
        description='When, in compliance.timezone, once the period is over: "Mon 08:00" for a'
        ' week, "1 08:00" for a month, or "08:00" on the first day.',
    )

    _to = field_validator("to")(classmethod(lambda cls, v: check_addresses(v)))

    @model_validator(mode="after")
    def _when(self) -> ReportSchedule:
        self.send_day()  # raises with what to write
        return self

    def send_day(self) -> int:
        """Days after the start of the new period: 0 for Monday or the 1st."""
        day = self._parts()[0]
        if day is None:
            return 0
        if self.every == "week":
            if day.lower()[:3] not in WEEKDAYS or len(day) < 3:
                raise ValueError(f'at: {day!r} is not a weekday: write "Mon 08:00" or "Fri 17:30"')
            return WEEKDAYS.index(day.lower()[:3])
        if not day.isdigit() or not 1 <= int(day) <= 28:
            raise ValueError(f'at: {day!r} is not a day of the month from 1 to 28: write "1 08:00"')
        return int(day) - 1

    def send_time(self) -> time:
        return clock_time(self._parts()[1])

    def _parts(self) -> tuple[str | None, str]:
        found = _AT.match(self.at)
        if found is None:
            raise ValueError(
                f'at: {self.at!r} is not a time: write "Mon 08:00" (a week), "1 08:00" (a'
                ' month) or "08:00"'
            )
        clock_time(found.group(2))
        return found.group(1), found.group(2)
