"""Quiet hours: texts wait for the recipient's window (their zone, DST, several zones,
holidays), never refused; [urgent] passes only where the sender rule allows it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.chain.chain import Chain, build_chain
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.chain.verdicts import Decision
from bridge.errors import ConfigError
from bridge.models import Contact
from tests.conftest import make_settings, settings_toml
from tests.support.bridge_process import BridgeProcess
from tests.support.facts import Facts
from tests.support.smtp_client import converse, message

LONDON = ZoneInfo("Europe/London")
UK = "+447700900123"
NEW_YORK = "+12125551234"  # area code 212: one zone
SOUTH_DAKOTA = "+16055551234"  # area code 605: Denver and North Dakota's Central time
SETTINGS = """
[compliance]
quiet_hours = {start = "21:00", end = "08:00"}
quiet_days = ["sun"]
quiet_during = ["bank-holidays"]
[[calendars]]
name = "bank-holidays"
dates = ["2026-12-25..2026-12-26"]
[[senders.rules]]
match = "ops.example.com"
sender = "SMSBridge"
urgent_allowed = true
"""
ALL = frozenset(Stage)


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    return build_chain(make_settings(tmp_path, extra=SETTINGS))


def _request(to: str = UK, **fields: object) -> OutboundRequest:
    base: dict[str, object] = {
        "source": Source.EMAIL,
        "author": "shop@example.com",
        "to_number": to,
        "text": "20% off this weekend.",
        "tags": frozenset({"marketing"}),
    }
    return OutboundRequest(**{**base, **fields})  # type: ignore[arg-type]


async def _run(chain: Chain, at: datetime, request: OutboundRequest, **facts: object) -> Decision:
    return await chain.run(request, facts=Facts(**facts), at=at, stages=ALL)  # type: ignore[arg-type]


def _london(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)  # type: ignore[misc]


async def test_a_marketing_text_at_night_waits_until_eight_and_is_never_refused(
    chain: Chain,
) -> None:
    decision = await _run(chain, _london(2026, 12, 2, 22, 30), _request())
    assert decision.accepted
    assert decision.not_before == _london(2026, 12, 3, 8, 0)
    assert decision.deferred == "until 08:00 on Thu 3 Dec recipient's time (Europe/London)"
    assert ("quiet-hours", "defer") in [(h.rule, h.action) for h in decision.record]
    early = await _run(chain, _london(2026, 12, 3, 6, 0), _request())
    assert early.deferred == "until 08:00 recipient's time (Europe/London)"
    day = await _run(chain, _london(2026, 12, 3, 12, 0), _request())
    assert day.not_before is None and "within the hours" in day.explain()


async def test_transactional_texts_and_the_bridges_answers_are_not_held_back(
    chain: Chain,
) -> None:
    night = _london(2026, 12, 2, 23, 0)
    order = await _run(chain, night, _request(tags=frozenset()))
    assert order.not_before is None
    answer = await _run(chain, night, _request(source=Source.AUTO_REPLY, author=""))
    assert answer.not_before is None


@pytest.mark.parametrize(
    ("at", "opens"),
    [
        # the clocks go forward on Sunday 29 March 2026 (a quiet day): Monday 08:00 is BST
        (datetime(2026, 3, 28, 21, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
        # 07:30 UTC on Monday 30 March is 08:30 BST: open, though it is before 08:00 UTC
        (datetime(2026, 3, 30, 7, 30, tzinfo=UTC), datetime(2026, 3, 30, 7, 30, tzinfo=UTC)),
        # back on Sunday 25 October: 07:30 UTC on Monday 26 October is 07:30 GMT, closed
        (datetime(2026, 10, 26, 7, 30, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
        # 20:30 UTC on Saturday 24 October is 21:30 BST: closed until Monday 08:00 GMT
        (datetime(2026, 10, 24, 20, 30, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
    ],
)
async def test_the_window_follows_londons_clock_changes(
    chain: Chain, at: datetime, opens: datetime
) -> None:
    decision = await _run(chain, at, _request())
    assert (decision.not_before or at) == opens


async def test_holidays_from_the_named_calendar_are_quiet(chain: Chain) -> None:
    decision = await _run(chain, _london(2026, 12, 25, 12, 0), _request())
    assert decision.not_before == _london(2026, 12, 28, 8, 0)  # 26th a holiday, 27th Sunday


async def test_a_us_number_is_read_in_its_area_codes_zone(chain: Chain) -> None:
    # 12:30 UTC on 2 December is 07:30 in New York: deferred to 08:00 EST (13:00 UTC)
    at = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    decision = await _run(chain, at, _request(NEW_YORK))
    assert decision.not_before == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert decision.deferred == "until 08:00 recipient's time (America/New_York)"


async def test_a_number_in_several_zones_gets_the_hours_open_in_all(chain: Chain) -> None:
    # 14:30 UTC is 08:30 Central but 07:30 Mountain: not yet open in both
    at = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
    decision = await _run(chain, at, _request(SOUTH_DAKOTA))
    assert decision.not_before == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 08:00 Mountain
    assert "America/Denver, one of the number's 2 zones" in decision.deferred
    # 03:30 UTC on 3 December is 20:30 Mountain but 21:30 Central: closed there already
    late = await _run(chain, datetime(2026, 12, 3, 3, 30, tzinfo=UTC), _request(SOUTH_DAKOTA))
    assert late.not_before == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


async def test_the_contacts_time_zone_wins_over_the_numbers(chain: Chain) -> None:
    # a UK number whose owner lives in New York: 13:30 UTC is 08:30 there, open
    at = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
    contact = Contact(number=UK, timezone="America/New_York")
    assert (await _run(chain, at, _request(), book=(contact,))).not_before is None
    night = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 03:00 London, 22:00 in New York
    decision = await _run(chain, night, _request(), book=(contact,))
    assert decision.not_before == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert "(America/New_York)" in decision.deferred


async def test_urgent_passes_at_night_only_where_the_sender_rule_allows_it(chain: Chain) -> None:
    night = _london(2026, 12, 2, 23, 0)
    urgent = frozenset({"marketing", "urgent"})
    allowed = await _run(chain, night, _request(author="duty@ops.example.com", tags=urgent))
    assert allowed.not_before is None
    assert "[urgent], allowed for duty@ops.example.com" in allowed.explain()
    other = await _run(chain, night, _request(tags=urgent))
    assert other.not_before == _london(2026, 12, 3, 8, 0)


async def test_every_category_waits_when_the_settings_say_so(tmp_path: Path) -> None:
    extra = '[compliance]\nsend_window = "08:00-21:00"\nquiet_categories = ["marketing", "transactional"]\n'
    chain = build_chain(make_settings(tmp_path, extra=extra))
    decision = await _run(chain, _london(2026, 12, 2, 23, 0), _request(tags=frozenset()))
    assert decision.not_before == _london(2026, 12, 3, 8, 0)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('quiet_hours = {start = "9pm", end = "08:00"}', "write 24-hour HH:MM"),
        ('send_window = "08:00"', "write 08:00-21:00"),
        ('send_window = "08:00-21:00"\nquiet_hours = {}', "not both"),
        ('quiet_days = ["sunday", "funday"]', "funday: write weekdays"),
        ('quiet_during = ["holidays"]', "no [[calendars]] entry defines"),
    ],
)
def test_quiet_hours_settings_say_what_is_wrong(tmp_path: Path, extra: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, extra=f"[compliance]\n{extra}\n")
    assert words in " ".join(f"{key}: {message}" for key, message in info.value.problems)


def _a_zone_at_night(now: datetime) -> str:
    """A fixed-offset zone where it is now between 02:00 and 03:00 (Etc/GMT-N is UTC+N)."""
    offset = (2 - now.hour + 12) % 24 - 12  # -12 .. +11 hours from UTC
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/UTC"


def test_a_marketing_email_at_night_is_queued_until_eight_through_the_running_bridge(
    tmp_path: Path,
) -> None:
    zone = _a_zone_at_night(datetime.now(UTC))
    hours = '[compliance.quiet_hours]\nstart = "21:00"\nend = "08:00"\n'
    bridge = BridgeProcess(tmp_path, extra=hours)
    added = bridge.cli("contacts", "add", UK, "--timezone", zone)
    assert added.returncode == 0, added.stderr
    to = f"{UK}@sms.example.com"
    with bridge:
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=[to],
            content=message(to=to, subject="[marketing] Spring offer").as_bytes(),
        )
        assert said.data is not None and said.data[0] == 250, said
        assert f"deferred until 08:00 recipient's time ({zone})" in said.data[1]
        [job] = bridge.jobs()
        outbox = bridge.cli("outbox")
    opens = datetime.fromtimestamp(job["next_attempt_at"], UTC).astimezone(ZoneInfo(zone))
    assert (opens.hour, opens.minute) == (8, 0) and opens > datetime.now(UTC)
    assert job["state"] == "queued" and "quiet-hours" in job["chain"]
    assert "deferred until" in outbox.stdout and "(quiet-hours)" in outbox.stdout


def test_outbound_explain_shows_the_wait_and_the_subjects_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge.cli import main

    config = tmp_path / "bridge.toml"
    config.write_text(settings_toml(tmp_path / "var", extra=SETTINGS), encoding="utf-8")
    args = ["outbound", "explain", "--config", str(config), "--author", "shop@example.com"]
    args += ["--to", UK, "--text", "20% off", "--at", "2026-12-02 23:00"]
    assert main([*args, "--subject", "[marketing] Offer"]) == 0
    out = capsys.readouterr().out
    assert "category: accept: marketing (the subject's [marketing] tag)" in out
    assert (
        "quiet-hours: defer: until 2026-12-03 08:00:00 GMT: quiet hours, recipient's time"
        " (Europe/London)" in out
    )
    assert out.rstrip().endswith("Accepted, to be sent at 2026-12-03 08:00 GMT.")
    assert main([*args, "--subject", "Your order"]) == 0
    assert "quiet-hours: accept: transactional text: not held back" in capsys.readouterr().out
