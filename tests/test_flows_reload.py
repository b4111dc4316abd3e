"""A reload swaps the flows with the routing table: the next text is answered by the flows of
the file as it is now; an invalid file changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bridge.app import Bridge
from tests.conftest import make_settings
from tests.test_flows_page import EXTRA

MENU = "Hi from Luigi's! Reply 1 for opening hours, 2 to rebook, 3 to ask a question."


async def _menu_for(bridge: Bridge, customer: str) -> str:
    url = f"http://{bridge.http_address}/webhooks/sandbox/inbound"
    fields = {"From": customer, "To": "+447700900100", "Body": "MENU"}
    answer = await asyncio.to_thread(httpx.post, url, data=fields, timeout=10)
    assert answer.status_code == 200
    for _ in range(200):
        found = [j.text for j in await bridge.store.recent_sms(limit=20) if j.to_number == customer]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {customer}")


async def test_a_reload_changes_what_a_flow_says(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=EXTRA)
    path = tmp_path / "bridge.toml"
    async with Bridge(settings) as bridge:
        assert await _menu_for(bridge, "+447700900001") == MENU
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Hi from Luigi's!", "Ciao from Luigi's!"), encoding="utf-8")
        assert bridge.reload(path)
        assert (await _menu_for(bridge, "+447700900002")).startswith("Ciao from Luigi's!")
        path.write_text(text.replace('goto = "hours"', 'goto = "nowhere"'), encoding="utf-8")
        assert not bridge.reload(path)  # refused: the flows in use stay
        assert (await _menu_for(bridge, "+447700900003")).startswith("Ciao from Luigi's!")
