"""Every worked example of docs/routing.md, loaded from its TOML file and asked who gets a text."""

from __future__ import annotations

import pytest

from bridge.routing.explain import parse_at
from bridge.routing.table import InboundText, RoutingTable
from bridge.settings.load import load_settings
from tests.conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples" / "routing"
SALES, SUPPORT, UK, US = "+447700900100", "+447700900200", "+447700900123", "+12025550123"


@pytest.mark.parametrize(
    ("example", "sender", "to", "text", "at", "route"),
    [
        ("one-team", UK, SALES, "Hello", "2026-12-25 03:00", "everyone"),
        ("office-hours", UK, SALES, "Hello", "2026-11-23 10:00", "office-hours"),
        ("office-hours", UK, SALES, "Hello", "2026-11-23 18:30", "out-of-hours"),
        ("office-hours", UK, SALES, "Hello", "2026-11-27 23:15", "night"),
        ("office-hours", UK, SALES, "Hello", "2026-11-28 05:59", "night"),
        ("office-hours", UK, SALES, "Hello", "2026-11-28 10:00", "out-of-hours"),
        ("office-hours", UK, SALES, "Hello", "2026-03-30 08:30", "office-hours"),  # after DST
        ("departments", UK, SALES, "Hello", "2026-11-23 10:00", "sales"),
        ("departments", UK, SUPPORT, "Hello", "2026-11-23 10:00", "support"),
        ("departments", US, SUPPORT, "Hello", "2026-11-23 10:00", "us-desk"),
        ("departments", UK, "+447700900300", "Hello", "2026-11-23 10:00", "anything-else"),
        ("keyword-campaign", UK, SALES, "Renew!", "2026-11-23 10:00", "renewals-office-hours"),
        (
            "keyword-campaign",
            UK,
            SALES,
            "renewal please",
            "2026-11-22 22:15",
            "renewals-out-of-hours",
        ),
        ("keyword-campaign", UK, SALES, "Renewing?", "2026-11-23 10:00", "everyone"),
        ("closures", UK, SALES, "Hello", "2026-12-23 10:00", "office"),
        ("closures", UK, SALES, "Hello", "2026-12-24 10:00", "closed"),
        ("closures", UK, SALES, "Hello", "2026-12-29 10:00", "office"),
        ("closures", UK, SALES, "Hello", "2027-01-01 12:00", "closed"),
        ("closures", UK, SALES, "Hello", "2026-12-29 20:00", "after-hours"),
    ],
)
def test_worked_example(example: str, sender: str, to: str, text: str, at: str, route: str) -> None:
    settings = load_settings(EXAMPLES / f"{example}.toml")
    table = RoutingTable.from_settings(settings.routes, settings.calendars)
    decision = table.resolve(InboundText(sender, to, text), at=parse_at(at, "Europe/London"))
    assert decision.route == route, decision.explain()
