"""The reply-number watcher against a local server shaped like Twilio's message list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bridge.errors import TemporaryFailure
from bridge.inbound.poller import ReplyNumberPoller
from bridge.inbound.reports import ReportIntake
from bridge.mail.transport import NoticeSettings
from bridge.models import JobState, NewSmsJob, SendResult
from bridge.providers.twilio.client import TwilioProvider
from bridge.providers.twilio.settings import TwilioSettings
from bridge.store.sqlite import SqliteStore
from tests.support.twilio_api import FakeTwilioMessages

SID = "AC" + "1" * 32
REPLY = "+447700900100"
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def _watcher(
    store: SqliteStore,
    fake: FakeTwilioMessages,
    client: httpx.AsyncClient,
    woken: list[int],
    report: Any = None,
) -> ReplyNumberPoller:
    settings = TwilioSettings(account_sid=SID, auth_token=SecretStr("t"), base_url=fake.url)
    return ReplyNumberPoller(
        provider=TwilioProvider(settings, client=client),
        store=store,
        reply_number=REPLY,
        interval=0.1,
        wake=lambda: woken.append(1),
        clock=lambda: T0,
        report=report,
    )


async def _stored(store: SqliteStore) -> list[str]:
    jobs = await store.claim_inbound(
        now=T0 + timedelta(days=9), limit=100, lease_seconds=1, owner="t"
    )
    return sorted(job.provider_message_id for job in jobs)


async def test_new_texts_are_stored_once_across_polls_and_a_restart(tmp_path: Path) -> None:
    woken: list[int] = []
    with FakeTwilioMessages(SID) as fake:
        for n in range(3):
            fake.add_inbound(
                f"SM{n}",
                from_=f"+44770090012{n}",
                to=REPLY,
                body=f"text {n}",
                at=T0 + timedelta(minutes=n),
            )
        fake.add_inbound(
            "SMother", from_="+447700900130", to="+447700900999", body="not ours", at=T0
        )
        store = SqliteStore(tmp_path / "bridge.db")
        await store.open()
        async with httpx.AsyncClient() as client:
            watcher = await _watcher(store, fake, client, woken)
            assert await watcher.poll_once() == 3  # two pages of two
            assert await watcher.poll_once() == 0
            await store.close()
            store = SqliteStore(tmp_path / "bridge.db")  # the bridge restarts
            await store.open()
            restarted = await _watcher(store, fake, client, woken)
            assert await restarted.poll_once() == 0
            fake.add_inbound(
                "SM3", from_="+447700900123", to=REPLY, body="later", at=T0 + timedelta(hours=1)
            )
            assert await restarted.poll_once() == 1
        assert await _stored(store) == ["SM0", "SM1", "SM2", "SM3"]
        cursor = await store.watch_cursor(provider="twilio", reply_number=REPLY)
        assert cursor == T0 + timedelta(hours=1)
        dated = [r["DateSent>"] for r in fake.requests if "DateSent>" in r]
        assert dated[-1] == ["2026-11-21"]  # a day's overlap: Twilio filters by date only
        await store.close()
    assert len(woken) == 2


async def test_a_failing_provider_is_reported_and_backed_off(tmp_path: Path) -> None:
    with FakeTwilioMessages(SID) as fake:
        store = SqliteStore(tmp_path / "bridge.db")
        await store.open()
        async with httpx.AsyncClient() as client:
            watcher = await _watcher(store, fake, client, [])
            fake.fail_next(1)
            with pytest.raises(TemporaryFailure):
                await watcher.poll_once()
            assert await watcher.poll_once() == 0
        await store.close()
    assert [watcher._delay(n) for n in (0, 1, 2, 12)] == [0.1, 0.2, 0.4, 300.0]


async def test_polled_delivery_reports_move_jobs_and_tell_the_author_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    [queued] = await store.enqueue_sms(
        [
            NewSmsJob(
                idempotency_key="<m@example.com>|+447700900123",
                message_id="<m@example.com>",
                author="alice@example.com",
                subject="Hi",
                to_number="+447700900123",
                sender=REPLY,
                text="Hello",
                encoding="GSM-7",
                segments=1,
            )
        ],
        now=T0,
    )
    job_id = queued.id
    await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="t")
    await store.sms_sent(job_id, owner="t", provider="twilio", result=SendResult("SMo1"), now=T0)
    reports = ReportIntake(
        store=store,
        clock=lambda: T0,
        mail_queued=lambda: None,
        notices=NoticeSettings(from_address="b@example.com", hostname="h"),
    )
    with FakeTwilioMessages(SID) as fake:
        fake.add_outbound(
            "SMo1", from_=REPLY, to="+447700900123", status="undelivered", error_code=30003, at=T0
        )
        async with httpx.AsyncClient() as client:
            watcher = await _watcher(store, fake, client, [], report=reports.accept)
            await watcher.poll_once()
            await watcher.poll_once()
    job = await store.get_sms(job_id)
    assert job is not None and job.state is JobState.UNDELIVERED
    [notice] = await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t")
    assert b"switched off or out of reach" in notice.content.replace(b"=\n", b"")
    await store.close()
