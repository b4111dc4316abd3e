"""Where the settings file is, and whether a bridge is running on them.

The settings file is ``--config`` (or check-config's FILE), else ``$SMSBRIDGE_CONFIG``, else
the first of ``./config.toml`` and ``/etc/smsbridge/config.toml`` that exists. A running
bridge holds a lock beside its store (``Settings.pid_lock_path``) holding its pid and the
settings file it was started with: ``reload`` signals that pid, ``send`` says whether a bridge
will send the text now.
"""

from __future__ import annotations

import fcntl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_PLACES", "RunningBridge", "UsageError", "config_path", "running_bridge"]

DEFAULT_PLACES = (Path("config.toml"), Path("/etc/smsbridge/config.toml"))


class UsageError(Exception):
    """The command cannot run as typed; the message is one sentence saying what to do."""


def config_path(given: str | None, environ: Mapping[str, str]) -> Path:
    """The settings file to read, or ``UsageError`` naming the fix."""
    if given:
        return _existing(Path(given), "--config")
    if environ.get("SMSBRIDGE_CONFIG"):
        return _existing(Path(environ["SMSBRIDGE_CONFIG"]), "SMSBRIDGE_CONFIG")
    found = next((place for place in DEFAULT_PLACES if place.is_file()), None)
    if found is None:
        raise UsageError(
            "no settings file: there is none at ./config.toml or /etc/smsbridge/config.toml;"
            " give its path with --config FILE or SMSBRIDGE_CONFIG."
        )
    return found


def _existing(path: Path, source: str) -> Path:
    if not path.exists():
        raise UsageError(
            f"{path} (from {source}) does not exist: give the path of your settings file."
        )
    return path


@dataclass(frozen=True, slots=True)
class RunningBridge:
    pid: int
    config: Path | None  # the settings file it was started with (None: a bridge too old to say)


def running_bridge(lock: Path) -> RunningBridge | None:
    """The bridge holding ``lock``, if one does (a dead bridge's file proves nothing)."""
    try:
        with lock.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read(handle.read())
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        pass  # no lock file: no bridge has run here
    return None


def _read(text: str) -> RunningBridge | None:
    lines = text.splitlines()
    if not lines or not lines[0].strip().isdigit():
        return None
    config = Path(lines[1]) if len(lines) > 1 and lines[1].strip() else None
    return RunningBridge(int(lines[0]), config)
