"""Pictures (MMS) both ways, against real servers on loopback.

Inbound: a signed Twilio webhook names pictures on the Twilio emulator, which demands the
account's Basic credentials; the bridge's email reaches a real SMTP sink with the picture
attached, and with a sentence for each one it could not attach (too big, a refused type,
the provider failing). A picture behind a redirect to another host is fetched without the
credentials. Outbound: an email with a PNG to a US number goes as MMS with a ``MediaUrl``
under the public URL, and the bridge serves the PNG there; a UK number gets the text alone
and the author a notice saying why. Prism, serving Twilio's own OpenAPI description, accepts
a create-message request with ``MediaUrl``.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from bridge.media.fetch import (
    MediaFetcher,
    MediaLimits,
    MediaNotReady,
    NotAttached,
    ProviderMedia,
)
from bridge.media.words import megabytes
from bridge.models import InboundJob, InboundSms, MediaFile, MediaRef, OutboundSms
from bridge.providers.twilio.client import TwilioProvider
from bridge.providers.twilio.settings import TwilioSettings
from bridge.providers.twilio.signature import twilio_signature
from bridge.store.base import Store
from bridge.store.factory import open_store
from tests.conftest import IN_CI, free_port, make_settings, require_shared
from tests.support.bridge_process import BridgeProcess
from tests.support.prism import RecordingProxy, prism_command, run_prism
from tests.support.smtp_sink import SmtpSink, ThreadedSmtpSink
from tests.support.twilio_api import FakeTwilioMessages
from tests.support.workers import inbound_dispatcher

SID = "AC" + "1" * 32
TOKEN = "mms-test-token"
US_CUSTOMER = "+14155550123"
US_NUMBER = "+14155550100"
MEDIA = f"/2010-04-01/Accounts/{SID}/Messages/MM1/Media"


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG of ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def sink() -> Iterator[ThreadedSmtpSink]:
    with SmtpSink.threaded() as running:
        yield running


@pytest.fixture
def twilio() -> Iterator[FakeTwilioMessages]:
    with FakeTwilioMessages(SID) as fake:
        fake.media_token = TOKEN
        yield fake


def _bridge(
    tmp_path: Path, twilio: FakeTwilioMessages, sink: ThreadedSmtpSink, *, number: str
) -> BridgeProcess:
    numbers = (
        f'[[numbers]]\nnumber = "{number}"\ninbox = ["team@example.com"]\n'
        f'timezone = "America/Los_Angeles"\n'
    )
    return BridgeProcess(
        tmp_path,
        public=True,
        provider={"name": "twilio"},
        mail={"transport": "smtp"},
        inbound={"media_max_bytes": 4000, "media_attempts": 1},
        extra=numbers + f'[provider.twilio]\naccount_sid = "{SID}"\nbase_url = "{twilio.url}"\n'
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n',
        env={"SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": TOKEN},
    )


def _post_signed(public: str, fields: dict[str, str]) -> int:
    url = public + "/webhooks/twilio/inbound"
    signature = twilio_signature(url, fields.items(), TOKEN)
    answer = httpx.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10)
    return answer.status_code


def test_inbound_pictures_are_attached_or_named(
    tmp_path: Path, twilio: FakeTwilioMessages, sink: ThreadedSmtpSink
) -> None:
    picture = png()
    with FakeTwilioMessages(SID) as cdn:  # another host (port): never given the credentials
        cdn_picture = png(3, 3)
        cdn_url = cdn.add_media("/cdn/Media/ME5", cdn_picture, content_type="image/png")
        urls = [
            twilio.add_media(f"{MEDIA}/ME0", picture, content_type="image/png"),
            twilio.add_media(
                f"{MEDIA}/ME1", png(200, 200) + b"\0" * 5000, content_type="image/png"
            ),
            twilio.add_media(f"{MEDIA}/ME2", b"II*\0", content_type="image/tiff"),
            twilio.add_media(f"{MEDIA}/ME3", redirect=cdn_url),
            twilio.url + f"{MEDIA}/ME4",  # 404: the provider no longer has it
        ]
        kinds = ["image/png", "image/png", "image/tiff", "image/png", "image/jpeg"]
        fields = {
            "MessageSid": "MM1",
            "AccountSid": SID,
            "From": US_CUSTOMER,
            "To": US_NUMBER,
            "Body": "Here is the damage",
            "NumMedia": str(len(urls)),
        }
        for n, (url, kind) in enumerate(zip(urls, kinds, strict=True)):
            fields[f"MediaUrl{n}"] = url
            fields[f"MediaContentType{n}"] = kind
        with _bridge(tmp_path, twilio, sink, number=US_NUMBER) as bridge:
            assert _post_signed(bridge.public_url, fields) == 200
            [received] = sink.wait_for(1, timeout=30)
        cdn_auth = cdn.media_auth["/cdn/Media/ME5"]
    email = received.parsed()
    assert received.rcpt_tos == ("team@example.com",)
    attached = [(p.get_content_type(), p.get_content()) for p in email.iter_attachments()]
    assert attached == [("image/png", picture), ("image/png", cdn_picture)]
    body = email.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Here is the damage")
    oversize = len(png(200, 200)) + 5000
    assert (
        f"[A picture (image/png, {megabytes(oversize)}) was not attached: over the 3.9 KB limit.]"
        in text
    )
    assert (
        "[A picture (image/tiff) was not attached: the bridge does not attach files of this type.]"
        in text
    )
    assert (
        "[A picture (image/jpeg) was not attached: the provider refused to hand it over"
        " (HTTP 404).]" in text
    )
    sender = f'From: "+1 415-555-0123" <{US_CUSTOMER}.via.{US_NUMBER[1:]}@sms.example.com>'
    assert sender.encode() in received.content
    [auth] = twilio.media_auth[f"{MEDIA}/ME0"]
    assert auth is not None and auth.startswith("Basic ")
    assert cdn_auth == [None]  # the redirect target never saw the account's credentials
    assert TOKEN not in bridge.log_text()


def test_outbound_picture_goes_as_mms_to_a_us_number_and_as_text_to_a_uk_one(
    tmp_path: Path, twilio: FakeTwilioMessages, sink: ThreadedSmtpSink
) -> None:
    picture = png(4, 4)
    email = EmailMessage()
    email["From"] = "alice@example.com"
    email["To"] = f"{US_CUSTOMER}@sms.example.com, +447700900123@sms.example.com"
    email["Subject"] = "Your parcel"
    email["Message-ID"] = "<parcel-1@example.com>"
    email.set_content("This is where we left it.")
    email.add_attachment(picture, maintype="image", subtype="png", filename="porch.png")
    with _bridge(tmp_path, twilio, sink, number=US_NUMBER) as bridge:
        with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            client.ehlo()
            client.mail("alice@example.com")
            for to in (US_CUSTOMER, "+447700900123"):
                client.rcpt(f"{to}@sms.example.com")
            code, reply = client.data(email.as_bytes())
        assert code == 250
        assert b"1 attachment not sent" in reply  # it did not reach the UK number
        bridge.wait_until(lambda: len(twilio.created) == 2, what="both texts sent")
        by_number = {form["To"][0]: form for form in twilio.created}
        [media_url] = by_number[US_CUSTOMER]["MediaUrl"]
        assert media_url.startswith(bridge.public_url + "/media/")
        assert "MediaUrl" not in by_number["+447700900123"]
        served = httpx.get(media_url, timeout=10)
        assert served.status_code == 200 and served.content == picture
        assert served.headers["content-type"] == "image/png"
        assert httpx.get(bridge.public_url + "/media/", timeout=10).status_code == 404
        guessed = bridge.public_url + "/media/" + "A" * 43
        assert httpx.get(guessed, timeout=10).status_code == 404
        [notice] = sink.wait_for(1, timeout=30)
    body = notice.parsed().get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "went as text only: pictures are sent only to US and Canadian numbers through" in text
    assert "porch.png" in text


def test_a_picture_the_provider_cannot_hand_over_yet_puts_the_text_back() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    fetcher = MediaFetcher(
        client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        limits=MediaLimits(max_bytes=1000, types=("image/png",), timeout_seconds=5, attempts=3),
        providers={
            "twilio": ProviderMedia(base_url="https://api.twilio.com", credentials=("a", "b"))
        },
    )
    job = InboundJob(
        id="i1",
        provider="twilio",
        provider_message_id="MM1",
        from_number=US_CUSTOMER,
        to_number=US_NUMBER,
        text="",
        received_at=datetime.now(UTC),
        attempts=1,
        media=(MediaRef("https://api.twilio.com/x/Media/ME1", "image/png"),),
    )
    with pytest.raises(MediaNotReady) as raised:
        asyncio.run(fetcher.fetch(job))
    assert raised.value.retry_after == 30.0
    [given_up] = asyncio.run(fetcher.fetch(replace(job, attempts=3)))
    assert isinstance(given_up, NotAttached)
    assert "could not be fetched from the provider after 3 tries" in given_up.sentence


CREATE = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism on Twilio's description, with ``MediaUrl``'s encoding written out.

    OpenAPI's default for an array in a form body is ``style: form, explode: true`` (the key
    repeated, as Twilio takes it), but Prism 5 reads a repeated key as its last value unless
    the encoding is declared (stoplightio/prism#2473). The copy declares exactly that
    default; nothing else in the description changes.
    """
    if prism_command() is None:
        if IN_CI:
            pytest.fail("prism is missing: .ci/test installs it")
        pytest.skip("prism is not installed (bash .ci/test installs it)")
    spec = json.loads(require_shared("specs", "twilio_api_v2010.json").read_text())
    form = spec["paths"][CREATE]["post"]["requestBody"]["content"]
    form["application/x-www-form-urlencoded"]["encoding"] = {
        "MediaUrl": {"style": "form", "explode": True}
    }
    copy = tmp_path_factory.mktemp("spec") / "twilio_api_v2010.json"
    copy.write_text(json.dumps(spec), encoding="utf-8")
    with run_prism(copy, free_port()) as url:
        yield url


