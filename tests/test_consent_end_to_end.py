"""An opt-in campaign through the running bridge: JOIN to a short code, YES, the welcome, the
ledger; and a STOP to one number stopping another's text."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.bridge_process import BridgeProcess

CUSTOMER, SHORT, OTHER = "+447700900123", "60777", "+447700900100"
EXTRA = f"""
[[numbers]]
number = "{SHORT}"
country = "GB"
inbox = ["offers@example.com"]
[[numbers]]
number = "{OTHER}"
inbox = ["team@example.com"]
[[campaigns]]
keyword = "JOIN"
numbers = ["{SHORT}"]
confirm = "ExampleCo offers: reply YES to confirm. Reply STOP to stop."
welcome = "ExampleCo offers: up to 4 texts a month. Reply STOP to stop."
"""


def _texted(bridge: BridgeProcess, body: str, to: str = SHORT) -> None:
    fields = {"From": CUSTOMER, "To": to, "Body": body}
    url = f"{bridge.public_url}/webhooks/sandbox/inbound"
    assert httpx.post(url, data=fields, timeout=10).status_code == 200


def test_join_yes_is_a_double_opt_in_and_stop_stops_every_number(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=EXTRA, queue={"poll_seconds": 0.1})
    with bridge:
        _texted(bridge, "Join")
        asked = bridge.wait_until(lambda: bridge.sandbox_sent(), what="the question")
        assert asked[0]["to"] == CUSTOMER and "reply YES to confirm" in asked[0]["text"]
        _texted(bridge, "YES")
        sent = bridge.wait_until(
            lambda: (s := bridge.sandbox_sent()) and len(s) == 2 and s, what="the welcome"
        )
        assert sent[1]["text"].startswith("ExampleCo offers: up to 4 texts a month")
        listed = bridge.cli("consent", "list", "--json")
        [event] = [json.loads(line) for line in listed.stdout.splitlines()]
        assert (event["how"], event["campaign"], event["customer"]) == (
            "double opt-in",
            "join",
            CUSTOMER,
        )
        summary = bridge.cli("consent", "list", "--summary").stdout
        assert "JOIN" in summary and "1 by double opt-in" in summary
        _texted(bridge, "STOP")
        bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 3, what="the STOP answer")
        refused = bridge.cli("send", "--from", OTHER, "--to", CUSTOMER, "Hello again")
        assert refused.returncode == 1
        assert f"replied STOP to {SHORT}" in refused.stdout + refused.stderr
