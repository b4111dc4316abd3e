"""``smsbridge routes check``, ``routes explain`` and ``inbox``, run as the admin runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.routing.checks import warnings_for
from bridge.settings.inbound import InboundSettings
from bridge.settings.routes import RouteSettings

ROUTES = """
[smtp]
domains = ["sms.example.com"]

[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
timezone = "Europe/London"

[[routes]]
name = "renewals"
keywords = ["renew", "renewal"]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:30"
timezone = "Europe/London"
emails = ["renewals@example.com"]

[[routes]]
name = "everyone"
default = true
owner = true
emails = ["team@example.com"]
"""


def smsbridge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_passes_a_good_table(tmp_path: Path) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES)
    result = smsbridge("routes", "check", str(tmp_path / "routes.toml"))
    assert result.returncode == 0 and "OK, 2 route(s), 0 warning(s)" in result.stdout


def test_check_reports_errors_with_file_and_line(tmp_path: Path) -> None:
    bad = ROUTES.replace('start = "09:00"', 'start = "9am"')
    (tmp_path / "routes.toml").write_text(bad)
    result = smsbridge("routes", "check", str(tmp_path / "routes.toml"))
    assert result.returncode == 2
    assert (
        f"{tmp_path / 'routes.toml'}:14: routes.0.start: '9am' is not a time of day: write HH:MM,"
        " e.g. 09:00 or 17:30" in result.stderr
    )


def test_check_reports_a_table_without_default(tmp_path: Path) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES.replace("default = true\n", ""))
    result = smsbridge("routes", "check", str(tmp_path / "routes.toml"))
    assert result.returncode == 2
    last = ROUTES.splitlines().index("[[routes]]", 10) + 1  # the second route's header
    assert (
        f"routes.toml:{last}: routes.1: the table needs exactly one route with default = true,"
        " and it must be the last" in result.stderr
    )


@pytest.mark.parametrize(
    ("at", "route"),
    [
        ("2026-12-28 10:15", "Route 'renewals' sends it to: renewals@example.com"),
        ("2026-12-25 22:15", "Route 'everyone'"),
    ],
)
def test_explain_answers_who_would_get_it(tmp_path: Path, at: str, route: str) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES)
    result = smsbridge(
        "routes",
        "explain",
        "-c",
        str(tmp_path / "routes.toml"),
        "--from",
        "07700 900123",
        "--to",
        "+447700900100",
        "--text",
        "Renew!",
        "--at",
        at,
    )
    assert result.returncode == 0, result.stderr
    assert route in result.stdout


def test_explain_says_when_a_text_is_a_keyword(tmp_path: Path) -> None:
    (tmp_path / "routes.toml").write_text(ROUTES)
    result = smsbridge(
        "routes",
        "explain",
        "-c",
        str(tmp_path / "routes.toml"),
        "--from",
        "+447700900123",
        "--to",
        "+447700900100",
        "--text",
        "stop",
    )
    assert "is the STOP keyword" in result.stdout


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _route(name: str, **fields: object) -> RouteSettings:
    return RouteSettings(name=name, emails=("a@example.com",), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "later", "shadowed"),
    [
        (
            _route("a", keywords=("renew",)),
            _route("b", keywords=("renew",), numbers=("+447700900100",)),
            True,
        ),
        (_route("a", keywords=("renew",)), _route("b", keywords=("renewal",)), False),
        (_route("a", senders=("+447700900",)), _route("b", senders=("+447700900123",)), True),
        (_route("a", senders=("+447700900123",)), _route("b", senders=("+447700900",)), False),
        (
            _route("a", days=("sat", "sun")),
            _route("b", days=("sun",), start="09:00", end="12:00"),
            True,
        ),
        (_route("a", days=("sat",), start="09:00", end="12:00"), _route("b", days=("sat",)), False),
        (_route("a", numbers=("+447700900100",)), _route("b"), False),
        (_route("a", senders=("GB",)), _route("b", senders=("+447700900123",)), True),
        (_route("a", senders=("US",)), _route("b", senders=("+447700900123",)), False),
        (_route("a", senders=("FR",)), _route("b", senders=("+3361",)), True),
        (_route("a", senders=("GB",)), _route("b", senders=("+447700",)), False),  # or Jersey
        (_route("a", days=WEEK), _route("b", keywords=("renew",)), True),
        (_route("a", days=WEEK[:6]), _route("b", keywords=("renew",)), False),
        (_route("a", days=WEEK, keywords=("renew",)), _route("b", keywords=("renew",)), True),
    ],
)
def test_shadowed_routes_are_found(
    first: RouteSettings, later: RouteSettings, shadowed: bool
) -> None:
    found = warnings_for((first, later), InboundSettings())
    assert any(k == "routes.1" and "can never match" in w for k, w in found) is shadowed


def test_keywords_that_are_compliance_words_are_flagged() -> None:
    [(key, warning)] = warnings_for((_route("a", keywords=("help", "renew")),), InboundSettings())
    assert key == "routes.0.keywords" and "the keyword HELP is reserved (help)" in warning


ZONELESS = """
[smtp]
domains = ["sms.example.com"]

[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
timezone = "Europe/London"

[[routes]]
name = "office"
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:30"
emails = ["office@example.com"]

[[routes]]
name = "everyone"
default = true
emails = ["team@example.com"]
"""


@pytest.mark.parametrize(
    ("at", "said"),
    [
        # 09:15 in London is 08:15 UTC: inside office hours only when read in London.
        ("2026-07-01 09:15", "At 09:15 Wednesday 01 July 2026 (Europe/London):"),
        ("2026-07-01 20:00", "At 20:00 Wednesday 01 July 2026 (Europe/London):"),
    ],
)
def test_a_route_without_a_zone_reads_the_time_in_the_reply_numbers(
    tmp_path: Path, at: str, said: str
) -> None:
    (tmp_path / "routes.toml").write_text(ZONELESS)
    result = smsbridge(
        "routes",
        "explain",
        "-c",
        str(tmp_path / "routes.toml"),
        "--from",
        "+447700900123",
        "--to",
        "+447700900100",
        "--text",
        "Hello",
        "--at",
        at,
    )
    assert result.returncode == 0, result.stderr
    assert said in result.stdout and "UTC" not in result.stdout
    office = "Route 'office' sends it to" in result.stdout
    assert office is at.endswith("09:15")