def test_twilio_contract_accepts_a_message_with_media_urls(prism: str) -> None:
    """The bridge's own Twilio client, through a recording proxy to Prism (which answers an
    invalid request with a 4xx): one ``MediaUrl`` per picture, and Twilio's 201."""
    urls = tuple(f"https://bridge.example.com/media/{c * 43}" for c in "ab")
    sms = OutboundSms(
        job_id="s1", to=US_CUSTOMER, sender=US_NUMBER, text="Where we left it.", media_urls=urls
    )

    async def send(base_url: str) -> None:
        settings = TwilioSettings(account_sid=SID, auth_token=TOKEN, base_url=base_url)
        async with httpx.AsyncClient() as client:
            result = await TwilioProvider(settings, client=client).send(sms)
        assert result.provider_message_id

    with RecordingProxy(prism) as proxy:
        asyncio.run(send(proxy.url))
    [post] = [r for r in proxy.requests if r.method == "POST"]
    assert post.status == 201
    assert post.form["MediaUrl"] == list(urls)
    refused = httpx.post(  # the copy still checks: no To is refused
        prism + CREATE.format(AccountSid=SID),
        data={"From": US_NUMBER, "Body": "x", "MediaUrl": list(urls)},
        auth=(SID, TOKEN),
        timeout=30,
    )
    assert refused.status_code == 422


