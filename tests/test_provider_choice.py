"""Choosing providers and failing over, against a real store: rules, breakers, and the rule
that a text whose first send may have gone out is never handed to a second provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bridge.mail.transport import NoticeSettings
from bridge.models import JobState, NewSmsJob, OutboundSms, SmsJob
from bridge.providers.base import Carrier
from bridge.providers.breaker import Breaker, BreakerState
from bridge.providers.choice import ProviderChoice
from bridge.providers.http import HttpProviderSettings
from bridge.providers.http.client import HttpProvider
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxSettings
from bridge.settings.providers import ProviderRule
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher
from tests.support.jobs import claimed_job

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_breaker_opens_after_failures_in_a_row_and_lets_one_probe_through() -> None:
    breaker = Breaker(failures=3, cooldown=10.0)
    assert not breaker.failed(0.0) and not breaker.failed(1.0)
    breaker.succeeded()  # a success in between: the count starts again
    assert [breaker.failed(t) for t in (2.0, 3.0, 4.0)] == [False, False, True]
    assert breaker.state(5.0) is BreakerState.OPEN and not breaker.allow(5.0)
    assert breaker.reopens_in(5.0) == 9.0
    assert breaker.state(14.0) is BreakerState.HALF_OPEN
    assert breaker.allow(14.0) and not breaker.allow(14.1)  # one probe at a time
    assert breaker.failed(15.0)  # the probe failed: open for another cool-down
    assert not breaker.allow(20.0) and breaker.allow(25.0)
    breaker.succeeded()
    assert breaker.state(25.0) is BreakerState.CLOSED and breaker.allow(25.0)


def _job(**fields: object) -> SmsJob:
    return claimed_job(**fields)


def _sandbox(name: str) -> Carrier:
    return Carrier(name, SandboxProvider(SandboxSettings(), name=name), Breaker(5, 30.0))


def test_rules_choose_by_author_domain_sender_country_and_route() -> None:
    carriers = [_sandbox("twilio"), _sandbox("vonage"), _sandbox("smsworks")]
    rules = [
        ProviderRule(providers=("smsworks",), routes=("out-of-hours",)),
        ProviderRule(providers=("vonage", "twilio"), countries=("gb", "DE")),
        ProviderRule(providers=("twilio",), authors=("example.org",), senders=("ACME",)),
    ]
    choice = ProviderChoice(carriers, rules)

    def names(job: SmsJob) -> list[str]:
        return [c.name for c in choice.carriers_for(job)]

    assert names(_job(route="out-of-hours", to_number="+447700900123")) == ["smsworks"]
    assert names(_job(to_number="+447700900123")) == ["vonage", "twilio"]
    assert names(_job(to_number="+4915112345678")) == ["vonage", "twilio"]
    assert names(_job(author="bob@example.org", sender="ACME")) == ["twilio"]
    assert names(_job(author="bob@example.org", sender="Other")) == ["twilio", "vonage", "smsworks"]
    # A domain covers its subdomains here as in the allow-list and the sender rules.
    assert names(_job(author="bob@sub.example.org", sender="ACME")) == ["twilio"]
    assert names(_job(author="bob@example.org.evil.test", sender="ACME")) == [
        "twilio",
        "vonage",
        "smsworks",
    ]


async def _claimed(store: Store, at: datetime = T0) -> SmsJob:
    await store.enqueue_sms(
        [
            NewSmsJob(
                idempotency_key="<m@example.com>|+447700900123",
                message_id="<m@example.com>",
                author="alice@example.com",
                subject="Hi",
                to_number="+447700900123",
                sender="ExampleCo",
                text="Hello",
                encoding="GSM-7",
                segments=1,
            )
        ],
        now=T0,
    )
    [job] = await store.claim_sms(now=at, limit=1, lease_seconds=60, owner="test")
    return job


def _aggregator(handler: httpx.MockTransport) -> HttpProvider:
    settings = HttpProviderSettings.model_validate(
        {"type": "http", "url": "https://agg.example/send", "fields": {"to": "{to}"}}
    )
    return HttpProvider(settings, client=httpx.AsyncClient(transport=handler), name="agg")


def _dispatcher(store: Store, *carriers: Carrier) -> SmsDispatcher:
    return SmsDispatcher(
        store=store,
        providers=ProviderChoice(carriers),
        policy=RetryPolicy(max_attempts=5, base_seconds=1, cap_seconds=2),
        notices=NoticeSettings(from_address="sms@example.net", hostname="bridge.test"),
        clock=lambda: T0,
        notice_queued=lambda: None,
        owner="test",
        lease_seconds=60,
    )


def _raising(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


async def test_unreachable_provider_fails_over_at_once(store: Store) -> None:
    backup = SandboxProvider(SandboxSettings(), name="backup")
    first = _aggregator(_raising(httpx.ConnectError("refused")))
    dispatcher = _dispatcher(
        store, Carrier("agg", first, Breaker(5, 30)), Carrier("backup", backup, Breaker(5, 30))
    )
    job = await _claimed(store)
    await dispatcher.handle(job)
    stored = await store.get_sms(job.id)
    assert stored is not None and (stored.state, stored.provider) == (JobState.SENT, "backup")
    assert len(backup.sent) == 1


async def test_a_timeout_after_sending_is_never_failed_over_and_is_reported(
    store: Store,
) -> None:
    backup = SandboxProvider(SandboxSettings(), name="backup")
    first = _aggregator(_raising(httpx.ReadTimeout("no answer")))
    dispatcher = _dispatcher(
        store, Carrier("agg", first, Breaker(5, 30)), Carrier("backup", backup, Breaker(5, 30))
    )
    job = await _claimed(store)
    await dispatcher.handle(job)
    pinned = await store.get_sms(job.id)
    assert pinned is not None and pinned.state is JobState.QUEUED
    assert pinned.maybe_sent_via == "agg" and backup.sent == []
    [again] = await store.claim_sms(
        now=T0 + timedelta(seconds=5), limit=1, lease_seconds=60, owner="test"
    )
    await dispatcher.handle(again)  # the aggregator cannot be asked: the author is told
    final = await store.get_sms(job.id)
    assert final is not None and (final.state, final.error_code) == (
        JobState.FAILED,
        "unknown-outcome",
    )
    assert backup.sent == []
    [notice] = await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t")
    assert b"Ask the person whether your text arrived" in notice.content.replace(b"=\n", b"")


async def test_a_timeout_at_a_provider_that_can_tell_is_reconciled(
    store: Store, tmp_path: Path
) -> None:
    journal = tmp_path / "a.jsonl"
    first = SandboxProvider(SandboxSettings(), journal=journal, name="a")
    backup = SandboxProvider(SandboxSettings(), name="backup")
    dispatcher = _dispatcher(
        store, Carrier("a", first, Breaker(5, 30)), Carrier("backup", backup, Breaker(5, 30))
    )
    job = await _claimed(store)
    sms = OutboundSms(job_id=job.id, to=job.to_number, sender=job.sender, text=job.text)
    result = await first.send(sms)  # it went out; the answer was lost
    await store.sms_retry(
        job.id, owner="test", error="timeout", code="timeout", at=T0, now=T0, maybe_sent_via="a"
    )
    [again] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="test")
    await dispatcher.handle(again)
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.SENT
    assert (stored.provider, stored.provider_message_id) == ("a", result.provider_message_id)
    assert len(first.sent) == 1 and backup.sent == []


async def test_every_circuit_open_waits_visibly_without_spending_an_attempt(
    store: Store,
) -> None:
    broken = Breaker(1, 30.0)
    broken.failed(T0.timestamp())
    carrier = Carrier("only", SandboxProvider(SandboxSettings(), name="only"), broken)
    job = await _claimed(store)
    await _dispatcher(store, carrier).handle(job)
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.QUEUED
    assert stored.error_code == "circuit-open" and "paused" in (stored.error or "")
    assert stored.attempts == job.attempts - 1
    assert (
        await store.claim_sms(
            now=T0 + timedelta(seconds=29), limit=1, lease_seconds=60, owner="test"
        )
        == []
    )  # until the breaker half-opens
    assert await store.claim_sms(
        now=T0 + timedelta(seconds=30), limit=1, lease_seconds=60, owner="test"
    )
