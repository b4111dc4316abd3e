"""Settings: every problem reported with its key path; secrets only from env or files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.settings.load import load_settings

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return dict(info.value.problems)


def test_the_example_file_is_valid() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert list(settings.providers) == ["sandbox"]
    assert settings.smtp.port == 2525 and settings.http.port == 8025
    assert settings.database_path == ROOT / "var" / "smsbridge.db"


def test_every_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            """
[smtp]
domains = ["sms.example.com"]
default_region = "XX"
colour = "blue"
[senders]
default = "Far Too Long Sender"
[queue]
workers = 0
""",
        )
    )
    assert set(found) == {"smtp.default_region", "smtp.colour", "senders.default", "queue.workers"}
    assert "unknown setting" in found["smtp.colour"]
    assert "sender ID" in found["senders.default"]


def test_missing_required_setting(tmp_path: Path) -> None:
    assert "smtp" in problems(write(tmp_path, "[bridge]\nlog_level = 'INFO'\n"))


def test_secrets_in_the_file_are_refused_with_the_way_to_set_them(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            """
[smtp]
domains = ["sms.example.com"]
[provider.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "not-here"
""",
        )
    )
    assert "SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN" in found["provider.twilio.auth_token"]


def test_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN", "from-env")
    settings = load_settings(
        write(
            tmp_path,
            """
[smtp]
domains = ["sms.example.com"]
[provider]
name = "twilio"
[provider.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
""",
        )
    )
    token = settings.providers["twilio"].auth_token
    assert token is not None and token.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)


def test_secret_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-file\n")
    settings = load_settings(
        write(
            tmp_path,
            f"""
[smtp]
domains = ["sms.example.com"]
[provider]
name = "twilio"
[provider.twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token_file = "{tmp_path / "token"}"
""",
        )
    )
    token = settings.providers["twilio"].auth_token
    assert token is not None and token.get_secret_value() == "from-file"


def test_syntax_error_is_reported(tmp_path: Path) -> None:
    assert "(syntax)" in problems(write(tmp_path, "[smtp\n"))


def test_check_config_command_exits_non_zero_with_the_report(tmp_path: Path) -> None:
    bad = write(tmp_path, "[smtp]\ndomains = []\nbogus = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "check-config", str(bad)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "smtp.bogus" in result.stderr and "smtp.domains" in result.stderr
    good = subprocess.run(
        [sys.executable, "-m", "bridge", "check-config", str(ROOT / "config.example.toml")],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr
