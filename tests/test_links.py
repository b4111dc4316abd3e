"""Short links and QR codes without a running bridge: URLs found and rewritten, the rule in
the chain (before segments, a code per recipient, the tag and the domains), the settings, the
agents not counted, the store on both backends (links stored with their text, clicks per
text and by sender), the redirect through Starlette, and QR images decoded by ZXing."""

from __future__ import annotations

import asyncio
import io
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from bridge.chain.chain import build_chain
from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.short_links import ShortLinks
from bridge.chain.verdicts import Accept, Rewrite
from bridge.cli import main
from bridge.cli.links import format_report, grouped
from bridge.errors import ConfigError
from bridge.links.agents import not_counted_because
from bridge.links.codes import CODE, new_code
from bridge.links.qr import qr_image, sms_uri
from bridge.links.urls import find_urls, may_shorten, with_utm
from bridge.models import Click, NewSmsJob, ShortLink
from bridge.parsing.tags import subject_tags
from bridge.store.base import Store
from bridge.web.links import link_routes
from bridge.web.server import build_app
from bridge.workers.clicks import ClickRecorder
from tests.conftest import make_settings

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BASE = "https://sms.example.com/l"
LONG = "https://shop.example.com/orders/12345/track?ref=abcdef&lang=en"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def request(text: str, **more: Any) -> OutboundRequest:
    fields: dict[str, Any] = {
        "source": Source.EMAIL,
        "author": "alice@example.com",
        "to_number": "+447700900123",
        "text": text,
        "sender": "+447700900100",
        "category": "marketing",
    }
    return OutboundRequest(**{**fields, **more})


def counter() -> Any:
    numbers = itertools.count()
    return lambda: f"code{next(numbers):03d}"


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("See https://example.com/a.", ["https://example.com/a"]),
        ("(see https://example.com/a_(b)) now", ["https://example.com/a_(b)"]),
        (
            "two: http://a.example/x, https://b.example/y?q=1!",
            ["http://a.example/x", "https://b.example/y?q=1"],
        ),
        ('"https://example.com/q"', ["https://example.com/q"]),
        ("www.example.com is not shortened", []),
        ("https:// nothing", []),
    ],
)
def test_urls_are_found_without_the_punctuation_around_them(text: str, urls: list[str]) -> None:
    assert [u.url for u in find_urls(text)] == urls
    for found in find_urls(text):
        assert text[found.start : found.end] == found.url


def test_domains_allowed_denied_and_our_own_left_alone() -> None:
    assert may_shorten("https://shop.example.com/a", allow=(), deny=(), own="sms.example.com")
    assert not may_shorten(
        "https://sms.example.com/l/abc", allow=(), deny=(), own="sms.example.com"
    )
    assert not may_shorten("https://a.gov.uk/x", allow=(), deny=("gov.uk",), own="")
    assert may_shorten("https://m.shop.example.com/x", allow=("shop.example.com",), deny=(), own="")
    assert not may_shorten("https://other.example/x", allow=("shop.example.com",), deny=(), own="")


def test_utm_parameters_are_added_unless_the_url_has_them() -> None:
    utm = {"source": "sms", "campaign": "spring"}
    assert with_utm("https://e.com/p", utm) == "https://e.com/p?utm_source=sms&utm_campaign=spring"
    assert (
        with_utm("https://e.com/p?utm_source=mail#top", utm)
        == "https://e.com/p?utm_source=mail&utm_campaign=spring#top"
    )
    assert with_utm("https://e.com/p", {}) == "https://e.com/p"


def test_the_rule_gives_each_link_a_code_and_the_target_its_utm() -> None:
    rule = ShortLinks(BASE, {"source": "sms", "campaign": "{category}"}, mint=counter())
    verdict = rule.check(request(f"Track it: {LONG}. Or https://e.org/x"), Facts(at=T0))
    assert isinstance(verdict, Rewrite)
    assert verdict.request.text == f"Track it: {BASE}/code000. Or {BASE}/code001"
    first, second = verdict.request.links
    assert first == ShortLink("code000", f"{LONG}&utm_source=sms&utm_campaign=marketing", 0, None)
    assert second.target == "https://e.org/x?utm_source=sms&utm_campaign=marketing"
    assert second.position == 1
    assert verdict.what == "2 links shortened: 92 to 81 characters"


