"""The ``smsbridge`` command's options: where it finds the settings, help for every option,
listings as JSON, the outbox's filters, and sentences instead of tracebacks."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.cli import COMMANDS, _parser
from bridge.models import NewSmsJob
from bridge.store.sqlite import SqliteStore
from tests.conftest import free_port, settings_toml
from tests.support.bridge_process import BridgeProcess

NO_SETTINGS = {"hash-password", "qr"}  # a line for the users file, a QR code: no settings


def _commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command's parser, ``routes check`` and the like included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, f"{prefix} {name}".strip())
                if not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    yield f"{prefix} {name}".strip(), sub


def test_every_option_has_help_and_no_help_shows_markup() -> None:
    parser = _parser()
    assert "``" not in parser.format_help()
    commands = dict(_commands(parser))
    assert {"run", "check-config", "routes check", "routes explain", "outbox"} <= set(commands)
    for name, command in commands.items():
        assert "``" not in command.format_help(), name
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
        if name not in NO_SETTINGS:
            assert any("--config" in a.option_strings for a in command._actions), name


def test_every_command_names_a_function_that_exists() -> None:
    """The commands are imported when they run, so a misspelt one would fail only then."""
    for name, command in COMMANDS.items():
        assert callable(command.load()), name


def smsbridge(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMSBRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        env={**clean, "PYTHONPATH": str(Path(__file__).parents[1]), **(env or {})},
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings" / "bridge.toml"
    path.parent.mkdir()
    path.write_text(settings_toml(tmp_path / "var"), encoding="utf-8")
    return path


def test_the_settings_file_is_found_by_option_variable_or_default_place(
    tmp_path: Path, config: Path
) -> None:
    if Path("/etc/smsbridge/config.toml").exists():
        pytest.skip("this machine has /etc/smsbridge/config.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert smsbridge("outbox", "--config", str(config), cwd=elsewhere).returncode == 0
    by_env = smsbridge("outbox", cwd=elsewhere, env={"SMSBRIDGE_CONFIG": str(config)})
    assert by_env.returncode == 0, by_env.stderr
    (elsewhere / "config.toml").write_text(config.read_text())
    assert smsbridge("outbox", cwd=elsewhere).returncode == 0  # ./config.toml
    for check in (["check-config"], ["routes", "check"]):
        assert smsbridge(*check, cwd=elsewhere).returncode == 0
        assert smsbridge(*check, "--config", str(config), cwd=tmp_path).returncode == 0
        assert smsbridge(*check, str(config), cwd=tmp_path).returncode == 0  # FILE still works

    missing = smsbridge("outbox", cwd=tmp_path)
    assert missing.returncode == 2
    [sentence] = missing.stderr.splitlines()
    assert sentence == (
        "smsbridge: no settings file: there is none at ./config.toml or"
        " /etc/smsbridge/config.toml; give its path with --config FILE or SMSBRIDGE_CONFIG."
    )
    wrong = smsbridge("inbox", "--config", "nowhere.toml", cwd=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        "smsbridge: nowhere.toml (from --config) does not exist: give the path of your"
        " settings file."
    ]


def _jobs(config: Path, data_dir: Path) -> list[str]:
    """Three texts in the store: two authors' domains, three numbers, an hour apart."""

    async def fill() -> list[str]:
        store = SqliteStore(data_dir / "smsbridge.db")
        await store.open()
        ids = []
        try:
            for n, author in enumerate(["a@example.com", "b@sales.example.com", "e@other.org"]):
                number = f"+44770090012{n}"
                job = NewSmsJob(
                    idempotency_key=f"<m{n}@x>|{number}",
                    message_id=f"<m{n}@x>",
                    author=author,
                    subject="",
                    to_number=number,
                    sender="ExampleCo",
                    text=f"text {n}",
                    encoding="GSM-7",
                    segments=1,
                )
                at = datetime.now(UTC) - timedelta(hours=3 - n)
                [queued] = await store.enqueue_sms([job], now=at)
                ids.append(queued.id)
            await store.claim_sms(now=datetime.now(UTC), limit=1, lease_seconds=60, owner="t")
            now = datetime.now(UTC)
            await store.sms_failed(ids[0], owner="t", error="no", code=None, now=now, notice=None)
        finally:
            await store.close()
        return ids

    return asyncio.run(fill())


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], [2, 1, 0]),
        (["--state", "failed"], [0]),
        (["--to", "07700 900121"], [1]),
        (["--author", "example.com"], [1, 0]),
        (["--since", "150m"], [2, 1]),
        (["--author", "example.com", "--state", "queued"], [1]),
    ],
)
def test_the_outbox_filters_by_state_number_author_and_time(
    tmp_path: Path, config: Path, filters: list[str], expected: list[int]
) -> None:
    ids = _jobs(config, tmp_path / "var")
    listed = smsbridge("outbox", "--json", *filters, "--config", str(config), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [
        ids[n] for n in expected
    ]


def test_the_outbox_shows_attempts_and_says_when_a_filter_finds_nothing(
    tmp_path: Path, config: Path
) -> None:
    _jobs(config, tmp_path / "var")
    table = smsbridge("outbox", "--config", str(config), cwd=tmp_path).stdout.splitlines()
    assert "attempts" in table[0]
    none = smsbridge("outbox", "--to", "+447700900999", "--config", str(config), cwd=tmp_path)
    assert none.stdout.strip() == "No texts match."


def test_inbox_lists_as_json(tmp_path: Path, config: Path) -> None:
    config.write_text(
        config.read_text() + '[[numbers]]\nnumber = "+447700900100"\ninbox = ["t@example.com"]\n'
    )
    args = ["--from", "+447700900123", "--to", "+447700900100", "Yes please"]
    simulated = smsbridge("simulate-inbound", *args, "--config", str(config), cwd=tmp_path)
    assert simulated.returncode == 0, simulated.stderr
    listed = smsbridge("inbox", "--json", "--config", str(config), cwd=tmp_path)
    [record] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (record["from"], record["to"], record["state"]) == (
        "+44******0123",
        "+447700900100",
        "queued",
    )


@pytest.mark.parametrize("section", ["smtp", "http"])
def test_a_port_in_use_is_said_in_words(tmp_path: Path, section: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = free_port()
        ports = {"smtp": {"port": port}, "http": {"port": other}}
        if section == "http":
            ports = {"smtp": {"port": other}, "http": {"port": port}}
        config = tmp_path / "bridge.toml"
        config.write_text(settings_toml(tmp_path / "var", **ports), encoding="utf-8")
        result = smsbridge("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"smsbridge: cannot start: port {port} is in use: another program, or another bridge,"
        f" listens there; set {section}.port"
    )


def test_reload_says_which_file_the_running_bridge_reloads(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path) as bridge:
        copy = tmp_path / "copy.toml"  # the same bridge, named by another file
        copy.write_text(bridge.config.read_text())
        asked = smsbridge("reload", "--config", str(copy), cwd=tmp_path)
        assert asked.returncode == 0, asked.stderr
        pid = bridge.proc.pid if bridge.proc else 0
        assert f"Asked the bridge (pid {pid}) to reload {bridge.config}" in asked.stdout
        assert f"not {copy}" in asked.stdout
        assert f'its log will say "reloaded {bridge.config}"' in asked.stdout
        bridge.wait_until(lambda: f"reloaded {bridge.config}" in bridge.log_text())


def test_send_says_whether_a_bridge_will_send_it_now(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path)
    args = ["send", "--to", "+447700900123", "Hello", "--config", str(bridge.config)]
    idle = smsbridge(*args, cwd=tmp_path)
    assert idle.returncode == 0, idle.stderr
    assert "no bridge is running on this store" in idle.stdout
    assert "it is sent when one starts" in idle.stdout
    with bridge:
        pid = bridge.proc.pid if bridge.proc else 0
        running = smsbridge(*args, cwd=tmp_path)
    assert f"the bridge running here (pid {pid}) sends it within" in running.stdout
