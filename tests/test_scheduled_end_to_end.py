"""Scheduling through the bridge's own SMTP listener: the 250, the confirmation, CANCEL by
reply, a restart before the time, and a text scheduled across a DST change."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from bridge.app import Bridge
from bridge.models import ORGANISATION, ConsentEvent, JobState, SmsJob
from bridge.settings.root import Settings
from tests.conftest import make_settings
from tests.support.cli import run_cli
from tests.support.smtp_client import Dialogue, converse, message

RCPT = "+447700900123@sms.example.com"
SECOND = "+447700900124@sms.example.com"
RULES = """
[[senders.rules]]
match = "example.com"
sender = "ExampleCo"
timezone = "Europe/London"
"""


class Clock:
    """The bridge's time, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def send(
    bridge: Bridge, msg: EmailMessage, *, rcpts: list[str], sender: str = "alice@example.com"
) -> Dialogue:
    return await asyncio.to_thread(
        converse, bridge.smtp_address, mail_from=sender, rcpts=rcpts, content=msg.as_bytes()
    )


async def jobs(bridge: Bridge) -> list[SmsJob]:
    return await bridge.store.recent_sms(limit=50)


async def wait_for(bridge: Bridge, state: JobState, count: int = 1) -> list[SmsJob]:
    for _ in range(100):
        found = [j for j in await jobs(bridge) if j.state is state]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} job(s) reached {state}")


def mails(settings: Settings) -> list[EmailMessage]:
    """The bridge's emails so far (the Maildir its notices go to), oldest first."""
    found = sorted((settings.bridge.data_dir / "mail").rglob("*"), key=lambda p: p.stat().st_mtime)
    parsed = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in found if p.is_file()
    ]
    return [m for m in parsed if isinstance(m, EmailMessage)]


async def confirmation(settings: Settings) -> EmailMessage:
    for _ in range(100):
        found = [m for m in mails(settings) if m["Reply-To"]]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("no confirmation was emailed")


def reply(to: str, words: str, original: EmailMessage) -> EmailMessage:
    """Pressing Reply: the new text above the quoted confirmation."""
    quoted = "\n".join("> " + line for line in original.get_content().splitlines())
    body = f"{words}\n\nOn Wed, SMS Bridge wrote:\n{quoted}\n"
    return message(to=to, subject=f"Re: {original['Subject']}", body=body)


async def test_scheduled_texts_wait_survive_a_restart_and_then_go(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 2, 10, tzinfo=UTC))  # Wed 10:00 in London
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings, clock=clock) as bridge:
        said = await send(bridge, message(subject="[tomorrow 9am] Parcel"), rcpts=[RCPT])
        assert said.data is not None and said.data[0] == 250, said
        assert "scheduled for Thu 3 Dec 09:00 Europe/London" in said.data[1]
        await asyncio.sleep(0.5)  # a worker's poll: nothing is due
        [job] = await jobs(bridge)
        assert job.state is JobState.QUEUED and job.subject == "Parcel"
        assert job.next_attempt_at == datetime(2026, 12, 3, 9, tzinfo=UTC)
        sent = await confirmation(settings)
        assert sent["Reply-To"].startswith("batch-")
        assert "+447700900123: Thu 3 Dec 09:00 Europe/London" in sent.get_content()
        assert "reply to this email with the word CANCEL" in " ".join(sent.get_content().split())
    clock.at = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)  # a new bridge on the same file, later
    async with Bridge(settings, clock=clock) as bridge:
        [job] = await wait_for(bridge, JobState.SENT)
        assert job.to_number == "+447700900123"


async def test_cancel_by_reply_cancels_what_has_not_gone(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 2, 10, tzinfo=UTC))
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings, clock=clock) as bridge:
        msg = message(subject="Rota", headers={"Send-At": "tomorrow 09:00"})
        said = await send(bridge, msg, rcpts=[RCPT, SECOND])
        assert said.data is not None and "scheduled for Thu 3 Dec" in said.data[1]
        sent = await confirmation(settings)
        control = sent["Reply-To"]
        # another author may not act on it; an unknown token is refused as unknown
        other = await send(
            bridge, reply(control, "CANCEL", sent), rcpts=[control], sender="bob@example.com"
        )
        assert other.rcpts[0][0] == 550 and other.rcpts[0][1].startswith("5.7.1 Only the author")
        unknown = "batch-" + "0" * 32 + "@sms.example.com"
        wrong = await send(bridge, reply(unknown, "CANCEL", sent), rcpts=[unknown])
        assert wrong.rcpts[0][0] == 550 and wrong.rcpts[0][1].startswith("5.1.1")
        # the control address goes alone: a number beside it is tried again separately
        mixed = await send(bridge, reply(control, "Thanks!", sent), rcpts=[control, RCPT])
        assert mixed.rcpts[1][0] == 452 and "alone" in mixed.rcpts[1][1]
        # the quoted confirmation says CANCEL too: only the new text counts
        nothing = await send(bridge, reply(control, "Thanks!", sent), rcpts=[control])
        assert nothing.data is not None and nothing.data[0] == 550
        assert {j.state for j in await jobs(bridge)} == {JobState.QUEUED}
        done = await send(bridge, reply(control, "Cancel", sent), rcpts=[control])
        assert done.data == (250, "2.0.0 2 texts cancelled.")
        assert {j.state for j in await jobs(bridge)} == {JobState.CANCELLED}
        again = await send(bridge, reply(control, "CANCEL", sent), rcpts=[control])
        assert again.data == (250, "2.0.0 0 texts cancelled; 2 cancelled before.")
    clock.at += timedelta(days=2)  # past their time: a cancelled text is never sent
    async with Bridge(settings, clock=clock) as bridge:
        await asyncio.sleep(0.6)
        assert {j.state for j in await jobs(bridge)} == {JobState.CANCELLED}


async def test_a_text_scheduled_across_the_clocks_going_forward(tmp_path: Path) -> None:
    """Written on Saturday 28 March 2026 (GMT) for Monday 09:00, which is BST: 08:00 UTC."""
    clock = Clock(datetime(2026, 3, 28, 12, tzinfo=UTC))
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings, clock=clock) as bridge:
        said = await send(bridge, message(subject="[mon 09:00] Shift"), rcpts=[RCPT])
        assert (
            said.data is not None and "scheduled for Mon 30 Mar 09:00 Europe/London" in said.data[1]
        )
        [job] = await jobs(bridge)
        assert job.next_attempt_at == datetime(2026, 3, 30, 8, tzinfo=UTC)
        clock.at = datetime(2026, 3, 30, 7, 59, tzinfo=UTC)  # 08:59 BST: not yet
        await asyncio.sleep(0.5)
        assert (await jobs(bridge))[0].state is JobState.QUEUED
        clock.at = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
        await wait_for(bridge, JobState.SENT)


async def test_a_time_that_cannot_be_honoured_refuses_the_email(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 12, 2, 10, tzinfo=UTC))
    async with Bridge(make_settings(tmp_path, extra=RULES), clock=clock) as bridge:
        past = await send(bridge, message(subject="[2026-12-01 09:00] Late"), rcpts=[RCPT])
        assert past.data is not None and past.data[0] == 550
        assert past.data[1].startswith("5.6.0 The send-at time Tue 1 Dec 2026 09:00")
        unread = await send(bridge, message(headers={"Send-At": "soonish"}), rcpts=[RCPT])
        assert (
            unread.data is not None
            and unread.data[0] == 550
            and "could not be read" in unread.data[1]
        )
        assert await jobs(bridge) == []


async def test_the_cli_lists_scheduled_texts_masked_and_cancels_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings, clock=clock) as bridge:
        said = await send(bridge, message(subject="[at 23:59] Late"), rcpts=[RCPT, SECOND])
        assert said.data is not None and said.data[0] == 250
        first, second = sorted(j.id for j in await jobs(bridge))
    config = str(tmp_path / "bridge.toml")
    code, out, _ = await asyncio.to_thread(run_cli, capsys, config, "scheduled")
    assert code == 0 and first in out and second in out
    assert "+447700900123" not in out and "0123" in out and "23:59 Europe/London" in out
    code, out, _ = await asyncio.to_thread(run_cli, capsys, config, "scheduled", "cancel", first)
    assert code == 0 and f"{first} cancelled." in out
    code, out, _ = await asyncio.to_thread(run_cli, capsys, config, "scheduled", "cancel", first)
    assert code == 1 and "not waiting" in out
    code, out, _ = await asyncio.to_thread(run_cli, capsys, config, "scheduled")
    assert first not in out and second in out
    code, out, _ = await asyncio.to_thread(run_cli, capsys, config, "scheduled", "--all")
    assert first in out and "cancelled" in out


