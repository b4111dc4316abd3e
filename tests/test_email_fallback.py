"""Channel failover: a text that fails for good is emailed to the contact instead, when the
author's sender rule says so. The SMS worker against a real store and a sandbox provider that
refuses for good, the mail worker delivering through a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bridge.errors import PermanentFailure
from bridge.mail.fallback import fallback_email, fallback_subject
from bridge.mail.notices import failure_notice
from bridge.mail.smarthost import SmtpTransport
from bridge.mail.transport import NoticeSettings
from bridge.models import Contact, JobState, NewSmsJob, OutboundSms, SendResult, SmsJob
from bridge.providers.base import Provider
from bridge.providers.choice import ProviderChoice
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxFailRule, SandboxSettings
from bridge.settings.mail import SmarthostSettings
from bridge.settings.text import SenderRule, SendersSettings
from bridge.store.base import Store
from bridge.workers.mail import MailDispatcher
from bridge.workers.retry import RetryPolicy
from bridge.workers.sms import SmsDispatcher
from tests.support.bridge_process import BridgeProcess
from tests.support.jobs import claimed_job
from tests.support.provider_helpers import send_email
from tests.support.smtp_sink import ReceivedMessage, SmtpSink

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CUSTOMER = "+447700900123"
FROM = "sms@example.net"
ANN = Contact(number=CUSTOMER, name="Ann Example", email="ann@example.org")
SENDERS = SendersSettings(
    default="ExampleCo",
    rules=(
        SenderRule(match="alice@example.com", sender="ExampleCo", email_fallback=True),
        SenderRule(match="bob@example.com", sender="ExampleCo"),
    ),
)
REFUSES = SandboxSettings(
    fail=(SandboxFailRule(pattern=CUSTOMER, reason="the number is not in service"),)
)


class OptedOut:
    """A provider refusing because the customer opted out with it (Twilio's 21610)."""

    name = "optout"

    async def send(self, sms: OutboundSms) -> SendResult:
        raise PermanentFailure("the customer replied STOP", code="21610", opted_out=True)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        return None

    async def aclose(self) -> None:
        return None


def _dispatcher(store: Store, provider: Provider) -> SmsDispatcher:
    return SmsDispatcher(
        store=store,
        providers=ProviderChoice.single(provider),
        policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
        notices=NoticeSettings(from_address=FROM, hostname="bridge.test"),
        clock=lambda: T0,
        notice_queued=lambda: None,
        owner="test",
        lease_seconds=60,
        senders=SENDERS,
    )


async def _fail_one(store: Store, *, author: str, subject: str = "", provider: Provider) -> str:
    new = NewSmsJob(
        idempotency_key=f"<m@example.com>|{CUSTOMER}",
        message_id="<m@example.com>",
        author=author,
        subject=subject,
        to_number=CUSTOMER,
        sender="ExampleCo",
        text="Your table is ready at 19:30.",
        encoding="GSM-7",
        segments=1,
    )
    await store.enqueue_sms([new], now=T0)
    [job] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="test")
    await _dispatcher(store, provider).handle(job)
    stored = await store.get_sms(job.id)
    assert stored is not None and stored.state is JobState.FAILED
    return job.id


async def _delivered(store: Store, count: int) -> tuple[ReceivedMessage, ...]:
    """Every queued email, delivered by the mail worker to a real SMTP server."""
    async with SmtpSink() as sink:
        settings = SmarthostSettings.model_validate(
            {"host": "127.0.0.1", "port": sink.port, "starttls": False, "timeout_seconds": 5}
        )
        transport = SmtpTransport(settings, tls_context=None, local_hostname="bridge.test")
        mail = MailDispatcher(
            store=store,
            transport=transport,
            policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=2),
            clock=lambda: T0,
            owner="test",
        )
        for job in await store.claim_mail(now=T0, limit=10, lease_seconds=60, owner="test"):
            await mail.handle(job)
        await transport.aclose()
        received = await sink.wait_for(count) if count else ()
        assert len(sink.messages) == count
    return received


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


async def test_a_failed_text_is_emailed_to_the_contact_and_the_author_told(store: Store) -> None:
    await store.save_contacts([ANN], now=T0)
    await _fail_one(store, author="alice@example.com", provider=SandboxProvider(REFUSES))
    received = await _delivered(store, 2)
    by_rcpt = {message.rcpt_tos: message for message in received}
    to_ann = by_rcpt[("ann@example.org",)]
    email = to_ann.parsed()
    assert to_ann.envelope_from == FROM
    assert email["From"] == f"ExampleCo <{FROM}>" and email["To"] == "Ann Example <ann@example.org>"
    assert email["Subject"] == "Message from ExampleCo"
    assert _body(email) == "Your table is ready at 19:30.\n"
    notice = by_rcpt[("alice@example.com",)]
    assert notice.envelope_from == "<>"
    told = _body(notice.parsed())
    assert told.startswith(
        f"Your text to {CUSTOMER} was not sent; it was emailed to Ann Example\n<ann@example.org>"
    )
    assert "Why the text was not sent: The number is not in service." in told


