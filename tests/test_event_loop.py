"""``bridge.loop``: asyncio's loop, or uvloop when installed (the ``fast`` extra, which the
``test`` extra installs too, so these run the bridge on it)."""

from __future__ import annotations

import smtplib
import sys
from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.event_loop import loop_name, run
from bridge.inbound.smtp_users import hash_password
from tests.conftest import make_settings
from tests.support.bridge_process import BridgeProcess
from tests.support.certificates import make_certificate
from tests.support.smtp_client import converse, message

RCPT = "+447700900123@sms.example.com"


async def _name() -> str:
    return loop_name()


def test_uvloop_asked_for_but_not_installed_is_a_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed
    with pytest.raises(ConfigError) as raised:
        make_settings(tmp_path, bridge={"loop": "uvloop"})
    assert "bridge.toml:4: bridge.loop: uvloop is not installed: pip install 'smsbridge[fast]'" in (
        raised.value.report()
    )


def test_auto_is_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert run(_name(), choice="auto") == "asyncio"


def test_asyncio_is_asyncio_even_with_uvloop_installed() -> None:
    assert run(_name(), choice="asyncio") == "asyncio"


def test_auto_is_uvloop_when_installed() -> None:
    pytest.importorskip("uvloop")
    assert run(_name(), choice="auto") == "uvloop"


def test_processes_auto_means_one_per_core(tmp_path: Path) -> None:
    import os

    settings = make_settings(tmp_path, smtp={"processes": "auto"})
    assert settings.smtp.processes == (os.cpu_count() or 1)
    with pytest.raises(ConfigError):
        make_settings(tmp_path, smtp={"processes": 0})


def test_the_bridge_and_its_listener_process_run_on_uvloop_with_starttls_and_auth(
    tmp_path: Path,
) -> None:
    """STARTTLS is where aiosmtpd reaches into the transport: it must work on uvloop's."""
    pytest.importorskip("uvloop")
    cert, key = make_certificate(tmp_path / "tls", name="sms.example.com")
    users = tmp_path / "users"
    users.write_text(f"carol@partner.test:{hash_password('s3cret pass')}\n")
    bridge = BridgeProcess(
        tmp_path,
        bridge={"loop": "uvloop", "log_level": "INFO"},
        smtp={"tls_cert": str(cert), "tls_key": str(key), "processes": 2},
        extra=f'[smtp.auth]\nenabled = true\nusers_file = "{users}"\n',
    )
    with bridge:
        bridge.wait_until(lambda: "SMTP listener process serving, on uvloop" in bridge.log_text())
        assert "on uvloop" in bridge.log_text().split("smsbridge ready")[1].splitlines()[0]
        for n in range(6):  # on several connections: both processes, most likely
            dialogue = converse(
                bridge.smtp_address,
                mail_from="carol@partner.test",
                rcpts=[RCPT],
                content=message(body=f"Table {n} is ready.").as_bytes(),
                login=("carol@partner.test", "s3cret pass"),
                starttls=True,
            )
            assert dialogue.accepted, dialogue
        with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
            assert client.sendmail("alice@example.com", [RCPT], b"Subject: x\r\n\r\nHi\r\n") == {}
        sent = bridge.wait_until(lambda: len(bridge.sandbox_sent()) == 7 and bridge.sandbox_sent())
    assert sorted(s["text"] for s in sent)[0] == "Hi"
