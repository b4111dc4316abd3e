"""The listener's connection limits and idle timeouts, against ``smsbridge run``.

An untrusted host once held about 1,000 idle connections and locked out the trusted mail
server and /healthz. Clients come from distinct loopback addresses here: a socket bound to
127.0.0.2 before it connects is an untrusted client, 127.0.0.1 the trusted mail server.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message

RCPT = "+447700900123@sms.example.com"
TRUSTED = "127.0.0.1"


def _connect(bridge: BridgeProcess, source: str) -> tuple[socket.socket, bytes]:
    """A connection from ``source`` and the first line the bridge said."""
    sock = socket.socket()
    sock.settimeout(10)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", bridge.smtp_port))
    return sock, sock.makefile("rb").readline()


def _hold(stack: ExitStack, bridge: BridgeProcess, source: str, count: int) -> None:
    """Open ``count`` idle connections from ``source``, each greeted with 220."""
    for _ in range(count):
        sock, greeting = _connect(bridge, source)
        stack.enter_context(sock)
        assert greeting.startswith(b"220 "), greeting


def _refused(bridge: BridgeProcess, source: str) -> bytes:
    sock, greeting = _connect(bridge, source)
    with sock:
        assert sock.recv(100) == b""  # closed after the 421
    return greeting


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[BridgeProcess]:
    limits = {
        "trusted_networks": [f"{TRUSTED}/32"],
        "max_connections": 8,
        "max_connections_per_client": 3,
        "trusted_reserve": 3,
    }
    with BridgeProcess(tmp_path, smtp=limits) as running:
        yield running


def test_a_trusted_client_is_served_while_an_untrusted_one_holds_its_maximum(
    bridge: BridgeProcess,
) -> None:
    with ExitStack() as stack:
        _hold(stack, bridge, "127.0.0.2", 3)
        greeting = _refused(bridge, "127.0.0.2")
        assert greeting.startswith(b"421 4.7.0 sms.example.com Too many connections from 127.0.0.2")
        said = converse(
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=[RCPT],
            content=message().as_bytes(),
        )
        assert said.accepted, said
        assert bridge.health().status_code == 200


def test_untrusted_clients_together_leave_room_for_trusted_ones(bridge: BridgeProcess) -> None:
    """8 in all, 3 of them kept for trusted clients: untrusted ones share 5."""
    with ExitStack() as stack:
        _hold(stack, bridge, "127.0.0.2", 3)
        _hold(stack, bridge, "127.0.0.3", 2)
        assert _refused(bridge, "127.0.0.4").startswith(
            b"421 4.7.0 sms.example.com Too many connections to this bridge"
        )
        _hold(stack, bridge, TRUSTED, 3)  # not limited per client: the mail server
        assert _refused(bridge, TRUSTED).startswith(b"421 4.7.0 ")  # all 8 are taken
        stack.close()
        time.sleep(0.3)  # the bridge sees the closes
        _hold(stack, bridge, "127.0.0.4", 1)


def test_idle_clients_are_closed_after_the_command_and_data_timeouts(tmp_path: Path) -> None:
    timeouts = {"command_timeout_seconds": 1.0, "data_timeout_seconds": 3.0}
    with BridgeProcess(tmp_path, smtp=timeouts) as bridge:
        sock, _ = _connect(bridge, TRUSTED)
        with sock:
            started = time.monotonic()
            said = sock.makefile("rb").read()
            assert said.startswith(b"421 4.4.2 sms.example.com ") and said.endswith(b"\r\n")
            assert 0.8 < time.monotonic() - started < 2.9
        sock, _ = _connect(bridge, TRUSTED)
        with sock:
            reader = sock.makefile("rb")
            sock.sendall(
                f"EHLO c\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<{RCPT}>\r\nDATA\r\n".encode()
            )
            while not reader.readline().startswith(b"354"):
                pass
            sock.sendall(message().as_bytes().replace(b"\n", b"\r\n"))
            time.sleep(1.8)  # past the command timeout, within the data timeout
            sock.sendall(b"Still writing.\r\n.\r\n")
            assert reader.readline().startswith(b"250 2.0.0 Queued 1 text")
            assert reader.readline().startswith(b"421 4.4.2 ")  # idle again after DATA
        sock, _ = _connect(bridge, TRUSTED)
        with sock:
            reader = sock.makefile("rb")
            sock.sendall(
                f"EHLO c\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<{RCPT}>\r\nDATA\r\n".encode()
            )
            while not reader.readline().startswith(b"354"):
                pass
            started = time.monotonic()
            assert reader.readline().startswith(b"421 4.4.2 ")  # silent within DATA
            assert 2.5 < time.monotonic() - started < 6.0
