"""The inbound worker's decisions against a real store: who gets a text, and what goes back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from bridge.mail.transport import NoticeSettings
from bridge.models import InboundSms, NewSmsJob
from bridge.providers.choice import ProviderChoice
from bridge.providers.twilio.client import TwilioProvider
from bridge.providers.twilio.settings import TwilioSettings
from bridge.store.base import Store
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher
from tests.conftest import make_settings
from tests.support.workers import inbound_dispatcher

T0 = datetime(2026, 11, 22, 22, 15, tzinfo=UTC)
CUSTOMER, REPLY = "+447700900123", "+447700900100"
NUMBER = f"""
[[numbers]]
number = "{REPLY}"
inbox = ["team@example.com"]
timezone = "Europe/London"
auto_reply = "Thanks, we will answer in office hours."
"""


async def route(
    store: Store,
    tmp_path: Path,
    text: str,
    *,
    at: datetime = T0,
    sender: str = CUSTOMER,
    pmid: str = "SM1",
    extra: str = "",
    **inbound: object,
) -> list:
    settings = make_settings(tmp_path, extra=NUMBER + extra, inbound=inbound)
    await store.receive_sms(
        InboundSms(
            provider="twilio",
            provider_message_id=pmid,
            from_number=sender,
            to_number=REPLY,
            text=text,
            received_at=at,
        ),
        now=at,
    )
    [job] = await store.claim_inbound(now=at, limit=1, lease_seconds=60, owner="t")
    dispatcher = inbound_dispatcher(store, settings, clock=lambda: at)
    await dispatcher.handle(job)
    mails = await store.claim_mail(now=at, limit=10, lease_seconds=86400, owner="t")
    texts = await store.claim_sms(now=at, limit=10, lease_seconds=86400, owner="t")
    return [(m.recipients, m.content) for m in mails] + [(t.to_number, t.text) for t in texts]


async def _conversation(store: Store, at: datetime = T0) -> None:
    await store.enqueue_sms(
        [
            NewSmsJob(
                idempotency_key=f"<o@example.com>|{CUSTOMER}",
                message_id="<o@example.com>",
                author="alice@example.com",
                subject="Order",
                to_number=CUSTOMER,
                sender=REPLY,
                text="Ready",
                encoding="GSM-7",
                segments=1,
            )
        ],
        now=at,
    )
    await store.claim_sms(now=at, limit=10, lease_seconds=86400 * 60, owner="x")  # not in results


async def test_a_reply_goes_to_the_author_only(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=2))
    [(recipients, content), _auto_reply] = await route(store, tmp_path, "Thanks!")
    assert recipients == ("alice@example.com",)
    assert b"In-Reply-To: <o@example.com>" in content


async def test_copies_to_the_inbox_when_asked(store: Store, tmp_path: Path) -> None:
    await _conversation(store)
    [(recipients, _), *_] = await route(
        store, tmp_path, "Thanks!", copy_conversations_to_route=True
    )
    assert recipients == ("alice@example.com", "team@example.com")


async def test_an_old_conversation_is_closed(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=31))
    [(recipients, content), *_] = await route(store, tmp_path, "Hello again")
    assert recipients == ("team@example.com",) and b"In-Reply-To" not in content


async def test_the_auto_reply_goes_once_per_interval(store: Store, tmp_path: Path) -> None:
    first = await route(store, tmp_path, "Hello")
    assert (CUSTOMER, "Thanks, we will answer in office hours.") in first
    second = await route(store, tmp_path, "Hello?", at=T0 + timedelta(minutes=5), pmid="SM2")
    assert len(second) == 1  # the email only


async def test_no_auto_reply_to_a_short_code(store: Store, tmp_path: Path) -> None:
    results = await route(store, tmp_path, "Your code is 1234", sender="60123")
    assert len(results) == 1


async def test_a_text_with_nobody_to_tell_reaches_the_bridge_address(
    store: Store, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)  # no [[numbers]]
    await store.receive_sms(
        InboundSms(
            provider="twilio",
            provider_message_id="SM9",
            from_number=CUSTOMER,
            to_number="+447700900999",
            text="Hi",
            received_at=T0,
        ),
        now=T0,
    )
    [job] = await store.claim_inbound(now=T0, limit=1, lease_seconds=60, owner="t")
    await inbound_dispatcher(store, settings, clock=lambda: T0).handle(job)
    [mail] = await store.claim_mail(now=T0, limit=10, lease_seconds=60, owner="t")
    assert mail.recipients == ("sms-bridge@sms.example.com",)


async def test_twilio_21610_on_send_suppresses_the_number(store: Store) -> None:
    def unsubscribed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"code": 21610, "message": "unsubscribed", "status": 400})

    await _conversation(store)
    [job] = await store.claim_sms(now=T0 + timedelta(days=61), limit=1, lease_seconds=1, owner="y")
    settings = TwilioSettings(account_sid="AC" + "0" * 32, auth_token=SecretStr("t"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(unsubscribed)) as client:
        dispatcher = SmsDispatcher(
            store=store,
            providers=ProviderChoice.single(TwilioProvider(settings, client=client)),
            policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
            notices=NoticeSettings(from_address="b@example.com", hostname="h"),
            clock=lambda: T0,
            notice_queued=lambda: None,
            owner="y",
            lease_seconds=60,
        )
        await dispatcher.handle(replace(job, in_doubt=False))
    assert await store.suppressed_since(reply_number=REPLY, customer=CUSTOMER) == T0


ROUTES = """
[[routes]]
name = "renewals"
keywords = ["renew"]
emails = ["renewals@example.com"]
forward_to = ["+447700900555"]
auto_reply = "Thanks, our renewals team will be in touch."

[[routes]]
name = "everyone"
default = true
owner = true
"""


async def test_a_route_emails_forwards_and_answers(store: Store, tmp_path: Path) -> None:
    results = await route(store, tmp_path, "RENEW please", extra=ROUTES)
    [(recipients, _)] = [r for r in results if isinstance(r[0], tuple)]
    assert recipients == ("renewals@example.com",)
    texts = sorted(r for r in results if isinstance(r[0], str))
    assert texts == [
        (CUSTOMER, "Thanks, our renewals team will be in touch."),
        ("+447700900555", "Text from +44 7700 900123: RENEW please"),
    ]


async def test_a_route_with_owner_but_no_conversation_uses_the_numbers_inbox(
    store: Store, tmp_path: Path
) -> None:
    [(recipients, _), *_] = await route(store, tmp_path, "Hello", extra=ROUTES)
    assert recipients == ("team@example.com",)