def test_nolinks_tag_compliance_answers_and_texts_without_urls_are_left_alone() -> None:
    rule = ShortLinks(BASE, mint=counter())
    tags, subject = subject_tags("[nolinks] Your order")
    assert tags == frozenset({"nolinks"}) and subject == "Your order"
    assert isinstance(rule.check(request(LONG, tags=tags), Facts(at=T0)), Accept)
    assert isinstance(rule.check(request(LONG, source=Source.COMPLIANCE), Facts(at=T0)), Accept)
    assert isinstance(rule.check(request("No link here"), Facts(at=T0)), Accept)


def test_expiry_counts_from_the_decision() -> None:
    rule = ShortLinks(BASE, expiry=timedelta(days=30), mint=counter())
    verdict = rule.check(request(LONG), Facts(at=T0))
    assert isinstance(verdict, Rewrite)
    assert verdict.request.links[0].expires_at == T0 + timedelta(days=30)


def test_codes_are_seven_random_letters_and_digits() -> None:
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000 and all(CODE.fullmatch(c) for c in codes)


@pytest.mark.parametrize(
    ("method", "agent", "why"),
    [
        ("GET", IPHONE, ""),
        ("HEAD", IPHONE, "HEAD request"),
        ("GET", "", "no User-Agent"),
        ("GET", "WhatsApp/2.23.20.0 A", "WhatsApp"),
        ("GET", "facebookexternalhit/1.1 Facebot Twitterbot/1.0", "Facebook/iMessage preview"),
        ("GET", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slackbot"),
        ("GET", "TelegramBot (like TwitterBot)", "TelegramBot"),
        (
            "GET",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot",
        ),
        ("GET", "Mozilla/5.0 (Windows NT 10.0) SkypeUriPreview Preview/0.5", "SkypeUriPreview"),
        ("GET", "Mozilla/5.0 (compatible; ExampleBot/1.0)", "a bot"),
    ],
)
def test_previews_scanners_and_head_requests_are_not_clicks(
    method: str, agent: str, why: str
) -> None:
    assert not_counted_because(method, agent) == why


def test_settings_leave_urls_alone_without_a_link_domain(tmp_path: Path) -> None:
    plain = make_settings(tmp_path)
    assert "short-links" not in [rule.name for rule in build_chain(plain).rules]
    linked = make_settings(tmp_path, links={"domain": "go.example.com"})
    names = [rule.name for rule in build_chain(linked).rules]
    assert names.index("short-links") == names.index("segments") - 1
    under = make_settings(
        tmp_path,
        bridge={"public_url": "https://bridge.example.com"},
        links={"under_public_url": True},
    )
    assert under.links.base(under.bridge.public_url) == "https://bridge.example.com/l"


def test_settings_refuse_two_bases_an_unknown_utm_and_a_missing_public_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(
            tmp_path,
            extra='[links]\ndomain = "go.example.com"\nbase_url = "https://x.example/l"\n'
            'utm = {src = "x"}\n',
        )
    report = caught.value.report()
    assert "links.base_url" in report and "links.utm.src" in report
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path, links={"under_public_url": True})
    assert "links.under_public_url" in caught.value.report()


async def test_segments_are_measured_on_the_shortened_text(tmp_path: Path) -> None:
    """A 200-character URL would make two segments; its short link keeps the text in one."""
    settings = make_settings(tmp_path, links={"domain": "go.example.com"})
    chain = build_chain(settings)
    long_url = "https://shop.example.com/" + "a" * 180
    facts = _NoFacts()
    decision = await chain.run(request(f"Your order: {long_url}", sender=None), facts=facts, at=T0)
    assert decision.accepted, decision.explain()
    assert decision.request.segments == 1
    assert decision.request.text is not None and long_url not in decision.request.text
    assert [h.rule for h in decision.record][-1] == "short-links"


