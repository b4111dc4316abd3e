"""The inbound worker's decisions against a real store: who gets a text, and what goes back."""

from __future__ import annotations

import json
import quopri
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from bridge import components
from bridge.mail.transport import NoticeSettings
from bridge.models import (
    ORGANISATION,
    Contact,
    ConversationChange,
    InboundSms,
    MediaRef,
    NewSmsJob,
)
from bridge.providers.choice import ProviderChoice
from bridge.providers.twilio.client import TwilioProvider
from bridge.providers.twilio.settings import TwilioSettings
from bridge.routing.decide import Routed
from bridge.routing.matchers import InboundText
from bridge.store.base import Store
from bridge.workers.inbound import InboundDispatcher
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
    mails = await store.claim_mail(now=at, limit=10, lease_seconds=86400 * 60, owner="t")
    texts = await store.claim_sms(now=at, limit=10, lease_seconds=86400 * 60, owner="t")
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


async def test_a_reply_goes_to_the_owner_only_and_is_not_answered(
    store: Store, tmp_path: Path
) -> None:
    await _conversation(store, T0 - timedelta(days=2))
    [(recipients, content)] = await route(store, tmp_path, "Thanks!")  # no auto-reply
    assert recipients == ("alice@example.com",)
    assert b"In-Reply-To: <o@example.com>" in content
    [record] = await store.recent_inbound(limit=1)
    assert record.route == "conversation" and record.mailed_to == ("alice@example.com",)


async def test_a_keyword_inside_a_conversation_goes_to_its_owner(
    store: Store, tmp_path: Path
) -> None:
    """Bob's customer answering "Renew please" is talking to bob, not to the renewals team:
    no keyword route, no auto-reply, no forward."""
    await _conversation(store, T0 - timedelta(days=1))
    results = await route(store, tmp_path, "Renew please", extra=ROUTES)
    [(recipients, content)] = results
    assert recipients == ("alice@example.com",)
    assert b"renewals" not in content
    [record] = await store.recent_inbound(limit=1)
    assert "would have been 'renewals'" in (record.explanation or "")


async def test_the_configured_copies_get_a_conversation_too(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=1))
    [(recipients, _)] = await route(
        store, tmp_path, "Thanks", conversation_copies=["desk@example.com"]
    )
    assert recipients == ("alice@example.com", "desk@example.com")


async def test_a_closed_conversation_goes_back_to_routing(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=1))
    await store.enqueue_sms(
        [],
        now=T0 - timedelta(hours=1),
        changes=[ConversationChange(CUSTOMER, REPLY, close=True)],
    )
    [(recipients, _), *_] = await route(store, tmp_path, "Hello")
    assert recipients == ("team@example.com",)


async def test_a_hand_over_sends_the_next_text_to_the_new_owner(
    store: Store, tmp_path: Path
) -> None:
    await _conversation(store, T0 - timedelta(days=1))
    change = ConversationChange(CUSTOMER, REPLY, owner="bob@example.com")
    await store.enqueue_sms([], now=T0 - timedelta(hours=1), changes=[change])
    [(recipients, _)] = await route(store, tmp_path, "Hello")
    assert recipients == ("bob@example.com",)


async def test_a_customers_text_keeps_the_conversation_alive(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=29))
    await route(store, tmp_path, "Still there?", at=T0)
    later = T0 + timedelta(days=5)  # 34 days after the last text sent, 5 after the customer's
    [(recipients, _)] = await route(store, tmp_path, "Hello?", at=later, pmid="SM2")
    assert recipients == ("alice@example.com",)


async def test_the_email_shows_the_conversation_so_far(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=1))
    await route(store, tmp_path, "When can I collect it?", at=T0 - timedelta(hours=2))
    [(_, content)] = await route(store, tmp_path, "Hello?", pmid="SM2")
    body = quopri.decodestring(content).decode()
    history = body.split("Earlier in this conversation:", 1)[1]
    assert "alice@example.com: Ready" in history
    assert "+44 7700 900123: When can I collect it?" in history
    assert "Hello?" not in history  # the text itself is not its own history
    assert history.index("Ready") < history.index("When can I")
    assert b'From: "+44 7700 900123" <+447700900123.via.447700900100@sms.example.com>' in content