def test_a_picture_is_served_until_it_expires_then_purged(tmp_path: Path) -> None:
    async def run() -> None:
        store = open_store(make_settings(tmp_path))
        await store.open()
        try:
            now = datetime(2026, 12, 1, tzinfo=UTC)
            picture = MediaFile(
                token="t" * 43,
                content_type="image/gif",
                content=b"GIF89a",
                expires_at=now + timedelta(days=7),
            )
            await store.enqueue_sms([], now=now, media=[picture])
            assert await store.media_file("t" * 43, now=now) == ("image/gif", b"GIF89a")
            later = now + timedelta(days=7, seconds=1)
            assert await store.media_file("t" * 43, now=later) is None
            assert await store.purge_media(now=now) == 0
            assert await store.purge_media(now=later) == 1
        finally:
            await store.close()

    asyncio.run(run())


async def test_the_inbound_worker_puts_a_text_back_until_its_picture_is_given_up(
    store: Store, tmp_path: Path
) -> None:
    """A 503 for the picture: no email, the text is queued again in 30 s; at the last
    attempt the email goes with the sentence instead of the picture."""
    numbers = f'[[numbers]]\nnumber = "{US_NUMBER}"\ninbox = ["team@example.com"]\n'
    settings = make_settings(tmp_path, extra=numbers)
    fetcher = MediaFetcher(
        client=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
        limits=MediaLimits(max_bytes=1000, types=("image/*",), timeout_seconds=5, attempts=2),
        providers={
            "twilio": ProviderMedia(base_url="https://api.twilio.com", credentials=("a", "b"))
        },
    )
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    sms = InboundSms(
        provider="twilio",
        provider_message_id="MM9",
        from_number=US_CUSTOMER,
        to_number=US_NUMBER,
        text="Look",
        received_at=t0,
        media=(MediaRef("https://api.twilio.com/x/Media/ME1", "image/png"),),
    )
    await store.receive_sms(sms, now=t0)
    for attempt, at in enumerate((t0, t0 + timedelta(seconds=31)), 1):
        [job] = await store.claim_inbound(now=at, limit=1, lease_seconds=60, owner="t")
        assert (job.attempts, job.media) == (attempt, sms.media)
        dispatcher = inbound_dispatcher(store, settings, clock=lambda at=at: at, media=fetcher)
        await dispatcher.handle(job)
        mails = await store.claim_mail(now=at, limit=10, lease_seconds=600, owner="t")
        if attempt == 1:
            assert mails == []
            assert await store.claim_inbound(now=at, limit=1, lease_seconds=60, owner="t") == []
    [mail] = mails
    email = BytesParser(policy=policy.default).parsebytes(mail.content)
    assert isinstance(email, EmailMessage)
    text = " ".join(email.get_content().split())
    assert (
        "could not be fetched from the provider after 2 tries (the provider answered HTTP 503)"
        in text
    )
    await fetcher.aclose()
