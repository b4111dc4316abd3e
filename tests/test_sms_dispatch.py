"""The SMS worker's decisions against a real store and real providers (sandbox, Twilio)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from bridge.mail.transport import NoticeSettings
from bridge.models import JobState, NewSmsJob, OutboundSms, SmsJob
from bridge.providers.base import Provider
from bridge.providers.choice import ProviderChoice
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxFailRule, SandboxSettings
from bridge.providers.twilio.client import TwilioProvider
from bridge.providers.twilio.settings import TwilioSettings
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _dispatcher(store: Store, provider: Provider, attempts: int = 3) -> SmsDispatcher:
    return SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(provider),
        policy=RetryPolicy(max_attempts=attempts, base_seconds=1, cap_seconds=2),
        notices=NoticeSettings(from_address="sms@example.net", hostname="bridge.test"),
        clock=lambda: T0,
        notice_queued=lambda: None,
        owner="test",
        lease_seconds=60,
    )


async def _claimed(store: Store, number: str = "+447700900123") -> SmsJob:
    await store.enqueue_sms(
        [
            NewSmsJob(
                idempotency_key=f"<m@example.com>|{number}",
                message_id="<m@example.com>",
                author="alice@example.com",
                subject="Hi",
                to_number=number,
                sender="ExampleCo",
                text="Hello",
                encoding="GSM-7",
                segments=1,
            )
        ],
        now=T0,
    )
    [job] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="test")
    return job


async def _reclaimed_after_crash(store: Store) -> SmsJob:
    await store.release_leases(now=T0)
    [job] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="test")
    assert job.in_doubt
    return job


async def test_in_doubt_job_the_sandbox_already_has_is_not_sent_again(
    store: Store, tmp_path: Path
) -> None:
    journal = tmp_path / "sent.jsonl"
    first = SandboxProvider(SandboxSettings(), journal=journal)
    job = await _claimed(store)
    await first.send(OutboundSms(job_id=job.id, to=job.to_number, sender=job.sender, text=job.text))
    # The process dies here, before the store heard the answer; a new process starts.
    restarted = SandboxProvider(SandboxSettings(), journal=journal)
    await _dispatcher(store, restarted).handle(await _reclaimed_after_crash(store))
    assert restarted.sent == []
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENT
    assert len(journal.read_text().splitlines()) == 1


async def test_in_doubt_job_the_sandbox_never_got_is_sent(store: Store, tmp_path: Path) -> None:
    provider = SandboxProvider(SandboxSettings(), journal=tmp_path / "sent.jsonl")
    await _claimed(store)
    await _dispatcher(store, provider).handle(await _reclaimed_after_crash(store))
    assert len(provider.sent) == 1


def _twilio_list(messages: list[dict[str, str]], posts: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            return httpx.Response(201, json={"sid": "SMnew", "status": "queued"})
        return httpx.Response(200, json={"messages": messages, "next_page_uri": None})

    return httpx.MockTransport(answer)


async def test_in_doubt_job_twilio_already_has_is_reconciled_not_sent_again(
    store: Store,
) -> None:
    job = await _claimed(store)
    earlier = {
        "sid": "SMearlier",
        "to": job.to_number,
        "from": "ExampleCo",
        "body": "Hello",
        "status": "delivered",
        "direction": "outbound-api",
        "price": "-0.04",
        "price_unit": "USD",
        "date_created": "Sun, 22 Nov 2026 09:00:01 +0000",
    }
    posts: list[httpx.Request] = []
    async with httpx.AsyncClient(transport=_twilio_list([earlier], posts)) as client:
        twilio = TwilioProvider(
            TwilioSettings(account_sid="AC" + "0" * 32, auth_token=SecretStr("t")), client=client
        )
        await _dispatcher(store, twilio).handle(await _reclaimed_after_crash(store))
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENT and posts == []
    assert (stored.provider_message_id, stored.price) == ("SMearlier", "-0.04 USD")


async def test_in_doubt_job_twilio_does_not_have_is_sent_once(store: Store) -> None:
    other = {
        "sid": "SMother",
        "to": "+447700900123",
        "from": "ExampleCo",
        "body": "Not this",
        "status": "delivered",
        "direction": "outbound-api",
        "date_created": "Sun, 22 Nov 2026 09:00:01 +0000",
    }
    posts: list[httpx.Request] = []
    job = await _claimed(store)
    async with httpx.AsyncClient(transport=_twilio_list([other], posts)) as client:
        twilio = TwilioProvider(
            TwilioSettings(account_sid="AC" + "0" * 32, auth_token=SecretStr("t")), client=client
        )
        await _dispatcher(store, twilio).handle(await _reclaimed_after_crash(store))
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.provider_message_id == "SMnew" and len(posts) == 1


async def test_temporary_failures_retry_then_fail_with_one_notice(store: Store) -> None:
    rule = SandboxFailRule(pattern="+447700900998", kind="temporary", reason="the network is busy")
    provider = SandboxProvider(SandboxSettings(fail=(rule,)))
    dispatcher = _dispatcher(store, provider, attempts=2)
    job = await _claimed(store, "+447700900998")
    await dispatcher.handle(job)
    retried = await store.get_sms(job.id)
    assert retried is not None and retried.state is JobState.QUEUED
    [again] = await store.claim_sms(
        now=T0 + timedelta(seconds=5), limit=1, lease_seconds=60, owner="test"
    )
    await dispatcher.handle(again)
    failed = await store.get_sms(job.id)
    assert failed is not None and failed.state is JobState.FAILED
    assert failed.error is not None and "after 2 attempts" in failed.error
    assert len(await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t")) == 1