async def test_the_authors_subject_is_kept(store: Store) -> None:
    await store.save_contacts([ANN], now=T0)
    subject = "Your booking"
    await _fail_one(
        store, author="alice@example.com", subject=subject, provider=SandboxProvider(REFUSES)
    )
    received = await _delivered(store, 2)
    subjects = {m.rcpt_tos[0]: str(m.parsed()["Subject"]) for m in received}
    assert subjects == {"ann@example.org": subject, "alice@example.com": "Re: Your booking"}


@pytest.mark.parametrize(
    ("author", "contact", "provider"),
    [
        ("bob@example.com", ANN, SandboxProvider(REFUSES)),  # his rule does not ask for it
        ("alice@example.com", None, SandboxProvider(REFUSES)),  # not in the address book
        ("alice@example.com", Contact(number=CUSTOMER, name="Ann"), SandboxProvider(REFUSES)),
        ("alice@example.com", ANN, OptedOut()),  # she said STOP: no email either
    ],
    ids=["rule-off", "no-contact", "no-address", "opted-out"],
)
async def test_otherwise_only_the_author_is_told(
    store: Store, author: str, contact: Contact | None, provider: Provider
) -> None:
    if contact is not None:
        await store.save_contacts([contact], now=T0)
    await _fail_one(store, author=author, provider=provider)
    [notice] = await _delivered(store, 1)
    assert notice.rcpt_tos == (author,)
    told = _body(notice.parsed())
    assert told.startswith(f"Your text to {CUSTOMER} was not sent.") and "emailed" not in told


def _job(**changes: object) -> SmsJob:
    return claimed_job(to_number=CUSTOMER, sender="+447700900100", **changes)


def test_the_fallback_email_names_a_number_sender_as_people_write_it() -> None:
    assert fallback_subject(_job()) == "Message from +44 7700 900100"
    assert fallback_subject(_job(subject="  Re:  your   order ")) == "Re: your order"
    raw = fallback_email(
        _job(text="Café at 8?"), ANN, from_address=FROM, now=T0, hostname="bridge.test"
    )
    assert b"Auto-Submitted: auto-generated" in raw
    assert b"alice@example.com" not in raw  # the author's address is not given away
    with pytest.raises(ValueError, match="aware"):
        fallback_email(_job(), ANN, from_address=FROM, now=T0.replace(tzinfo=None), hostname="h")


def test_the_notice_without_a_name_gives_the_address_alone() -> None:
    raw = failure_notice(
        _job(error="refused"),
        permanent=True,
        from_address=FROM,
        now=T0,
        hostname="h",
        emailed_to=Contact(number=CUSTOMER, email="ann@example.org"),
    )
    assert "it was emailed to ann@example.org instead." in " ".join(raw.decode().split())


@pytest.mark.slow
def test_the_running_bridge_emails_the_contact_through_its_smarthost(tmp_path: Path) -> None:
    """The whole path: an email in by SMTP, the sandbox refusing the number for good, the
    contact's email and the author's notice out through a real smarthost."""
    settings = f"""
[[senders.rules]]
match = "alice@example.com"
sender = "ExampleCo"
email_fallback = true

[[provider.sandbox.fail]]
pattern = "{CUSTOMER}"
kind = "permanent"
reason = "the number is not in service"
"""
    with SmtpSink.threaded() as sink:
        smarthost = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n'
        bridge = BridgeProcess(
            tmp_path, extra=settings + smarthost, mail={"transport": "smtp", "from_address": FROM}
        )
        with bridge:
            added = bridge.cli(
                "contacts", "add", CUSTOMER, "--name", "Ann Example", "--email", "ann@example.org"
            )
            assert added.returncode == 0, added.stderr
            send_email(bridge, "Your table is ready at 19:30.")
            received = sink.wait_for(2, timeout=30)
            log = bridge.log_text()
    by_rcpt = {message.rcpt_tos: message.parsed() for message in received}
    assert _body(by_rcpt[("ann@example.org",)]).startswith("Your table is ready at 19:30.")
    assert "emailed to Ann Example" in _body(by_rcpt[("alice@example.com",)])
    ours = [line for line in log.splitlines() if " bridge." in line and " DEBUG " not in line]
    assert any("emailed to the contact instead" in line for line in ours)
    assert not [line for line in ours if CUSTOMER in line or "ann@example.org" in line]