class _NoFacts:
    """A fact reader for a chain that needs nothing from a store."""

    async def opted_out(self, **_: Any) -> None:
        return None

    async def consent(self, **_: Any) -> None:
        return None

    async def rate_wait(self, **_: Any) -> float:
        return 0.0

    async def thread_numbers(self, **_: Any) -> Any:
        from bridge.chain.facts import NO_THREAD

        return NO_THREAD

    async def contact(self, number: str) -> None:
        return None

    async def new_numbers(self, **_: Any) -> Any:
        from bridge.models import NewNumbers

        return NewNumbers(new=False)

    async def sent_times(self, **_: Any) -> tuple[datetime, ...]:
        return ()

    async def spent(self, **_: Any) -> tuple[Any, ...]:
        return ()


def _job(key: str, links: tuple[ShortLink, ...], sender: str = "+447700900100") -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=key,
        message_id=key.split("|")[0],
        author="alice@example.com",
        subject="Offer",
        to_number=key.split("|")[1],
        sender=sender,
        text=" ".join(f"{BASE}/{link.code}" for link in links),
        encoding="GSM-7",
        segments=1,
        category="marketing",
        links=links,
    )


async def test_links_are_stored_with_their_text_once_and_clicks_read_back(store: Store) -> None:
    links = (
        ShortLink("Abc1234", LONG, 0, T0 + timedelta(days=1)),
        ShortLink("Abc1235", "https://e.org/", 1),
    )
    [queued] = await store.enqueue_sms([_job("<m1@x>|+447700900123", links)], now=T0)
    again = _job("<m1@x>|+447700900123", (ShortLink("Zzz9999", LONG, 0),))
    [merged] = await store.enqueue_sms([again], now=T0)
    assert merged.merged and merged.id == queued.id
    assert await store.short_link("Zzz9999") is None  # the redelivery's codes are not kept
    found = await store.short_link("Abc1234")
    assert found == (links[0], queued.id)
    await store.record_clicks(
        [
            Click("Abc1234", T0 + timedelta(minutes=5), counted=True),
            Click("Abc1234", T0 + timedelta(minutes=1), counted=False, why="WhatsApp"),
            Click("Abc1235", T0 + timedelta(minutes=9), counted=True),
        ]
    )
    [other] = await store.enqueue_sms(
        [_job("<m2@x>|+447700900124", (ShortLink("Abc1236", LONG),))], now=T0
    )
    clicks = await store.job_clicks([queued.id, other.id, "s-none"])
    assert clicks[queued.id].clicks == 2 and clicks[queued.id].not_counted == 1
    assert clicks[queued.id].links == 2
    assert clicks[queued.id].first_click == T0 + timedelta(minutes=5)
    assert clicks[other.id].clicks == 0 and "s-none" not in clicks
    rows = grouped(await store.link_report(since=T0 - timedelta(days=1)), by=("sender",))
    assert rows == [
        {
            "sender": "+447700900100",
            "texts": 2,
            "clicked": 1,
            "clicks": 2,
            "not_counted": 1,
            "click_through": 0.5,
        }
    ]
    assert "50.0%" in format_report(rows, by=("sender",), since=T0)


async def test_the_redirect_answers_302_410_404_and_counts_only_people(tmp_path: Path) -> None:
    from bridge.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    try:
        links = (
            ShortLink("Abc1234", LONG, 0, T0 + timedelta(days=1)),
            ShortLink("Old1234", LONG, 1, T0),
        )
        [queued] = await store.enqueue_sms([_job("<m1@x>|+447700900123", links)], now=T0)
        recorder = ClickRecorder(store=store)
        now = T0 + timedelta(hours=1)
        routes = link_routes(store=store, recorder=recorder, clock=lambda: now, cache_size=10)
        app = build_app(store=store, routes=routes, clock=lambda: now)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            person = await client.get("/l/Abc1234", headers={"User-Agent": IPHONE})
            assert person.status_code == 302 and person.headers["location"] == LONG
            assert person.headers["cache-control"] == "no-store"
            head = await client.head("/l/Abc1234", headers={"User-Agent": IPHONE})
            assert head.status_code == 302
            preview = await client.get("/l/Abc1234", headers={"User-Agent": "WhatsApp/2.23"})
            assert preview.status_code == 302
            gone = await client.get("/l/Old1234", headers={"User-Agent": IPHONE})
            assert gone.status_code == 410 and "expired" in gone.text
            unknown = await client.get("/l/Nope123", headers={"User-Agent": IPHONE})
            assert unknown.status_code == 404 and "not one this service made" in unknown.text
            assert (await client.get("/l/x", headers={"User-Agent": IPHONE})).status_code == 404
        await recorder.flush()
        clicks = (await store.job_clicks([queued.id]))[queued.id]
        assert (clicks.clicks, clicks.not_counted) == (1, 2)
    finally:
        await store.close()


