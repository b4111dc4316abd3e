"""Send-at times as authors write them, in their zone, across DST changes (pure: a table)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.parsing.send_at import SendAtError, parse_send_at, when_local
from bridge.parsing.tags import schedule_tags

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (written, zone, now (UTC), the instant meant (UTC))
CASES = [
    # Wed 2 Dec 2026, 10:00 GMT: 09:00 has passed today, so tomorrow; 11:00 is still today
    ("at 09:00", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 3, 9)),
    ("at 11:00", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 2, 11)),
    ("at 9am", LONDON, utc(2026, 12, 2, 8), utc(2026, 12, 2, 9)),
    ("AT 9:30 PM", LONDON, utc(2026, 12, 2, 8), utc(2026, 12, 2, 21, 30)),
    ("at 12am", LONDON, utc(2026, 12, 2, 8), utc(2026, 12, 3, 0)),
    ("at 12pm", LONDON, utc(2026, 12, 2, 8), utc(2026, 12, 2, 12)),
    ("tomorrow 9am", LONDON, utc(2026, 12, 2, 8), utc(2026, 12, 3, 9)),
    ("tomorrow at 09:00", NEW_YORK, utc(2026, 12, 2, 8), utc(2026, 12, 3, 14)),
    # the author's today, not UTC's: 01:00 UTC Thursday is still Wednesday in New York
    ("tomorrow 9am", NEW_YORK, utc(2026, 12, 3, 1), utc(2026, 12, 3, 14)),
    # the next such weekday: Monday 7 Dec; Wednesday today with the time ahead is today
    ("mon 14:30", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 7, 14, 30)),
    ("wednesday 14:30", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 2, 14, 30)),
    ("wed 09:00", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 9, 9)),
    ("2026-12-24 08:30", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 24, 8, 30)),
    ("2026-12-24T08:30", NEW_YORK, utc(2026, 12, 2, 10), utc(2026, 12, 24, 13, 30)),
    ("2026-12-24T08:30+01:00", NEW_YORK, utc(2026, 12, 2, 10), utc(2026, 12, 24, 7, 30)),
    ("2026-12-24T08:30Z", NEW_YORK, utc(2026, 12, 2, 10), utc(2026, 12, 24, 8, 30)),
    ("Thu, 24 Dec 2026 08:30:00 +0000", LONDON, utc(2026, 12, 2, 10), utc(2026, 12, 24, 8, 30)),
    # London, clocks forward at 01:00 GMT on Sun 29 Mar 2026: 01:30 does not exist -> 02:00 BST
    ("2026-03-29 01:30", LONDON, utc(2026, 3, 20), utc(2026, 3, 29, 1)),
    ("tomorrow 01:30", LONDON, utc(2026, 3, 28, 12), utc(2026, 3, 29, 1)),
    ("tomorrow 09:00", LONDON, utc(2026, 3, 28, 12), utc(2026, 3, 29, 8)),  # BST
    # London, clocks back at 02:00 BST on Sun 25 Oct 2026: 01:30 happens twice -> the first (BST)
    ("2026-10-25 01:30", LONDON, utc(2026, 10, 20), utc(2026, 10, 25, 0, 30)),
    ("tomorrow 09:00", LONDON, utc(2026, 10, 24, 12), utc(2026, 10, 25, 9)),  # GMT again
    # New York, forward at 02:00 EST on Sun 8 Mar 2026: 02:30 -> 03:00 EDT
    ("2026-03-08 02:30", NEW_YORK, utc(2026, 3, 1), utc(2026, 3, 8, 7)),
    # New York, back at 02:00 EDT on Sun 1 Nov 2026: 01:30 -> the first, EDT
    ("2026-11-01 01:30", NEW_YORK, utc(2026, 10, 20), utc(2026, 11, 1, 5, 30)),
]


@pytest.mark.parametrize(("written", "zone", "now", "meant"), CASES)
def test_a_written_time_names_one_instant(
    written: str, zone: str, now: datetime, meant: datetime
) -> None:
    assert parse_send_at(written, zone=zone, now=now, max_days=90) == meant


REFUSED = [
    ("at 9", "could not be read"),  # am or pm?
    ("at 25:00", "could not be read"),
    ("at 13pm", "could not be read"),
    ("next week", "could not be read"),
    ("2026-02-30 09:00", "could not be read"),
    ("2026-12-01 09:00", "has already passed"),
    ("2026-12-02T09:59Z", "has already passed"),
    ("2027-06-01 09:00", "more than 90 days ahead"),
]


@pytest.mark.parametrize(("written", "says"), REFUSED)
def test_a_time_that_cannot_be_honoured_is_refused_in_words(written: str, says: str) -> None:
    with pytest.raises(SendAtError) as refused:
        parse_send_at(written, zone=LONDON, now=utc(2026, 12, 2, 10), max_days=90)
    assert says in refused.value.reason
    assert "Europe/London" in refused.value.reason or "days ahead" in refused.value.reason


def test_the_limit_of_days_ahead_is_the_settings():
    now = utc(2026, 12, 2, 10)
    assert parse_send_at("2026-12-10 09:00", zone=LONDON, now=now, max_days=10)
    with pytest.raises(SendAtError):
        parse_send_at("2026-12-13 09:00", zone=LONDON, now=now, max_days=10)


def test_the_time_is_shown_in_the_authors_zone():
    assert when_local(utc(2026, 12, 3, 14), NEW_YORK) == "Thu 3 Dec 09:00 America/New_York"
    assert when_local(utc(2026, 7, 1, 8), LONDON, year=True) == "Wed 1 Jul 2026 09:00 Europe/London"


@pytest.mark.parametrize(
    ("subject", "times", "rest"),
    [
        ("[at 9am] Parcel", ("at 9am",), "Parcel"),
        ("Parcel [Tomorrow 09:00] [urgent]", ("Tomorrow 09:00",), "Parcel [urgent]"),
        ("[tomorrow at 9am] Parcel", ("tomorrow at 9am",), "Parcel"),
        ("[mon 14:30] Rota", ("mon 14:30",), "Rota"),
        ("[2026-12-24 08:30] Xmas", ("2026-12-24 08:30",), "Xmas"),
        ("[2026-12-24T08:30+01:00] Xmas", ("2026-12-24T08:30+01:00",), "Xmas"),
        ("[attention] [at] no time", (), "[attention] [at] no time"),
        ("[EXTERNAL] Parcel", (), "[EXTERNAL] Parcel"),
    ],
)
def test_schedule_tags_are_taken_out_of_the_subject(
    subject: str, times: tuple[str, ...], rest: str
) -> None:
    assert schedule_tags(subject) == (times, rest)
