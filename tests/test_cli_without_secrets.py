"""Commands that read or queue work without the running service's secrets.

The admin's shell has the settings file but not the admin password or the providers' tokens
(those live in the service's environment or in files only the service can read); ``outbox``,
``inbox``, ``routes explain``, ``simulate-inbound``, ``outbound explain`` and ``send`` do
not need them. ``run`` and ``check-config`` still refuse the same file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import settings_toml

SECRETS_ELSEWHERE = """
[admin]
enabled = true
password_file = "/nonexistent/admin-password"

[providers.twilio]
type = "twilio"
account_sid = "AC0123456789abcdef0123456789abcdef"

[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
timezone = "Europe/London"
"""

COMMANDS = {
    "outbox": ["outbox"],
    "inbox": ["inbox"],
    "routes explain": [
        "routes",
        "explain",
        "--from",
        "+447700900123",
        "--to",
        "+447700900100",
        "--text",
        "Hello",
    ],
    "simulate-inbound": [
        "simulate-inbound",
        "--from",
        "+447700900123",
        "--to",
        "+447700900100",
        "Yes please",
    ],
    "outbound explain": ["outbound", "explain", "--to", "+447700900123", "--text", "Hello"],
    "send": ["send", "--to", "+447700900123", "Your parcel is here"],
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(settings_toml(tmp_path / "var", extra=SECRETS_ELSEWHERE), encoding="utf-8")
    return path


def smsbridge(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_command_needs_none_of_the_services_secrets(config: Path, command: str) -> None:
    result = smsbridge(*COMMANDS[command], "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "password" not in result.stderr and "token" not in result.stderr


@pytest.mark.parametrize("command", [["run"], ["check-config"]])
def test_the_service_and_check_config_still_need_them(config: Path, command: list[str]) -> None:
    args = [*command, "--config", str(config)] if command == ["run"] else [*command, str(config)]
    result = smsbridge(*args)
    assert result.returncode == 2
    assert "admin.password_file: cannot read the secret file" in result.stderr
    assert (
        "providers.twilio.auth_token_file: Twilio needs its auth token: set"
        " SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN" in result.stderr
    )
