"""The admin page's address book: behind the same login, searchable, escaped, downloadable as
CSV; and a real headless Chromium searching it (a screenshot is kept in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.admin_login import login
from tests.support.bridge_process import BridgeProcess
from tests.test_admin_page import ARTIFACTS, PASSWORD, _chromium


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    running = BridgeProcess(
        tmp_path_factory.mktemp("contacts-page"),
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    with running:
        book = running.data_dir.parent / "book.csv"
        book.write_text(
            "number,name,email,tags,timezone,notes\n"
            "+447700900123,Ann Example,ann@example.com,vip;late,Europe/London,Mornings\n"
            '+447700900456,<b>Bob</b>,bob@example.org,,,"=HYPERLINK(""http://x"")"\n'
            "+447700900789,Cy Jones,,vip,,\n",
            encoding="utf-8",
        )
        done = running.cli("contacts", "import", str(book))
        assert done.returncode == 0, done.stderr
        yield running


@contextmanager
def _logged_in(bridge: BridgeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{bridge.http_port}", timeout=10) as client:
        login(client, PASSWORD)
        yield client


def test_the_contacts_need_the_login(bridge: BridgeProcess) -> None:
    base = f"http://127.0.0.1:{bridge.http_port}"
    assert 'type="password"' in httpx.get(base + "/admin/contacts").text
    download = httpx.get(base + "/admin/contacts.csv")
    assert "text/csv" not in download.headers["content-type"] and "Ann" not in download.text


def test_the_page_lists_searches_and_escapes(bridge: BridgeProcess) -> None:
    with _logged_in(bridge) as client:
        assert 'href="/admin/contacts"' in client.get("/admin").text
        page = client.get("/admin/contacts").text
        assert page.count("<tr>") == 4  # the header and three contacts
        assert "&lt;b&gt;Bob&lt;/b&gt;" in page and "<b>Bob</b>" not in page
        found = client.get("/admin/contacts", params={"q": "ann"}).text
        assert "+447700900123" in found and "+447700900789" not in found
        tagged = client.get("/admin/contacts", params={"tag": "VIP"}).text
        assert "Cy Jones" in tagged and "bob@example.org" not in tagged
        none = client.get("/admin/contacts", params={"q": '"><script>'}).text
        assert 'id="contacts-none"' in none and "<script>" not in none


def test_the_csv_download_is_every_contact_guarded_against_formulas(
    bridge: BridgeProcess,
) -> None:
    with _logged_in(bridge) as client:
        answer = client.get("/admin/contacts.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith('attachment; filename="contacts-')
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "number,name,email,tags,timezone,language,notes" and len(lines) == 4
    assert any("'=HYPERLINK" in line for line in lines)
    assert all(line.startswith("'+44") for line in lines[1:])


def test_an_admin_searches_the_contacts_in_chromium(bridge: BridgeProcess) -> None:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 700})
        page.goto(f"http://127.0.0.1:{bridge.http_port}/admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.click("#contacts-link")
        page.fill("input[name=tag]", "vip")
        page.click("form.inline button[type=submit]")
        rows = page.locator("#contacts tr").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "contacts-page.png"), full_page=True)
        export = page.get_attribute("#export", "href")
        browser.close()
    assert len(rows) == 3 and "Ann Example" in rows[1] and "Cy Jones" in rows[2]
    assert export == "/admin/contacts.csv"
    assert Path(ARTIFACTS / "contacts-page.png").stat().st_size > 10_000
