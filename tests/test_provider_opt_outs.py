"""A provider that has the customer as opted out (Twilio's 21610 when sending, a delivery
report saying so, Vonage's err-code 9) puts them in the consent ledger once, however many of
their texts it refuses, with the organisation's opt-out scope; the next text is refused by the
``opt-out`` rule. The SMS worker and the report intake against a real store (both backends),
and the running bridge against a stand-in for Twilio's API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.chain.chain import build_chain
from bridge.chain.facts import StoreFacts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.errors import PermanentFailure
from bridge.inbound.reports import ReportIntake
from bridge.mail.transport import NoticeSettings
from bridge.models import ORGANISATION, DeliveryReport, NewSmsJob, OutboundSms, SendResult
from bridge.providers.choice import ProviderChoice
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher
from tests.conftest import make_settings
from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message
from tests.support.twilio_api import FakeTwilioMessages

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CUSTOMER, REPLY, OTHER = "+447700900123", "+447700900100", "+447700900200"
NUMBERS = f"""
[[numbers]]
number = "{REPLY}"
inbox = ["team@example.com"]
[[numbers]]
number = "{OTHER}"
inbox = ["team@example.com"]
"""
NOTICES = NoticeSettings(from_address="sms@example.net", hostname="bridge.test")


class Unsubscribed:
    """Twilio refusing a text to a customer it has as unsubscribed."""

    name = "twilio"

    async def send(self, sms: OutboundSms) -> SendResult:
        raise PermanentFailure(
            "the person at this number has unsubscribed from texts from this sender (STOP)",
            code="21610",
            opted_out=True,
        )

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        return None


def _settings(tmp_path: Path, scope: str = "organisation") -> Settings:
    return make_settings(tmp_path, extra=NUMBERS + f'[compliance]\nopt_out_scope = "{scope}"\n')


async def _queue(store: Store, n: int, *, sender: str = REPLY) -> list[str]:
    jobs = [
        NewSmsJob(
            idempotency_key=f"<m{i}@example.com>|{CUSTOMER}",
            message_id=f"<m{i}@example.com>",
            author="rep@example.com",
            subject="",
            to_number=CUSTOMER,
            sender=sender,
            text=f"Your order {i} is ready.",
            encoding="GSM-7",
            segments=1,
        )
        for i in range(n)
    ]
    return [queued.id for queued in await store.enqueue_sms(jobs, now=T0)]


async def _fail_all(store: Store, scope: str) -> None:
    dispatcher = SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(Unsubscribed()),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        notices=NOTICES,
        clock=lambda: T0,
        notice_queued=lambda: None,
        owner="t",
        lease_seconds=60,
        opt_out_scope=scope,
    )
    for job in await store.claim_sms(now=T0, limit=10, lease_seconds=60, owner="t"):
        await dispatcher.handle(job)


async def _refusal(store: Store, settings: Settings, sender: str) -> str | None:
    request = OutboundRequest(
        source=Source.CLI,
        author="rep@example.com",
        to_number=CUSTOMER,
        text="Your parcel is here",
        sender=sender,
    )
    facts = StoreFacts(store, opt_out_scope=settings.compliance.opt_out_scope)
    decision = await build_chain(settings).run(
        request, facts=facts, at=T0 + timedelta(minutes=5), stages=frozenset(Stage)
    )
    return decision.refusal.reason if decision.refusal else None


async def test_21610_on_several_texts_is_one_opt_out_of_the_organisation(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    await _queue(store, 3)
    await _fail_all(store, "organisation")
    [event] = await store.consent_events(number=CUSTOMER)
    assert (event.action, event.scope, event.how, event.by) == (
        "opt-out",
        ORGANISATION,
        "provider",
        "twilio",
    )
    assert "twilio error 21610" in event.evidence and f"from {REPLY}" in event.evidence
    assert "unsubscribed" in event.reason
    for sender in (REPLY, OTHER, "ExampleCo"):  # every sender, a sender ID too
        refused = await _refusal(store, settings, sender)
        assert refused is not None and "organisation's opt-out list" in refused, refused
        assert "the SMS provider reporting that they opted out" in refused
    await _queue(store, 1)  # a text already queued is refused by the provider again: no new event
    await _fail_all(store, "organisation")
    assert len(await store.consent_events(number=CUSTOMER)) == 1


async def test_with_the_numbers_scope_it_stops_only_that_number(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, scope="number")
    await _queue(store, 2)
    await _fail_all(store, "number")
    [event] = await store.consent_events(number=CUSTOMER)
    assert event.scope == REPLY
    refused = await _refusal(store, settings, REPLY)
    assert refused is not None and f"asked not to receive texts from {REPLY}" in refused
    assert await _refusal(store, settings, OTHER) is None


async def test_a_customer_who_already_stopped_gets_no_second_event(
    store: Store, tmp_path: Path
) -> None:
    await store.suppress(reply_number=OTHER, customer=CUSTOMER, now=T0 - timedelta(days=1))
    await _queue(store, 1)
    await _fail_all(store, "organisation")  # a STOP to any number stops them all already
    assert await store.consent_events(number=CUSTOMER) == []


async def test_a_report_that_they_opted_out_is_recorded_once(store: Store) -> None:
    [job_id] = await _queue(store, 1, sender="ExampleCo")
    [job] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="t")
    assert await store.sms_sent(
        job.id, owner="t", provider="vonage", result=SendResult("v-1"), now=T0
    )
    intake = ReportIntake(
        store=store,
        notices=NOTICES,
        clock=lambda: T0 + timedelta(minutes=1),
        mail_queued=lambda: None,
        opt_out_scope="number",
    )
    report = DeliveryReport(
        provider="vonage",
        provider_message_id="v-1",
        status="undelivered",
        error_code="9",
        reason="the person at this number has asked not to receive texts from this sender",
        opted_out=True,
    )
    assert await intake.accept(report)
    await intake.accept(report)  # a repeat
    [event] = await store.consent_events(number=CUSTOMER)
    # a sender ID cannot be texted START: the opt-out covers every sender even by number
    assert (event.scope, event.by, event.how) == (ORGANISATION, "vonage", "provider")
    assert event.evidence == f"vonage error 9 for text {job_id} from ExampleCo, message v-1"


def test_21610_from_twilio_stops_the_next_email_and_is_listed(tmp_path: Path) -> None:
    extra = (
        NUMBERS
        + f'[[senders.rules]]\nmatch = "example.com"\nsender = "{REPLY}"\n'
        + '[providers.main]\ntype = "twilio"\n'
    )
    env = {"SMSBRIDGE_PROVIDERS__MAIN__AUTH_TOKEN": "token"}
    rcpt = f"{CUSTOMER}@sms.example.com"
    with FakeTwilioMessages(f"AC{'0' * 32}") as twilio:
        twilio.send_faults("400:21610", "400:21610")
        twilio.hold()  # both texts are accepted before either is refused: the opt-out of the
        # first would otherwise refuse the second email at RCPT TO
        extra += f'account_sid = "AC{"0" * 32}"\nbase_url = "{twilio.url}"\n'
        with BridgeProcess(tmp_path, extra=extra, env=env, queue={"poll_seconds": 0.1}) as bridge:
            for author in ("alice@example.com", "bob@example.com"):
                said = converse(
                    bridge.smtp_address,
                    mail_from=author,
                    rcpts=[rcpt],
                    content=message(sender=author).as_bytes(),
                )
                assert said.accepted, said
            twilio.release()
            bridge.wait_until(
                lambda: [j["state"] for j in bridge.jobs()] == ["failed", "failed"],
                what="both texts refused by Twilio",
            )
            said = converse(
                bridge.smtp_address,
                mail_from="carol@example.com",
                rcpts=[rcpt],
                content=message(sender="carol@example.com").as_bytes(),
            )
        listed = bridge.cli("consent", "list", "--number", CUSTOMER, "--json")
    [(code, text)] = said.rcpts
    assert code == 550 and "organisation's opt-out list" in " ".join(text.split())
    assert len(twilio.created) == 2  # the third was never sent
    [event] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (event["how"], event["by"], event["scope"]) == ("provider", "main", "*")
    assert "main error 21610" in event["evidence"]
