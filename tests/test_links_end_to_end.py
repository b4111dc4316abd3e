"""Short links through the running bridge: an email over SMTP with a long URL, the text the
phone gets (a short link of its own per recipient, one segment), the redirect followed with
httpx (302 to the target with its UTM parameters), a HEAD and a preview agent not counted, a
person's click in the outbox and the report, and the link still answering after a restart."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message

TARGET = "https://shop.example.com/spring-sale/collections/garden-furniture?ref=sms-campaign-2026"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
SHORT = re.compile(r"https://go\.example\.com/l/([A-Za-z0-9]{7})")
BODY = (
    "Our spring sale has started: garden furniture at half price until Sunday, see "
    f"{TARGET} for the whole range."
)


def _links_bridge(tmp_path: Path) -> BridgeProcess:
    extra = (
        '[links]\ndomain = "go.example.com"\n'
        'utm = {source = "sms", medium = "sms", campaign = "{category}"}\n'
    )
    return BridgeProcess(tmp_path, extra=extra)


def test_a_short_link_per_recipient_followed_counted_and_reported(tmp_path: Path) -> None:
    assert len(BODY) > 160  # two segments as written
    bridge = _links_bridge(tmp_path)
    with bridge:
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+447700900123@sms.example.com", "+447700900124@sms.example.com"],
            content=message(body=BODY, subject="Spring sale").as_bytes(),
        )
        assert said.data[0] == 250, said
        sent = bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 2 and bridge.sandbox_sent())
        codes = {text["to"]: SHORT.search(text["text"]) for text in sent}
        assert all(codes.values()), sent
        first, second = (codes[n].group(1) for n in ("+447700900123", "+447700900124"))  # type: ignore[union-attr]
        assert first != second  # one code per recipient
        assert all(TARGET not in text["text"] for text in sent)
        assert {job["segments"] for job in bridge.jobs()} == {1}
        chain = json.loads(bridge.jobs()[0]["chain"])
        assert ["short-links", "rewrite", "1 link shortened: 186 to 131 characters"] in chain

        url = f"{bridge.public_url}/l/{first}"
        person = httpx.get(url, headers={"User-Agent": IPHONE}, follow_redirects=False)
        assert person.status_code == 302
        assert person.headers["location"] == (
            f"{TARGET}&utm_source=sms&utm_medium=sms&utm_campaign=transactional"
        )
        assert httpx.head(url, headers={"User-Agent": IPHONE}).status_code == 302
        preview = httpx.get(url, headers={"User-Agent": "WhatsApp/2.23.20.0 A"})
        assert preview.status_code == 302
        assert httpx.get(f"{bridge.public_url}/l/Nope123").status_code == 404

        def clicked() -> str:
            shown = bridge.cli("outbox").stdout
            return shown if "[1 click on 1 link (+2 previews, not counted)]" in shown else ""

        outbox = bridge.wait_until(clicked, timeout=10, what="the click in the outbox")
        assert outbox.count("click") == 2  # the other recipient's text: 0 clicks
        lines = bridge.cli("outbox", "--json").stdout.splitlines()
        links = {json.loads(line)["id"]: json.loads(line)["links"] for line in lines}
        assert sorted(v["clicks"] for v in links.values()) == [0, 1]
        report = bridge.cli("links", "report", "--by", "author", "--json")
        assert json.loads(report.stdout) == {
            "author": "alice@example.com",
            "texts": 2,
            "clicked": 1,
            "clicks": 1,
            "not_counted": 2,
            "click_through": 0.5,
        }
        assert bridge.stop() == 0
    with bridge:  # a restart: the code is read from the store again
        again = httpx.get(f"{bridge.public_url}/l/{second}", headers={"User-Agent": IPHONE})
        assert again.status_code == 302 and again.headers["location"].startswith(TARGET)


def test_without_a_link_domain_urls_are_sent_as_written(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path) as bridge:
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+447700900123@sms.example.com"],
            content=message(body=BODY).as_bytes(),
        )
        assert said.data[0] == 250, said
        [sent] = bridge.wait_until(bridge.sandbox_sent)
    assert TARGET in sent["text"] and "/l/" not in sent["text"]


def test_the_qr_address_answers_a_keyword_with_a_qr_code_threaded_under_the_email(
    tmp_path: Path,
) -> None:
    numbers = '[[numbers]]\nnumber = "+447700900100"\ninbox = ["team@example.com"]\n'
    with BridgeProcess(tmp_path, extra=numbers) as bridge:
        asked = message(to="qr@sms.example.com", subject="JOIN 07700 900100", body="Please")
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["qr@sms.example.com"],
            content=asked.as_bytes(),
        )
        assert said.data == (
            250,
            "2.0.0 A QR code of SMSTO:+447700900100:JOIN is on its way to you",
        )
        [answer] = bridge.wait_until(bridge.maildir_messages, what="the answer")
        unknown = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["qr@sms.example.com"],
            content=message(to="qr@sms.example.com", subject="JOIN").as_bytes(),
        )
        alone = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["qr@sms.example.com", "+447700900123@sms.example.com"],
            content=message(subject="JOIN").as_bytes(),
        )
    msg = email.message_from_bytes(answer, policy=email.policy.default)
    assert msg["To"] == "alice@example.com" and msg["Subject"] == "Re: JOIN"
    assert msg["In-Reply-To"] == asked["Message-ID"]
    [picture] = list(msg.iter_attachments())
    assert picture.get_filename() == "qr-JOIN.png"
    png = picture.get_content()
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found.text == "SMSTO:+447700900100:JOIN"
    # ExampleCo (the default sender) is no number a customer can text
    assert unknown.data[0] == 550 and "Customers cannot text ExampleCo" in unknown.data[1]
    assert alone.rcpts[1][0] == 452