@pytest.mark.parametrize("form", ["smsto", "sms"])
def test_qr_png_decodes_to_the_sms_uri(form: Any) -> None:
    uri = sms_uri("+447700900100", "JOIN", form=form)
    assert uri == {"smsto": "SMSTO:+447700900100:JOIN", "sms": "sms:+447700900100?body=JOIN"}[form]
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_image(uri))))
    assert found.text == uri and found.format == zxingcpp.BarcodeFormat.QRCode


def test_smsbridge_qr_writes_png_and_svg(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png, svg = tmp_path / "join.png", tmp_path / "join.svg"
    assert main(["qr", "--to", "+447700900100", "--text", "JOIN", "-o", str(png)]) == 0
    [found] = zxingcpp.read_barcodes(Image.open(png))
    assert found.text == "SMSTO:+447700900100:JOIN"
    assert main(["qr", "--to", "+447700900100", "--text", "JOIN", "--svg", "-o", str(svg)]) == 0
    drawn = svg.read_text(encoding="utf-8")
    assert drawn.startswith("<?xml") and "<svg" in drawn and "<path" in drawn
    assert "SMSTO" in capsys.readouterr().err


class _FlakyLinks:
    """A store that refuses the first batch of clicks, then keeps them."""

    def __init__(self) -> None:
        self.batches: list[list[Click]] = []
        self.refused = 0

    async def record_clicks(self, clicks: Any) -> int:
        if not self.refused:
            self.refused += 1
            raise OSError("disk full")
        self.batches.append(list(clicks))
        return len(clicks)


async def test_clicks_a_store_refused_are_kept_and_written_with_the_next_batch() -> None:
    store = _FlakyLinks()
    recorder = ClickRecorder(store=store)  # type: ignore[arg-type]
    recorder.add(Click("Abc1234", T0, counted=True))
    await recorder.flush()
    assert store.batches == [] and store.refused == 1
    recorder.add(Click("Abc1234", T0 + timedelta(seconds=1), counted=False, why="HEAD request"))
    await recorder.flush()
    assert [len(batch) for batch in store.batches] == [2]


async def test_the_recorder_writes_what_is_left_when_it_stops() -> None:
    store = _FlakyLinks()
    store.refused = 1  # no failure
    recorder = ClickRecorder(store=store, every=60)  # type: ignore[arg-type]
    task = asyncio.create_task(recorder.run())
    recorder.add(Click("Abc1234", T0, counted=True))
    await asyncio.sleep(0.01)
    recorder.stop()
    await asyncio.wait_for(task, timeout=5)
    assert [len(batch) for batch in store.batches] == [1]


def test_the_qr_address_is_its_local_part_at_our_domains_and_can_be_turned_off() -> None:
    from bridge.inbound.qr_desk import QrDesk
    from bridge.mail.transport import NoticeSettings
    from bridge.settings.text import SendersSettings

    def desk(local: str) -> QrDesk:
        return QrDesk(
            local=local,
            domains=["sms.example.com"],
            numbers=["+447700900100"],
            senders=SendersSettings(default="ExampleCo"),
            default_region="GB",
            store=None,  # type: ignore[arg-type]
            notices=NoticeSettings(from_address="b@sms.example.com", hostname="sms.example.com"),
            clock=lambda: T0,
            queued=lambda: None,
        )

    assert desk("qr").is_qr("QR@SMS.example.com")
    assert not desk("qr").is_qr("qr@example.org") and not desk("qr").is_qr("qrs@sms.example.com")
    assert not desk("").is_qr("@sms.example.com") and not desk("").is_qr("qr@sms.example.com")
