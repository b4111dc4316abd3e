"""Reloading the routing table while texts keep arriving: swapped whole, nothing lost or doubled."""

from __future__ import annotations

import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx

from tests.support.bridge_process import BridgeProcess

NUMBER = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""
TABLE = """
[[routes]]
name = "{name}"
default = true
emails = ["{name}@example.com"]
"""
TEXTS = 150


def _post_texts(port: int, errors: list[str]) -> None:
    url = f"http://127.0.0.1:{port}/webhooks/sandbox/inbound"
    with httpx.Client(timeout=10) as client:
        for n in range(TEXTS):
            fields = {
                "From": "+447700900123",
                "To": "+447700900100",
                "Body": f"text {n}",
                "MessageId": f"SBI{n:05d}",
            }
            answer = client.post(url, data=fields)
            if answer.status_code != 200:
                errors.append(answer.text)
            time.sleep(0.005)


def test_twenty_reloads_under_load_route_every_text_exactly_once(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=NUMBER + TABLE.format(name="blue"))
    base = bridge.config.read_text().replace(TABLE.format(name="blue"), "")
    errors: list[str] = []
    with bridge:
        poster = threading.Thread(target=_post_texts, args=(bridge.http_port, errors))
        poster.start()
        for n in range(20):
            bridge.config.write_text(base + TABLE.format(name="green" if n % 2 == 0 else "blue"))
            result = bridge.cli("reload")
            assert result.returncode == 0, result.stderr
            time.sleep(0.05)
        poster.join()
        bridge.wait_until(lambda: len(bridge.maildir_messages()) >= TEXTS, timeout=60)
        time.sleep(0.5)
        log = bridge.log_text()
    assert errors == []
    emails = [BytesParser(policy=policy.default).parsebytes(m) for m in bridge.maildir_messages()]
    bodies = [e.get_content().split("\n")[0] for e in emails]
    assert sorted(bodies) == sorted(f"text {n}" for n in range(TEXTS))  # each exactly once
    assert {str(e["To"]) for e in emails} <= {"blue@example.com", "green@example.com"}
    assert log.count("reloaded ") == 20


def test_an_invalid_file_keeps_the_table_in_use(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=NUMBER + TABLE.format(name="blue"))
    with bridge:
        good = bridge.config.read_text()
        bridge.config.write_text(good.replace('name = "blue"', 'name = "blue"\nstart = "9am"'))
        refused = bridge.cli("reload")
        assert refused.returncode == 2 and "start" in refused.stderr
        assert bridge.proc is not None
        bridge.proc.send_signal(1)  # SIGHUP straight to the bridge: it checks the file itself
        bridge.wait_until(lambda: "reload refused" in bridge.log_text(), what="the refusal")
        answer = httpx.post(
            f"http://127.0.0.1:{bridge.http_port}/webhooks/sandbox/inbound",
            data={"From": "+447700900123", "To": "+447700900100", "Body": "hi"},
        )
        assert answer.status_code == 200
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the email")
    assert BytesParser(policy=policy.default).parsebytes(raw)["To"] == "blue@example.com"
    assert "'9am' is not a time of day" in bridge.log_text()


def test_watching_the_file_reloads_when_it_changes(tmp_path: Path) -> None:
    bridge = BridgeProcess(
        tmp_path, extra=NUMBER + TABLE.format(name="blue"), bridge={"watch_config": True}
    )
    with bridge:
        time.sleep(0.5)
        bridge.config.write_text(bridge.config.read_text().replace("blue", "green"))
        bridge.wait_until(lambda: "reloaded " in bridge.log_text(), timeout=15, what="a reload")
        answer = httpx.post(
            f"http://127.0.0.1:{bridge.http_port}/webhooks/sandbox/inbound",
            data={"From": "+447700900123", "To": "+447700900100", "Body": "hi"},
        )
        assert answer.status_code == 200
        [raw] = bridge.wait_until(bridge.maildir_messages, what="the email")
    assert BytesParser(policy=policy.default).parsebytes(raw)["To"] == "green@example.com"
