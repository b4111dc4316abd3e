"""Rule ``schedule``: a text waits for its send-at time, and the later rules judge that time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.chain.chain import Chain, build_chain
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.chain.verdicts import Decision
from tests.conftest import make_settings
from tests.support.facts import Facts

LONDON = ZoneInfo("Europe/London")
SETTINGS = """
[compliance]
quiet_hours = {start = "21:00", end = "08:00"}
quiet_categories = ["marketing", "transactional"]
"""


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    return build_chain(make_settings(tmp_path, extra=SETTINGS))


def _request(send_at: datetime | None) -> OutboundRequest:
    return OutboundRequest(
        source=Source.EMAIL,
        author="shop@example.com",
        to_number="+447700900123",
        text="Your order is ready.",
        send_at=send_at,
        send_zone="Europe/London",
    )


async def _decide(chain: Chain, at: datetime, send_at: datetime | None) -> Decision:
    return await chain.run(_request(send_at), facts=Facts(), at=at, stages=frozenset(Stage))


def _deferrals(decision: Decision) -> list[str]:
    return [hit.rule for hit in decision.record if hit.action == "defer"]


async def test_a_scheduled_text_waits_for_its_time(chain: Chain) -> None:
    now = datetime(2026, 12, 2, 12, tzinfo=LONDON)
    at = datetime(2026, 12, 3, 9, tzinfo=LONDON)
    decision = await _decide(chain, now, at)
    assert decision.accepted and decision.not_before == at
    assert decision.deferred == "scheduled for Thu 3 Dec 09:00 Europe/London"
    assert _deferrals(decision) == ["schedule"]
    assert "schedule: defer" in decision.explain()


async def test_quiet_hours_judge_the_scheduled_time_not_now(chain: Chain) -> None:
    """Now (noon) is within the hours; 23:30, when it is to go, is not: it waits to 08:00."""
    now = datetime(2026, 12, 2, 12, tzinfo=LONDON)
    late = datetime(2026, 12, 2, 23, 30, tzinfo=LONDON)
    decision = await _decide(chain, now, late)
    assert decision.not_before == datetime(2026, 12, 3, 8, tzinfo=LONDON)
    assert _deferrals(decision) == ["schedule", "quiet-hours"]
    assert "08:00 on Thu 3 Dec" in decision.deferred


async def test_a_text_scheduled_in_the_day_is_not_held_though_now_is_night(chain: Chain) -> None:
    """Written at 23:00 (quiet), to go at 10:00 tomorrow (open): quiet hours let it be."""
    now = datetime(2026, 12, 2, 23, tzinfo=LONDON)
    at = datetime(2026, 12, 3, 10, tzinfo=LONDON)
    decision = await _decide(chain, now, at)
    assert decision.not_before == at
    assert _deferrals(decision) == ["schedule"]


async def test_a_text_whose_time_has_come_goes_as_any_other(chain: Chain) -> None:
    at = datetime(2026, 12, 3, 9, tzinfo=UTC)
    decision = await _decide(chain, at, at)
    assert decision.not_before is None and not _deferrals(decision)
    unscheduled = await _decide(chain, at, None)
    assert "schedule: accept: no send-at time" in unscheduled.explain()