WEBHOOK = """
[[routes]]
name = "crm"
default = true
owner = true
webhook = "https://crm.example.com/hook"
"""


async def test_the_webhook_carries_the_conversation(store: Store, tmp_path: Path) -> None:
    await _conversation(store, T0 - timedelta(days=1))
    secret = tmp_path / "hook.secret"
    secret.write_text("s")
    results = await route(store, tmp_path, "Thanks", extra=WEBHOOK, webhook_secret_file=str(secret))
    [hook] = [
        json.loads(content) for recipients, content in results if recipients[0].startswith("https")
    ]
    conversation = hook["conversation"]
    assert conversation["owner"] == "alice@example.com" and conversation["live"] is True
    assert conversation["id"].startswith("c")
    assert conversation["last_sent"]["by"] == "alice@example.com"
    assert conversation["last_sent"]["text"] == "Ready"
    assert conversation["last_sent"]["at"] == (T0 - timedelta(days=1)).isoformat()


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
    [event] = await store.consent_events(number=CUSTOMER)  # Twilio's own words, in the ledger
    assert (event.how, event.by, event.scope) == ("provider", "twilio", ORGANISATION)
    assert event.evidence.startswith("twilio error 21610 for text ")


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


async def test_the_contacts_name_is_in_the_from_and_the_thread(
    store: Store, tmp_path: Path
) -> None:
    await store.save_contacts(
        [
            Contact(
                number=CUSTOMER,
                name="Jane Doe",
                email="",
                tags=(),
                timezone="",
                language="",
                notes="",
            )
        ],
        now=T0 - timedelta(days=3),
    )
    await _conversation(store, T0 - timedelta(days=1))
    await route(store, tmp_path, "First", at=T0 - timedelta(hours=1))
    [(_, content)] = await route(store, tmp_path, "Second", pmid="SM2")
    head, _, _ = content.partition(b"\r\n\r\n")
    assert b'From: "Jane Doe (+44 7700 900123)" <+447700900123.via.447700900100@' in head
    assert "Jane Doe (+44 7700 900123): First" in quopri.decodestring(content).decode()


async def test_a_reply_finds_its_number_by_the_emails_it_names(store: Store) -> None:
    """The reply-sender rule's facts, on both backends: the number of a customer's text's
    email, of an email that texted them, and, without either, their live numbers."""
    await _conversation(store, T0 - timedelta(days=1))  # alice texted them from REPLY
    await store.receive_sms(
        InboundSms(
            provider="twilio",
            provider_message_id="SM7",
            from_number=CUSTOMER,
            to_number="+447700900200",
            text="Hi other team",
            received_at=T0,
        ),
        now=T0,
    )
    [inbound] = await store.recent_inbound(limit=1)
    since = T0 - timedelta(days=30)
    by_text = await store.thread_numbers(
        customer=CUSTOMER, references=(f"<{inbound.id}@sms.example.com>",), since=since
    )
    assert by_text.answered == "+447700900200"
    by_email = await store.thread_numbers(
        customer=CUSTOMER, references=("<unknown@x>", "<o@example.com>"), since=since
    )
    assert by_email.answered == REPLY
    unknown = await store.thread_numbers(customer=CUSTOMER, references=("<x@y>",), since=since)
    assert unknown.answered is None and unknown.live == (REPLY, "+447700900200")
    later = await store.thread_numbers(customer=CUSTOMER, references=(), since=T0 + timedelta(1))
    assert later.live == ()


def _sms(text: str, pmid: str, **fields: object) -> InboundSms:
    return InboundSms(
        provider="twilio",
        provider_message_id=pmid,
        from_number=CUSTOMER,
        to_number=REPLY,
        text=text,
        received_at=T0,
        **fields,  # type: ignore[arg-type]
    )


