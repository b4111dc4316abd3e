"""The admin page's consent ledger: behind the same login, searched by number, escaped, and
downloadable as CSV, on a running bridge whose ledger the CLI filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.admin_login import login
from tests.support.bridge_process import BridgeProcess
from tests.test_admin_page import PASSWORD


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    running = BridgeProcess(
        tmp_path_factory.mktemp("consent-page"),
        admin={"enabled": True},
        env={"SMSBRIDGE_ADMIN__PASSWORD": PASSWORD},
    )
    with running:
        listed = Path(running.data_dir.parent / "old.csv")
        listed.write_text("number\n+447700900123\n+447700900456\n", encoding="utf-8")
        done = running.cli("consent", "import", str(listed), "--by", "admin@example.com")
        assert done.returncode == 0, done.stderr
        done = running.cli(
            "consent",
            "opt-in",
            "+447700900456",
            "--by",
            "admin@example.com",
            "--reason",
            "<b>written</b> request",
        )
        assert done.returncode == 0, done.stderr
        yield running


def test_the_ledger_needs_the_login_and_is_searched_by_number(bridge: BridgeProcess) -> None:
    base = f"http://127.0.0.1:{bridge.http_port}"
    assert 'type="password"' in httpx.get(base + "/admin/consent").text
    with httpx.Client(base_url=base, timeout=10) as client:
        login(client, PASSWORD)
        assert 'href="/admin/consent"' in client.get("/admin").text
        page = client.get("/admin/consent").text
        assert page.count("<tr>") == 4  # the header, two imported, one admin's opt-in
        assert "&lt;b&gt;written&lt;/b&gt; request" in page and "<b>written" not in page
        found = client.get("/admin/consent", params={"q": "0456"}).text
        assert found.count("<tr>") == 3 and "<td>+447700900123</td>" not in found
        download = client.get("/admin/consent.csv")
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("at,customer,action,scope") and len(lines) == 4
