"""Shared test helpers: settings files in temporary folders, free ports, the shared fixtures."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from bridge.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _defaults(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        "bridge": {"data_dir": str(data_dir), "log_level": "DEBUG"},
        "smtp": {
            "port": 0, "hostname": "sms.example.com", "domains": ["sms.example.com"],
            "allowed_senders": ["example.com"], "max_recipients": 5, "max_message_size": 65536,
        },
        "http": {"port": 0},
        "queue": {"poll_seconds": 0.2, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
        "mail": {"from_address": "sms-bridge@sms.example.com"},
        "senders": {"default": "ExampleCo"},
    }  # fmt: skip


def settings_toml(data_dir: Path, *, extra: str = "", **sections: dict[str, Any]) -> str:
    """A complete settings file for a test bridge.

    Keyword arguments override keys of a section (``smtp={"port": 2526}``); ``extra`` is TOML
    appended as it is, for arrays of tables such as ``[[provider.sandbox.fail]]``.
    """
    merged = _defaults(data_dir)
    for name, values in sections.items():
        merged.setdefault(name, {}).update(values)
    lines = []
    for name, values in merged.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n" + extra


def make_settings(tmp_path: Path, *, extra: str = "", **sections: dict[str, Any]) -> Settings:
    path = tmp_path / "bridge.toml"
    path.write_text(settings_toml(tmp_path / "var", extra=extra, **sections), encoding="utf-8")
    return load_settings(path)


def require_shared(*parts: str) -> Path:
    """A path under ../shared; missing is a failure in CI and a clear skip elsewhere."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing: CI must have ../shared beside the repository")
        pytest.skip(f"{path} is not present (clone with ../shared beside the repository)")
    return path
