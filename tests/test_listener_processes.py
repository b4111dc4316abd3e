"""``smtp.processes = 2``: two SMTP listener processes on one port, one store, the workers in
the main process; real ``smsbridge run`` processes, real clients (smtplib, swaks), on SQLite
and PostgreSQL.

Which process accepted an email is read from the bridge's own log: with several listener
processes every line names its process id, and the intake logs each email it queued.
"""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess
from tests.test_end_to_end import swaks

RCPT = "+447700900123@sms.example.com"
QUEUED = re.compile(r"bridge\.inbound\.intake\[(\d+)\]: email <([^>]+)> queued")
SERVING = re.compile(r"SMTP listener process 1 \(pid (\d+)\) is serving")


def _bridge(tmp_path: Path, **sections: dict[str, Any]) -> BridgeProcess:
    return BridgeProcess(
        tmp_path,
        smtp={"processes": 2, **sections.pop("smtp", {})},
        bridge={"log_level": "INFO"},
        **sections,
    )


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` (the kernel's own table: one per process)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                count += 1
    return count


def _child(bridge: BridgeProcess, *, other_than: int | None = None) -> int:
    """The pid of the listener process serving now (a new one, after ``other_than``)."""

    def serving() -> int | None:
        pids = [int(p) for p in SERVING.findall(bridge.log_text())]
        fresh = [p for p in pids if p != other_than]
        return fresh[-1] if fresh and _listening(bridge.smtp_port) == 2 else None

    return int(bridge.wait_until(serving, what="the listener process to serve"))


def _send(bridge: BridgeProcess, n: int) -> str:
    """One email on its own connection, as an MTA sends it; its Message-ID."""
    message_id = f"m{n}-{time.monotonic_ns()}@example.com"
    content = f"Subject: Order {n}\r\nMessage-ID: <{message_id}>\r\n\r\nOrder {n} is ready.\r\n"
    with smtplib.SMTP("127.0.0.1", bridge.smtp_port, timeout=30) as client:
        assert client.sendmail("alice@example.com", [RCPT], content) == {}
    return message_id


def _send_until_accepted(bridge: BridgeProcess, n: int) -> str:
    """As an MTA does: a refused or reset connection, or a 4xx, is tried again."""
    for _ in range(50):
        try:
            return _send(bridge, n)
        except (OSError, smtplib.SMTPException):
            time.sleep(0.1)
    raise AssertionError(f"email {n} was never accepted")


def _by_process(bridge: BridgeProcess) -> Counter[int]:
    return Counter(int(pid) for pid, _ in QUEUED.findall(bridge.log_text()))


def _all_sent(bridge: BridgeProcess, count: int) -> list[dict[str, Any]]:
    return list(
        bridge.wait_until(
            lambda: len(bridge.sandbox_sent()) >= count and bridge.sandbox_sent(),
            what=f"{count} texts",
        )
    )


@pytest.fixture
def two(tmp_path: Path) -> Iterator[BridgeProcess]:
    with _bridge(tmp_path) as bridge:
        _child(bridge)
        yield bridge


def test_both_processes_accept_mail_and_the_main_one_sends_every_text(
    two: BridgeProcess,
) -> None:
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda n: _send(two, n), range(40)))
    said = swaks(two, "--to", "07700900123@sms.example.com", "--from", "alice@example.com")
    assert "250 2.0.0 Queued 1 text" in said, said
    sent = _all_sent(two, 41)
    assert len(sent) == 41 and len({s["job_id"] for s in sent}) == 41  # each once
    assert {j["message_id"].strip("<>") for j in two.jobs()} >= set(ids)
    two.wait_until(lambda: {j["state"] for j in two.jobs()} == {"sent"}, what="every job sent")
    by_process = _by_process(two)
    assert two.proc is not None and set(by_process) == {two.proc.pid, _child(two)}, by_process
    assert sum(by_process.values()) == 41


def test_a_listener_process_wakes_the_workers_at_once(tmp_path: Path) -> None:
    """The workers poll every 10 s here: a text sent well within that was woken for."""
    with _bridge(tmp_path, queue={"poll_seconds": 10.0}) as bridge:
        child = _child(bridge)
        accepted: dict[str, float] = {}
        for n in range(20):
            message_id = _send(bridge, n)
            accepted[message_id] = time.time()
        sent = _all_sent(bridge, 20)
        jobs = {j["id"]: j["message_id"].strip("<>") for j in bridge.jobs()}
        by_child = {m for pid, m in QUEUED.findall(bridge.log_text()) if int(pid) == child}
        waits = [s["at"] - accepted[jobs[s["job_id"]]] for s in sent]
        assert by_child, "no email went to the listener process"
        assert max(waits) < 2.0, sorted(waits)


def test_a_killed_listener_process_is_started_again_and_nothing_accepted_is_lost(
    two: BridgeProcess,
) -> None:
    first = _child(two)
    accepted: list[str] = []
    done = threading.Event()

    def mta() -> None:
        n = 0
        while not done.is_set():
            accepted.append(_send_until_accepted(two, n))
            n += 1

    senders = [threading.Thread(target=mta) for _ in range(3)]
    for sender in senders:
        sender.start()
    time.sleep(1.0)
    os.kill(first, signal.SIGKILL)
    second = _child(two, other_than=first)
    time.sleep(1.0)
    done.set()
    for sender in senders:
        sender.join(timeout=60)
    assert second != first
    assert "SMTP listener process 1 exited killed by SIGKILL" in two.log_text()
    sent = _all_sent(two, len(accepted))
    stored = {j["message_id"].strip("<>") for j in two.jobs()}
    assert set(accepted) <= stored and len(sent) == len(stored)
    assert second in _by_process(two), "the new listener process accepted nothing"


def test_stopping_the_bridge_stops_its_listener_process(two: BridgeProcess) -> None:
    child = _child(two)
    assert two.stop() == 0
    assert not _alive(child)
    assert _listening(two.smtp_port) == 0


def test_a_listener_process_stops_when_the_main_process_is_killed(two: BridgeProcess) -> None:
    child = _child(two)
    two.kill()
    deadline = time.monotonic() + 15
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert "the main process is gone" in two.log_text()


def _alive(pid: int) -> bool:
    """Running, not a zombie awaiting its parent (the test's own children are reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_port_another_program_shares_is_refused_in_words(tmp_path: Path) -> None:
    """Even a socket that would share the port (``SO_REUSEPORT``, the same user) counts as
    in use: a second bridge must not take half of the first one's connections."""
    bridge = _bridge(tmp_path)
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", bridge.smtp_port))
        other.listen()
        done = subprocess.run(
            [sys.executable, "-m", "bridge", "run", "--config", str(bridge.config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 3, done.stderr
    assert f"port {bridge.smtp_port} is in use" in done.stderr and "set smtp.port" in done.stderr


def test_two_processes_on_postgres(tmp_path: Path) -> None:
    import psycopg

    with postgres_schema() as dsn:
        bridge = _bridge(tmp_path, store={"backend": "postgres", "dsn": dsn})
        migrated = bridge.cli("migrate")
        assert migrated.returncode == 0, migrated.stderr
        with bridge:
            child = _child(bridge)
            with ThreadPoolExecutor(4) as pool:
                ids = list(pool.map(lambda n: _send(bridge, n), range(40)))
            sent = _all_sent(bridge, 40)
            by_process = _by_process(bridge)
            base, _, schema = dsn.partition("?search_path=")
            with psycopg.connect(base, options=f"-csearch_path={schema}", autocommit=True) as conn:

                def all_sent() -> list[tuple[str, str]] | None:
                    found = conn.execute("SELECT message_id, state FROM sms_jobs").fetchall()
                    return found if {state for _, state in found} == {"sent"} else None

                rows = bridge.wait_until(all_sent, what="every job sent")
    assert {m.strip("<>") for m, _ in rows} == set(ids) and len(sent) == 40
    assert bridge.proc is not None and set(by_process) == {bridge.proc.pid, child}, by_process


def test_a_reload_leaves_the_listener_process_serving_and_json_lines_name_their_process(
    tmp_path: Path,
) -> None:
    """SIGHUP reaches the main process (the routing table is only used there); the listener
    process, which holds nothing a reload changes, goes on serving."""
    import json

    bridge = BridgeProcess(
        tmp_path,
        smtp={"processes": 2},
        bridge={"log_level": "INFO", "log_format": "json"},
    )
    with bridge:
        assert bridge.proc is not None
        lines = bridge.wait_until(
            lambda: [
                json.loads(line)
                for line in bridge.log_text().splitlines()
                if line.startswith("{") and "is serving" in line
            ],
            what="the listener process to serve",
        )
        child = int(re.findall(r"\(pid (\d+)\)", lines[0]["message"])[0])
        assert lines[0]["pid"] == bridge.proc.pid
        said = bridge.cli("reload")
        assert said.returncode == 0, said.stderr
        bridge.wait_until(lambda: "reloaded" in bridge.log_text(), what="the reload")
        for n in range(20):
            _send(bridge, n)
        _all_sent(bridge, 20)
        pids = {
            json.loads(line).get("pid")
            for line in bridge.log_text().splitlines()
            if line.startswith("{") and "queued as" in line
        }
        assert _alive(child) and pids == {bridge.proc.pid, child}, pids


def test_a_bridge_of_several_processes_needs_its_settings_file(tmp_path: Path) -> None:
    from bridge.app import Bridge
    from tests.conftest import make_settings

    with pytest.raises(ValueError, match="needs the settings file"):
        Bridge(make_settings(tmp_path, smtp={"processes": 2}))
