"""The console's QR codes and a text's short-link clicks, through the running bridge: the
code made for one of the bridge's numbers decodes to the text a phone would open, a number
that is not the bridge's is refused with a sentence, and a text's page says how often its
short link was clicked, previews apart."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image

from tests.support.admin_login import login
from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message
from tests.test_admin_page import PASSWORD

EXTRA = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]

[links]
domain = "go.example.com"
"""
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def _bridge(tmp_path: Path) -> BridgeProcess:
    return BridgeProcess(
        tmp_path,
        extra=EXTRA,
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
        queue={"poll_seconds": 0.1},
    )


def test_a_qr_code_for_a_reply_number_decodes_and_others_are_refused(tmp_path: Path) -> None:
    with _bridge(tmp_path) as bridge, httpx.Client(base_url=bridge.public_url, timeout=10) as web:
        assert 'type="password"' in web.get("/admin/qr").text  # behind the login
        login(web, PASSWORD, name="Dana")
        asked = {"number": "+447700900100", "keyword": "JOIN"}
        page = web.get("/admin/qr", params=asked)
        assert page.status_code == 200 and 'src="data:image/png;base64,' in page.text
        png = web.get("/admin/qr.png", params=asked)
        assert png.headers["content-type"] == "image/png"
        [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
        assert found.text == "SMSTO:+447700900100:JOIN"
        svg = web.get("/admin/qr.svg", params={**asked, "form": "sms"})
        assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
        other = web.get("/admin/qr", params={"number": "+447700900999", "keyword": "JOIN"})
        assert other.status_code == 400
        assert "+447700900999 is not one of this bridge&#x27;s numbers" in other.text
        assert web.get("/admin/qr.png", params={"number": "+447700900100"}).status_code == 400


def test_a_texts_page_counts_its_short_link_clicks_apart_from_previews(tmp_path: Path) -> None:
    with _bridge(tmp_path) as bridge, httpx.Client(base_url=bridge.public_url, timeout=10) as web:
        body = "Your order is ready: https://shop.example.com/orders/12345/collect?from=sms now."
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+447700900123@sms.example.com"],
            content=message(body=body).as_bytes(),
        )
        assert said.data is not None and said.data[0] == 250, said
        [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
        found = re.search(r"https://go\.example\.com(/l/[A-Za-z0-9]{7})", sent["text"])
        assert found is not None, sent
        clicked = web.get(found.group(1), headers={"User-Agent": IPHONE})
        assert clicked.status_code == 302, clicked.text
        assert web.get(found.group(1), headers={"User-Agent": "Slackbot 1.0"}).status_code == 302
        login(web, PASSWORD, name="Dana")
        [job] = bridge.jobs()

        def counted() -> str:
            text = web.get(f"/admin/texts/{job['id']}").text
            return text if "1 link: 1 click (1 by previews or scanners" in text else ""

        page = bridge.wait_until(counted, timeout=10, what="the click on the text's page")
        assert "first click on a short link" in page
