"""Closures and holidays: dates, ranges and iCalendar files, and routes that follow or avoid them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.parsing.calendar import dates_from_ics, expand
from bridge.routing.table import InboundText, RoutingTable
from tests.conftest import make_settings

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//holidays//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1@example.com\r\nDTSTART;VALUE=DATE:20261225\r\n"
    "DTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas and\r\n  Boxing Day\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:2@example.com\r\nDTSTART;VALUE=DATE:20270101\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:3@example.com\r\nDTSTART:20261231T180000Z\r\n"
    "DTEND:20261231T230000Z\r\nSUMMARY:party (timed: not read)\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)
CLOSURE = """
[[calendars]]
name = "closed"
dates = ["2026-12-24..2026-12-24"]
ics = "holidays.ics"

[[routes]]
name = "office"
except_during = ["closed"]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:00"
timezone = "Europe/London"
emails = ["office@example.com"]

[[routes]]
name = "closure"
during = ["closed"]
timezone = "Europe/London"
emails = ["oncall@example.com"]
auto_reply = "We are closed for the holidays and reply from 4 January."

[[routes]]
name = "everyone"
default = true
emails = ["team@example.com"]
"""


def test_dates_and_ranges() -> None:
    assert expand(("2026-12-24..2026-12-26", "2027-01-01")) == {
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    }
    with pytest.raises(ValueError, match="ends before it starts"):
        expand(("2026-12-26..2026-12-24",))
    with pytest.raises(ValueError, match="is not a date"):
        expand(("25/12/2026",))


def test_all_day_events_from_ics() -> None:
    days, skipped = dates_from_ics(ICS)
    assert days == {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}
    assert skipped == 1


@pytest.mark.parametrize(
    ("at", "route"),
    [
        (datetime(2026, 12, 23, 10, 0, tzinfo=UTC), "office"),
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "closure"),  # a Thursday, but closed
        (datetime(2026, 12, 25, 23, 30, tzinfo=UTC), "closure"),
        (datetime(2026, 12, 28, 10, 0, tzinfo=UTC), "office"),
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), "closure"),
        (datetime(2026, 12, 31, 20, 0, tzinfo=UTC), "everyone"),  # the timed event is not read
    ],
)
def test_a_closure_changes_the_route(tmp_path: Path, at: datetime, route: str) -> None:
    (tmp_path / "holidays.ics").write_text(ICS)
    settings = make_settings(tmp_path, extra=CLOSURE)
    table = RoutingTable.from_settings(settings.routes, settings.calendars)
    decision = table.resolve(InboundText("+447700900123", "+447700900100", "hi"), at=at)
    assert decision.route == route


def test_the_explanation_names_the_calendar(tmp_path: Path) -> None:
    (tmp_path / "holidays.ics").write_text(ICS)
    settings = make_settings(tmp_path, extra=CLOSURE)
    table = RoutingTable.from_settings(settings.routes, settings.calendars)
    text = InboundText("+447700900123", "+447700900100", "hi")
    explained = table.resolve(text, at=datetime(2026, 12, 24, 10, 0, tzinfo=UTC)).explain()
    assert "office: no: Thu 24 Dec 2026 is in the calendar 'closed'" in explained


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (CLOSURE.replace('"holidays.ics"', '"missing.ics"'), "cannot read"),
        (
            CLOSURE.replace('except_during = ["closed"]', 'except_during = ["xmas"]'),
            "names calendar(s) xmas that no [[calendars]] entry defines",
        ),
    ],
)
def test_calendar_mistakes_are_reported(tmp_path: Path, extra: str, words: str) -> None:
    (tmp_path / "holidays.ics").write_text(ICS)
    with pytest.raises(ConfigError) as raised:
        make_settings(tmp_path, extra=extra)
    assert words in raised.value.report()
