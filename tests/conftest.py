"""Shared test helpers: settings files in temporary folders, free ports, the shared fixtures."""

from __future__ import annotations

import fcntl
import json
import os
import random
import socket
import tempfile
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from bridge.settings.load import load_settings
from bridge.settings.root import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test has a node id of its own: pytest-xdist (.ci/test runs the suite in two
    processes) hands the tests out by node id, and of several that share one it runs one."""
    counts = Counter(item.nodeid for item in items)
    shared = sorted(nodeid for nodeid, n in counts.items() if n > 1)
    if shared:
        raise pytest.UsageError(f"tests that share a node id: {', '.join(shared)}")


# free_port's ports: below the kernel's ephemeral range (32768-60999 here), where no bind to
# port 0 and no outgoing connection of any process is given a port.
_PORTS = range(20000, 32768)
_CLAIMS = Path(tempfile.gettempdir()) / f"smsbridge-test-ports-{os.getuid()}"
_claimed: deque[IO[bytes]] = deque()
_pick = random.SystemRandom()  # not the random module's: a test may seed that


def free_port() -> int:
    """A loopback port that no server listens on, for one a test starts or for nothing.

    The port is claimed until 100 more are handed out (an exclusive lock on a file named after
    it, held by this process), so that neither this process nor another test process on this
    machine (pytest -n; another checkout's run) is given it before its server binds it. It is
    below the ephemeral range, so a server binding port 0 (as the in-process bridges do) or an
    outgoing connection cannot take it meanwhile either.
    """
    _CLAIMS.mkdir(exist_ok=True)
    while True:
        port = _pick.choice(_PORTS)
        claim = (_CLAIMS / str(port)).open("ab")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port))
        except OSError:  # claimed by another, or in use
            claim.close()
            continue
        _claimed.append(claim)
        if len(_claimed) > 100:
            _claimed.popleft().close()
        return port


def _defaults(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        "bridge": {"data_dir": str(data_dir), "log_level": "DEBUG"},
        "smtp": {
            "port": 0,
            "hostname": "sms.example.com",
            "domains": ["sms.example.com"],
            "allowed_senders": ["example.com"],
            "max_recipients": 5,
            "max_message_size": 65536,
        },
        "http": {"port": 0},
        "queue": {"poll_seconds": 0.2, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.2},
        "mail": {"from_address": "sms-bridge@sms.example.com"},
        "senders": {"default": "ExampleCo"},
    }


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


PG_DSN = os.environ.get("SMSBRIDGE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A DSN for a fresh, empty schema of the test database, dropped afterwards.

    PostgreSQL is part of CI (127.0.0.1:5432, database ``test``, trust auth): missing there
    is a failure; elsewhere it is a clear skip.
    """
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    try:
        conn = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_DSN} is needed in CI: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_DSN}")
    with conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_DSN}?search_path={schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An open, empty store of each backend: the store's tests run against both."""
    from bridge.store.sqlite import SqliteStore

    if request.param == "sqlite":
        opened: Any = SqliteStore(tmp_path / "db" / "bridge.db")
        await opened.open()
        yield opened
        await opened.close()
        return
    async with postgres_store() as opened:
        yield opened


@asynccontextmanager
async def postgres_store() -> AsyncIterator[Any]:
    """An open ``PostgresStore`` on a fresh schema (``postgres_schema``), closed afterwards."""
    from bridge.store.postgres import PostgresStore

    with postgres_schema() as dsn:
        opened = PostgresStore(dsn)
        await opened.migrate()
        await opened.open()
        try:
            yield opened
        finally:
            await opened.close()


@pytest.fixture
async def shared() -> AsyncIterator[Any]:
    """A store several bridges could share: PostgreSQL alone (leases that pass to another
    bridge, texts recorded with the next jobs claimed)."""
    async with postgres_store() as opened:
        yield opened


@pytest.fixture
def config(tmp_path: Path) -> str:
    """A settings file of the defaults, UK numbers: for the CLI's commands run in-process."""
    path = tmp_path / "bridge.toml"
    path.write_text(
        settings_toml(tmp_path / "var", smtp={"default_region": "GB"}), encoding="utf-8"
    )
    return str(path)