QUIET = """
[compliance]
quiet_hours = {start = "21:00", end = "08:00"}
quiet_categories = ["marketing", "transactional"]
"""


async def test_a_text_scheduled_for_the_night_is_held_by_quiet_hours_and_the_250_says_both(
    tmp_path: Path,
) -> None:
    clock = Clock(datetime(2026, 12, 2, 12, tzinfo=UTC))  # noon: within the hours
    settings = make_settings(tmp_path, extra=RULES + QUIET)
    async with Bridge(settings, clock=clock) as bridge:
        said = await send(bridge, message(subject="[at 23:30] Offer"), rcpts=[RCPT])
        assert said.data is not None and said.data[0] == 250
        assert (
            "scheduled for Wed 2 Dec 23:30 Europe/London, deferred until 08:00 on Thu 3 Dec"
            in (said.data[1])
        )
        [job] = await jobs(bridge)
        assert job.next_attempt_at == datetime(2026, 12, 3, 8, tzinfo=UTC)
        sent = await confirmation(settings)
        assert "+447700900123: Thu 3 Dec 08:00 Europe/London" in sent.get_content()


def test_outbound_explain_shows_the_schedule_and_quiet_hours_at_that_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_settings(tmp_path, extra=RULES + QUIET)
    config = str(tmp_path / "bridge.toml")
    args = ["outbound", "explain", "--author", "alice@example.com", "--to", "+447700900123"]
    args += ["--text", "Offer", "--at", "2026-12-02 12:00"]
    code, out, _ = run_cli(capsys, config, *args, "--subject", "[at 23:30] Offer")
    assert code == 0
    assert "schedule: defer: until 2026-12-02 23:30:00 UTC: scheduled by its author" in out
    assert "quiet-hours: defer" in out and "Accepted, to be sent at 2026-12-03 08:00" in out
    code, out, _ = run_cli(capsys, config, *args, "--send-at", "yesterday")
    assert code == 1 and "Refused: 550 5.6.0 The send-at time 'yesterday' could not be read" in out


async def test_a_stop_before_the_time_comes_stops_the_scheduled_text_and_tells_its_author(
    tmp_path: Path,
) -> None:
    """The chain accepted the text on Wednesday; the customer opted out on Wednesday evening;
    on Thursday at 09:00 the text is asked about again before any provider has it."""
    clock = Clock(datetime(2026, 12, 2, 10, tzinfo=UTC))
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings, clock=clock) as bridge:
        said = await send(bridge, message(subject="[tomorrow 9am] Parcel"), rcpts=[RCPT, SECOND])
        assert said.data is not None and said.data[0] == 250, said
        stop = ConsentEvent(
            customer="+447700900123",
            action="opt-out",
            scope=ORGANISATION,
            at=datetime(2026, 12, 2, 19, tzinfo=UTC),
            how="keyword",
        )
        await bridge.store.record_consent([stop], suppress=True)
    clock.at = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)
    async with Bridge(settings, clock=clock) as bridge:
        [failed] = await wait_for(bridge, JobState.FAILED)
        [sent] = await wait_for(bridge, JobState.SENT)
    assert (failed.to_number, sent.to_number) == ("+447700900123", "+447700900124")
    assert failed.error is not None and "opt-out list since 2026-12-02 19:00" in failed.error
    notice = [m for m in mails(settings) if not m["Reply-To"]]  # not the confirmation
    assert notice, [m["Subject"] for m in mails(settings)]
    words = " ".join(notice[-1].get_content().split())
    assert "+44 7700 900123" in words or "+447700900123" in words
    assert "opt-out list" in words and "replied STOP" in words  # why, and the advice
