"""The admin page: access rules over HTTP, and a real headless Chromium logging in to explain."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI, ROOT
from tests.support.admin_login import login
from tests.support.bridge_process import BridgeProcess

PASSWORD = "correct horse battery staple"
ARTIFACTS = ROOT / "test-artifacts"
SETTINGS = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
timezone = "Europe/London"

[[routes]]
name = "renewals"
keywords = ["renew"]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "17:30"
timezone = "Europe/London"
emails = ["renewals@example.com"]

[[routes]]
name = "everyone"
default = true
owner = true
emails = ["team@example.com"]
"""


@pytest.fixture
def admin_bridge(tmp_path: Path) -> Iterator[BridgeProcess]:
    bridge = BridgeProcess(
        tmp_path,
        extra=SETTINGS,
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    with bridge:
        yield bridge


def test_the_page_is_off_by_default(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path) as bridge:
        assert httpx.get(f"http://127.0.0.1:{bridge.http_port}/admin").status_code == 404


def test_login_is_required_and_checked(admin_bridge: BridgeProcess) -> None:
    base = f"http://127.0.0.1:{admin_bridge.http_port}/admin"
    assert 'type="password"' in httpx.get(base).text
    with httpx.Client() as client:
        wrong = login(client, "guess", base=base.removesuffix("/admin"))
        assert wrong.status_code == 401 and "not right" in wrong.text
        login(client, PASSWORD, base=base.removesuffix("/admin"))
        page = client.get(
            base,
            params={
                "sender": "07700 900123",
                "to": "+447700900100",
                "text": "<b>RENEW</b>",
                "at": "2026-11-23 10:00",
            },
        )
    assert "Routes (first match wins)" in page.text and "Queue" in page.text
    assert "<b>RENEW</b>" not in page.text and "&lt;b&gt;RENEW&lt;/b&gt;" in page.text


def test_other_networks_are_refused(tmp_path: Path) -> None:
    bridge = BridgeProcess(
        tmp_path,
        admin={"enabled": True, "allowed_networks": ["10.0.0.0/8"]},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    with bridge:
        base = f"http://127.0.0.1:{bridge.http_port}/admin"
        assert httpx.get(base).status_code == 403
        assert httpx.post(base + "/login", data={"password": PASSWORD}).status_code == 403


def test_the_explain_form_reads_a_zoneless_route_in_the_reply_numbers_zone(tmp_path: Path) -> None:
    zoneless = SETTINGS.replace('timezone = "Europe/London"\nemails', "emails")
    assert zoneless.count("timezone") == 1  # the reply number keeps its own
    bridge = BridgeProcess(
        tmp_path,
        extra=zoneless,
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    base = f"http://127.0.0.1:{bridge.http_port}/admin"
    query = {"sender": "+447700900123", "to": "+447700900100", "text": "Renew", "at": ""}
    with bridge, httpx.Client() as client:
        login(client, PASSWORD, base=base.removesuffix("/admin"))
        page = client.get(base, params={**query, "at": "2026-07-01 09:15"}).text
    explanation = page.split('<pre id="explanation">')[1].split("</pre>")[0]
    assert "At 09:15 Wednesday 01 July 2026 (Europe/London):" in explanation
    assert "Route &#x27;renewals&#x27; sends it to" in explanation and "UTC" not in explanation
    assert "09:00-17:30 (the reply number&#x27;s time zone)" in page


def _chromium() -> str:
    found = shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        if IN_CI:
            pytest.fail("chromium or playwright is missing: .ci/test installs them")
        pytest.skip("Debian's chromium and the playwright package are needed")
    return found


def test_an_admin_logs_in_and_runs_an_explain_in_chromium(admin_bridge: BridgeProcess) -> None:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"http://127.0.0.1:{admin_bridge.http_port}/admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.fill("input[name=sender]", "+447700900123")
        page.fill("input[name=text]", "Renew please")
        page.fill("input[name=at]", "2026-12-25 22:15")
        page.click("text=Explain")
        answer = page.inner_text("#explanation")
        page.screenshot(path=str(ARTIFACTS / "admin-page.png"), full_page=True)
        browser.close()
    assert "22:15 Friday 25 December 2026" in answer
    assert (
        "renewals: no: 22:15 Friday in Europe/London is outside mon,tue,wed,thu,fri 09:00-17:30"
        in answer
    )
    assert "Route 'everyone' sends it to" in answer
    assert (ARTIFACTS / "admin-page.png").stat().st_size > 10_000


def test_the_conversation_page_shows_both_ways_in_chromium(admin_bridge: BridgeProcess) -> None:
    """A customer texts, alice answers by email; the admin follows the inbound text's link to
    its conversation and sees both texts, who wrote the answer and who owns it now."""
    from playwright.sync_api import sync_playwright

    from tests.support.smtp_client import converse

    executable = _chromium()
    bridge = admin_bridge
    url = f"http://127.0.0.1:{bridge.http_port}"
    httpx.post(
        url + "/webhooks/sandbox/inbound",
        data={"From": "+447700900123", "To": "+447700900100", "Body": "Is it ready?"},
        timeout=10,
    )
    [raw] = bridge.wait_until(bridge.maildir_messages, what="the email of the text")
    message_id = BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"]
    reply = (
        f"From: alice@example.com\r\nTo: +447700900123@sms.example.com\r\n"
        f"Subject: Re: Text\r\nIn-Reply-To: {message_id}\r\n\r\nYes, since 9 o'clock.\r\n"
    ).encode()
    said = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=["+447700900123@sms.example.com"],
        content=reply,
    )
    assert said.accepted, said
    bridge.wait_until(bridge.sandbox_sent, what="the answer texted")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(url + "/admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("a[href^='/admin/conversation?inbound=']")
        shown = page.inner_text("#conversation")
        page.screenshot(path=str(ARTIFACTS / "admin-conversation.png"), full_page=True)
        browser.close()
    assert "+44 7700 900123 with +44 7700 900100: live, owned by alice@example.com" in shown
    assert "Is it ready?" in shown and "Yes, since 9 o'clock." in shown
    assert shown.index("Is it ready?") < shown.index("Yes, since 9 o'clock.")
    assert (ARTIFACTS / "admin-conversation.png").stat().st_size > 10_000
