"""The routing table on tables of cases: conditions, windows across midnight and DST, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bridge.errors import ConfigError
from bridge.routing.decide import Router
from bridge.routing.table import InboundText, RoutingTable
from bridge.settings.numbers import ReplyNumber
from bridge.settings.routes import RouteSettings
from tests.conftest import make_settings

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
SALES, SUPPORT = "+447700900100", "+447700900200"
ROUTES = RoutingTable.from_settings(
    (
        RouteSettings(name="vip", senders=("+44770090015",), emails=("vip@example.com",)),
        RouteSettings(
            name="renewals",
            numbers=(SALES,),
            keywords=("renew", "renewal"),
            days=("mon", "tue", "wed", "thu", "fri"),
            start="09:00",
            end="17:30",
            timezone="Europe/London",
            emails=("renewals@example.com",),
        ),
        RouteSettings(name="us-customers", senders=("US",), emails=("us@example.com",)),
        RouteSettings(
            name="night",
            days=("fri",),
            start="22:00",
            end="06:00",
            timezone="Europe/London",
            emails=("oncall@example.com",),
            auto_reply="We are closed; we reply from 9am.",
        ),
        RouteSettings(name="everyone", default=True, owner=True, emails=("team@example.com",)),
    )
)


def local(zone: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("sender", "to", "text", "at", "route"),
    [
        ("+447700900150", SALES, "hello", local(LONDON, 2026, 11, 23, 10, 0), "vip"),
        ("+447700900123", SALES, "Renew!", local(LONDON, 2026, 11, 23, 10, 0), "renewals"),
        ("+447700900123", SALES, "  renewal please", local(LONDON, 2026, 11, 23, 9, 0), "renewals"),
        ("+447700900123", SALES, "RENEW", local(LONDON, 2026, 11, 23, 17, 30), "everyone"),
        ("+447700900123", SALES, "RENEW", local(LONDON, 2026, 11, 22, 10, 0), "everyone"),  # Sun
        ("+447700900123", SUPPORT, "renew", local(LONDON, 2026, 11, 23, 10, 0), "everyone"),
        ("+447700900123", SALES, "renewing", local(LONDON, 2026, 11, 23, 10, 0), "everyone"),
        ("+12025550123", SALES, "hi", local(LONDON, 2026, 11, 23, 10, 0), "us-customers"),
        ("+447700900123", SALES, "hi", local(LONDON, 2026, 11, 27, 23, 0), "night"),  # Fri 23:00
        ("+447700900123", SALES, "hi", local(LONDON, 2026, 11, 28, 3, 0), "night"),  # Sat 03:00
        ("+447700900123", SALES, "hi", local(LONDON, 2026, 11, 28, 7, 0), "everyone"),  # Sat 07:00
        ("+447700900123", SALES, "hi", local(LONDON, 2026, 11, 26, 23, 0), "everyone"),  # Thu 23:00
        ("+447700900123", SALES, "hi", local(LONDON, 2026, 11, 27, 3, 0), "everyone"),  # Fri 03:00
    ],
)
def test_first_match_wins(sender: str, to: str, text: str, at: datetime, route: str) -> None:
    assert ROUTES.resolve(InboundText(sender, to, text), at=at).route == route


@pytest.mark.parametrize(
    ("zone", "date"),
    [
        (LONDON, (2026, 3, 30)),  # the Monday after the clocks went forward (29 March)
        (LONDON, (2026, 10, 26)),  # the Monday after they went back (25 October)
        (NEW_YORK, (2026, 3, 9)),
        (NEW_YORK, (2026, 11, 2)),
    ],
)
def test_office_hours_are_local_on_both_sides_of_dst(
    zone: ZoneInfo, date: tuple[int, int, int]
) -> None:
    table = RoutingTable.from_settings(
        (
            RouteSettings(
                name="hours",
                days=("mon",),
                start="09:00",
                end="17:00",
                timezone=str(zone),
                emails=("office@example.com",),
            ),
            RouteSettings(name="other", default=True, emails=("else@example.com",)),
        )
    )
    text = InboundText("+447700900123", SALES, "hi")
    opening = local(zone, *date, 9, 0)
    assert table.resolve(text, at=opening.astimezone(UTC)).route == "hours"
    assert table.resolve(text, at=local(zone, *date, 8, 59).astimezone(UTC)).route == "other"
    assert table.resolve(text, at=local(zone, *date, 17, 0).astimezone(UTC)).route == "other"


@pytest.mark.parametrize(
    ("zone", "instant", "route"),
    [
        # New York, 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC).
        ("America/New_York", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), "early"),  # 01:30 EST
        ("America/New_York", datetime(2026, 3, 8, 7, 30, tzinfo=UTC), "other"),  # 03:30 EDT
        # New York, 1 November 2026: 02:00 EDT becomes 01:00 EST; 01:30 happens twice.
        ("America/New_York", datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "early"),  # 01:30 EDT
        ("America/New_York", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "early"),  # 01:30 EST
        ("America/New_York", datetime(2026, 11, 1, 8, 0, tzinfo=UTC), "other"),  # 03:00 EST
        # London, 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 happens twice.
        ("Europe/London", datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "early"),  # 01:30 BST
        ("Europe/London", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "early"),  # 01:30 GMT
        ("Europe/London", datetime(2026, 10, 25, 3, 0, tzinfo=UTC), "other"),  # 03:00 GMT
    ],
)
def test_windows_on_the_dst_sundays(zone: str, instant: datetime, route: str) -> None:
    table = RoutingTable.from_settings(
        (
            RouteSettings(
                name="early",
                days=("sun",),
                start="00:30",
                end="03:00",
                timezone=zone,
                emails=("early@example.com",),
            ),
            RouteSettings(name="other", default=True, emails=("else@example.com",)),
        )
    )
    assert table.resolve(InboundText("+12025550123", SALES, "hi"), at=instant).route == route


def test_a_window_on_the_dst_sunday_in_london() -> None:
    table = RoutingTable.from_settings(
        (
            RouteSettings(
                name="early",
                days=("sun",),
                start="00:30",
                end="03:00",
                timezone="Europe/London",
                emails=("early@example.com",),
            ),
            RouteSettings(name="other", default=True, emails=("else@example.com",)),
        )
    )
    text = InboundText("+447700900123", SALES, "hi")
    # 29 March 2026: 01:00 GMT becomes 02:00 BST. 00:45 UTC is 00:45 local, 01:30 UTC is 02:30.
    assert table.resolve(text, at=datetime(2026, 3, 29, 0, 45, tzinfo=UTC)).route == "early"
    assert table.resolve(text, at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC)).route == "early"
    assert table.resolve(text, at=datetime(2026, 3, 29, 2, 0, tzinfo=UTC)).route == "other"


def test_explanation_gives_each_route_and_why() -> None:
    decision = ROUTES.resolve(
        InboundText("+447700900123", SALES, "Hello"), at=local(LONDON, 2026, 11, 22, 22, 15)
    )
    explained = decision.explain()
    assert decision.route == "everyone"
    assert "vip: no: the sender +447700900123 is not +44770090015" in explained
    assert "the keyword is HELLO, not RENEW or RENEWAL" in explained
    assert "22:15 Sunday in Europe/London is outside mon,tue,wed,thu,fri 09:00-17:30" in explained
    assert "team@example.com" in explained and decision.local_time.startswith("22:15 Sunday")


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        ROUTES.resolve(InboundText("+447700900123", SALES, "hi"), at=datetime(2026, 1, 1, 9))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"numbers": ["07700 900100"]}, "not a phone number in E.164"),
        ({"senders": ["Britain"]}, "neither a number"),
        ({"keywords": ["two words"]}, "is not one word"),
        ({"days": ["funday"]}, "is not a weekday"),
        ({"start": "9am", "end": "17:00"}, "HH:MM"),
        ({"start": "09:00"}, "give both start and end"),
        ({"timezone": "Europe/Londres"}, "not an IANA time zone"),
        ({"emails": []}, "has no destination"),
        ({"emails": ["bob@@example.com"]}, "'bob@@example.com' is not an email address"),
        ({"webhook": "hooks.example.com/sms"}, "is not an http(s) URL"),
        ({"default": True, "keywords": ["x"]}, "remove its conditions"),
    ],
)
def test_route_validation_speaks_plainly(fields: dict[str, Any], words: str) -> None:
    values = {"name": "r", "emails": ["a@example.com"], **fields}
    with pytest.raises(ValidationError) as raised:
        RouteSettings(**values)
    assert words in str(raised.value)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('[[routes]]\nname = "a"\nemails = ["a@example.com"]\n', "exactly one route with default"),
        (
            '[[routes]]\nname = "a"\ndefault = true\nemails = ["a@example.com"]\n'
            '[[routes]]\nname = "b"\nkeywords = ["x"]\nemails = ["b@example.com"]\n',
            "must be the last",
        ),
        (
            '[[routes]]\nname = "a"\nkeywords = ["x"]\nemails = ["a@example.com"]\n'
            '[[routes]]\nname = "a"\ndefault = true\nemails = ["b@example.com"]\n',
            "used twice: a",
        ),
    ],
)
def test_table_validation(tmp_path: Path, extra: str, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_settings(tmp_path, extra=extra)
    assert words in raised.value.report()


@given(
    sender=st.sampled_from(["+447700900123", "+447700900155", "+12025550123", "+33612345678"]),
    to=st.sampled_from([SALES, SUPPORT]),
    text=st.text(max_size=30) | st.sampled_from(["renew", "Renewal!", " RENEW now", "hello"]),
    at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_explain_and_the_router_always_agree(sender: str, to: str, text: str, at: datetime) -> None:
    decision = ROUTES.resolve(InboundText(sender, to, text), at=at)
    explained = decision.explain().splitlines()
    assert explained[-1].startswith(f"Route {decision.route!r}") or any(
        line.startswith(f"Route {decision.route!r}") for line in explained
    )
    matched = [line for line in explained if line.endswith(": matched")]
    assert matched == [f"  {decision.route}: matched"]
    names = [step.route for step in decision.considered]
    assert names == [r.name for r in ROUTES.routes][: len(names)] and names[-1] == decision.route
    for step, route in zip(decision.considered, ROUTES.routes, strict=False):
        failing = [c.check(InboundText(sender, to, text), at=at) for c in route.conditions]
        assert step.reasons == tuple(r for r in failing if r is not None)


def test_a_route_without_a_zone_takes_the_reply_numbers() -> None:
    """Office hours on a London number and a New York number, one route for both; a number
    not in [[numbers]] reads them in UTC."""
    numbers = tuple(
        ReplyNumber(number=number, timezone=zone)
        for number, zone in ((SALES, "Europe/London"), (SUPPORT, "America/New_York"))
    )
    office = RouteSettings(
        name="office", start="09:00", end="17:00", emails=("office@example.com",)
    )
    rest = RouteSettings(name="rest", default=True, emails=("team@example.com",))
    router = Router((office, rest), (), numbers)
    at = local(LONDON, 2026, 7, 1, 9, 30)  # 08:30 UTC, 04:30 in New York
    london = router(InboundText("+447700900123", SALES, "hi"), at)
    new_york = router(InboundText("+447700900123", SUPPORT, "hi"), at)
    unlisted = router(InboundText("+447700900123", "+447700900999", "hi"), at)
    assert (london.route, london.timezone) == ("office", "Europe/London")
    assert (new_york.route, new_york.timezone) == ("rest", "America/New_York")
    assert (unlisted.route, unlisted.timezone) == ("rest", "UTC")
    assert "04:30 Wednesday in America/New_York is outside every day" in new_york.explanation
