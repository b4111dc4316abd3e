"""The admin console in a real headless Chromium: log in with a name, read the history,
filter it, open a failed text's timeline, reveal its number, retry it (confirmed), cancel a
scheduled text (confirmed), read the audit log and the provider health page. A screenshot of
every page goes to test-artifacts/ (console-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message
from tests.test_admin_page import ARTIFACTS, PASSWORD, _chromium
from tests.test_console import FAILS
from tests.test_scheduled_end_to_end import RULES

NUMBERS = ("+447700900123", "+447700900124", "+447700900125", "+447700900999")
REPLY_NUMBER = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[BridgeProcess]:
    running = BridgeProcess(
        tmp_path,
        extra=RULES + FAILS + REPLY_NUMBER,
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    with running:
        for number in NUMBERS:
            _send(running, number, "Parcel")
        _send(running, "+447700900126", "[tomorrow 9am] Rota")
        running.wait_until(
            lambda: sum(j["state"] in ("sent", "failed") for j in running.jobs()) == len(NUMBERS),
            what="the texts sent or failed",
        )
        yield running


def _send(bridge: BridgeProcess, number: str, subject: str) -> None:
    said = converse(
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=[f"{number}@sms.example.com"],
        content=message(subject=subject, body="Your parcel arrives today.").as_bytes(),
    )
    assert said.data is not None and said.data[0] == 250, said


def _shot(page: Any, name: str) -> None:
    path = ARTIFACTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, path


def test_an_admin_works_through_the_console_in_chromium(bridge: BridgeProcess) -> None:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"http://127.0.0.1:{bridge.http_port}"
    failed = next(j["id"] for j in bridge.jobs() if j["state"] == "failed")
    waiting = next(j["id"] for j in bridge.jobs() if j["state"] == "queued")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url + "/admin/history")
        _shot(page, "login")
        page.fill("input[name=name]", "Dana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        _shot(page, "overview")

        page.click("#history-link")
        assert page.locator("#history tr").count() == 1 + len(NUMBERS) + 1
        assert "+447700900123" not in page.inner_text("#history")
        _shot(page, "history")
        page.select_option("select[name=state]", "failed")
        page.click("#history-filter button")
        assert page.locator("#history tr").count() == 2
        _shot(page, "history-failed")

        page.click(f"a[href='/admin/texts/{failed}']")
        assert page.inner_text("#number") == "+44******0999"
        assert "the number is not in service" in page.inner_text("#timeline")
        _shot(page, "text")
        page.click("#reveal")
        assert page.inner_text("#number") == "+447700900999"
        _shot(page, "text-revealed")
        page.click("#retry")
        _shot(page, "retry-confirm")
        page.click("#confirm")
        assert page.inner_text("#text-said") == "The text is queued again."
        _shot(page, "text-retried")

        page.goto(url + f"/admin/texts/{waiting}")
        page.click("#cancel")
        _shot(page, "cancel-confirm")
        page.click("#confirm")
        assert "The text was cancelled" in page.inner_text("#text-said")
        assert "cancelled" in page.inner_text("#text-summary")

        page.click("#audit-log-link")
        log = page.inner_text("#audit")
        assert log.count("Dana") == 3 and "queued again (was failed)" in log
        _shot(page, "audit")

        page.click("#providers-link")
        assert "sandbox" in page.inner_text("#providers")
        assert page.locator("svg.chart").count() == 2
        _shot(page, "health")

        page.click("#flows-link")
        _shot(page, "flows")
        page.click("#qr-codes-link")
        page.fill("input[name=keyword]", "JOIN")
        page.click("#qr-form button")
        assert page.inner_text("#qr-code figcaption") == "SMSTO:+447700900100:JOIN"
        _shot(page, "qr")

        page.click("text=Log out")
        assert page.locator("input[type=password]").count() == 1
        browser.close()
