"""``GET /metrics`` of the running bridge, read by Prometheus' own parser after real events:
emails over SMTP (accepted, refused at RCPT, failed at the provider, scheduled), a customer's
STOP through the provider's webhook, and a client outside the allowed networks."""

from __future__ import annotations

import re
import smtplib
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import message

FAILS = """
[[provider.sandbox.fail]]
pattern = "+447700900999"
kind = "permanent"
reason = "the number is not in service"

[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""


def _scrape(bridge: BridgeProcess) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{bridge.public_url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def _send(
    bridge: BridgeProcess, to: list[str], subject: str = "Order 1234"
) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        try:
            return client.send_message(
                message(subject=subject), from_addr="alice@example.com", to_addrs=to
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return exc.recipients  # type: ignore[no-any-return]


def test_the_counters_say_what_happened_to_each_text(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=FAILS, queue={"poll_seconds": 0.1})
    with bridge:
        refused = _send(
            bridge,
            [
                "+447700900123@sms.example.com",
                "+447700900999@sms.example.com",
                "+449090900123@sms.example.com",  # premium rate: refused at RCPT
            ],
        )
        assert list(refused) == ["+449090900123@sms.example.com"]
        bridge.wait_until(
            lambda: {j["state"] for j in bridge.jobs()} == {"sent", "failed"}, what="both texts"
        )
        bridge.wait_until(
            lambda: any(m["state"] == "sent" for m in bridge.mail_jobs()), what="the notice"
        )
        got = _scrape(bridge)
    decisions = "smsbridge_chain_decisions_total"
    assert _value(got, decisions, stage="submit", outcome="accepted") == 2
    assert _value(got, decisions, stage="submit", outcome="refused", rule="destination") == 1
    assert _value(got, "smsbridge_texts_sent_total", provider="sandbox", sender="ExampleCo") == 1
    assert (
        _value(got, "smsbridge_texts_failed_total", provider="sandbox", reason="sandbox-permanent")
        == 1
    )
    seconds = "smsbridge_provider_send_seconds_count"
    assert _value(got, seconds, provider="sandbox", outcome="sent") == 1
    assert _value(got, seconds, provider="sandbox", outcome="permanent") == 1
    assert _value(got, "smsbridge_mail_total", outcome="delivered") >= 1
    assert _value(got, "smsbridge_provider_breaker_open", provider="sandbox") == 0
    assert _value(got, "smsbridge_queue_jobs", queue="sms", state="due") == 0
    assert _value(got, "process_resident_memory_bytes") > 0


def test_a_scheduled_text_waits_in_the_queue_and_a_stop_is_an_opt_out(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=FAILS, queue={"poll_seconds": 0.1})
    with bridge:
        assert _send(bridge, ["+447700900124@sms.example.com"], "Rota [tomorrow 9am]") == {}
        answer = httpx.post(
            f"{bridge.public_url}/webhooks/sandbox/inbound",
            data={"From": "+447700900123", "To": "+447700900100", "Body": "STOP"},
            timeout=10,
        )
        assert answer.status_code == 200
        bridge.wait_until(lambda: bridge.sandbox_sent(), what="the STOP confirmation")
        got = _scrape(bridge)
    assert _value(got, "smsbridge_queue_jobs", queue="sms", state="later") == 1
    assert _value(got, "smsbridge_queue_oldest_seconds", queue="sms") == 0
    assert _value(got, "smsbridge_chain_decisions_total", outcome="deferred", rule="schedule") == 1
    assert _value(got, "smsbridge_consent_events_total", event="opt-out", how="keyword") == 1
    assert _value(got, "smsbridge_inbound_texts_total") == 1


def test_a_client_outside_the_allowed_networks_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path, metrics={"allowed_networks": ["192.0.2.0/24"]}) as bridge:
        answer = httpx.get(f"{bridge.public_url}/metrics", timeout=10)
    assert answer.status_code == 403
    assert "metrics.allowed_networks" in answer.text
    assert "smsbridge_" not in answer.text


def test_the_example_alert_rules_use_only_metrics_the_bridge_exports(tmp_path: Path) -> None:
    rules_file = Path(__file__).parent.parent / "docs" / "examples" / "prometheus-alerts.yml"
    groups = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    named = {m for e in exprs for m in re.findall(r"\b(smsbridge_[a-z_]+)", e)}
    with BridgeProcess(tmp_path, extra=FAILS, queue={"poll_seconds": 0.1}) as bridge:
        _send(bridge, ["+447700900999@sms.example.com"])  # so every labelled family has a line
        bridge.wait_until(lambda: [m for m in bridge.mail_jobs() if m["state"] == "sent"])
        exported = {name for name, _ in _scrape(bridge)}
    assert named and named <= exported, named - exported
