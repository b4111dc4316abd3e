"""The admin page's flows: behind the login, each flow step by step, values escaped."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bridge.app import Bridge
from tests.conftest import make_settings
from tests.support.admin_login import alogin
from tests.test_admin_page import PASSWORD

FLOWS = (Path(__file__).parent / "flows" / "restaurant.toml").read_text(encoding="utf-8")
EXTRA = f"""
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
{FLOWS}"""


async def test_the_page_shows_each_flow_behind_the_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSBRIDGE_ADMIN__PASSWORD", PASSWORD)
    settings = make_settings(tmp_path, extra=EXTRA, admin={"enabled": True})
    async with Bridge(settings) as bridge:
        base = f"http://{bridge.http_address}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            assert 'type="password"' in (await client.get("/admin/flows")).text
            await alogin(client, PASSWORD)
            assert 'href="/admin/flows"' in (await client.get("/admin")).text
            page = (await client.get("/admin/flows")).text
            assert 'id="flow-restaurant"' in page and "Started by MENU, HI on +447700900100" in page
            assert "<td>date</td><td>ask</td>" in page and "date: a date → name" in page
            assert "We&#x27;re open Tuesday to Sunday" in page  # escaped
            assert "bookings@example.com" in page