async def _produced(store: Store) -> list[tuple[object, str | bytes]]:
    mails = await store.claim_mail(now=T0, limit=10, lease_seconds=60, owner="t")
    texts = await store.claim_sms(now=T0, limit=10, lease_seconds=60, owner="t")
    return [(m.recipients, m.content) for m in mails] + [(t.to_number, t.text) for t in texts]


async def test_a_webhook_text_is_stored_and_routed_in_one_transaction(
    store: Store, tmp_path: Path
) -> None:
    """As the worker would route it: the email to the inbox and the auto-reply; nothing is
    left for the worker, and the provider's retry of the same text changes nothing."""
    dispatcher = inbound_dispatcher(store, make_settings(tmp_path, extra=NUMBER), clock=lambda: T0)
    assert await dispatcher.receive(_sms("Hello", "SM1")) is False
    assert await store.claim_inbound(now=T0, limit=10, lease_seconds=60, owner="t") == []
    [(inbox, content), (customer, reply)] = await _produced(store)
    assert inbox == ("team@example.com",) and b"Hello" in content
    assert (customer, reply) == (CUSTOMER, "Thanks, we will answer in office hours.")
    [record] = await store.recent_inbound(limit=5)
    assert record.state == "routed" and record.mailed_to == ("team@example.com",)
    assert await dispatcher.receive(_sms("Hello", "SM1")) is False
    assert await _produced(store) == []
    assert len(await store.recent_inbound(limit=5)) == 1


async def test_stop_by_webhook_suppresses_at_once(store: Store, tmp_path: Path) -> None:
    dispatcher = inbound_dispatcher(store, make_settings(tmp_path, extra=NUMBER), clock=lambda: T0)
    assert await dispatcher.receive(_sms("STOP", "SM1")) is False
    assert await store.suppressed_since(reply_number=REPLY, customer=CUSTOMER) == T0


async def test_a_webhook_text_waits_behind_an_earlier_one_and_pictures_wait_for_the_worker(
    store: Store, tmp_path: Path
) -> None:
    """Routed in the order received: a text whose customer has one still waiting is only
    stored; so is one with pictures, which the worker fetches first."""
    dispatcher = inbound_dispatcher(store, make_settings(tmp_path, extra=NUMBER), clock=lambda: T0)
    await store.receive_sms(_sms("first", "SM1"), now=T0)
    assert await dispatcher.receive(_sms("second", "SM2")) is True
    claimed = await store.claim_inbound(now=T0, limit=10, lease_seconds=60, owner="t")
    assert sorted(job.text for job in claimed) == ["first", "second"]
    picture = (MediaRef("https://api.example.com/m/1", "image/jpeg"),)
    assert await dispatcher.receive(_sms("look", "SM3", media=picture)) is True
    [job] = await store.claim_inbound(now=T0, limit=10, lease_seconds=60, owner="t")
    assert job.media == picture


async def test_a_webhook_text_whose_routing_fails_is_stored_for_the_worker(
    store: Store, tmp_path: Path
) -> None:
    """Refusing it would lose it once the provider stops retrying: it is stored, unrouted."""
    settings = make_settings(tmp_path, extra=NUMBER)

    def broken(text: InboundText, at: datetime) -> Routed:
        raise RuntimeError("a routing table that cannot decide")

    dispatcher = InboundDispatcher(
        store=store,
        router=broken,
        rules=components.inbound_rules(settings),
        gate=components.build_gate(settings, store),
        mail=components.mail_identity(settings),
        clock=lambda: T0,
        queued=lambda: None,
        mailed=lambda: None,
    )
    assert await dispatcher.receive(_sms("Hello", "SM1")) is True
    [job] = await store.claim_inbound(now=T0, limit=10, lease_seconds=60, owner="t")
    assert job.text == "Hello"
    assert await _produced(store) == []
