"""The SMTP port, shared by several processes with ``SO_REUSEPORT``.

The kernel gives each incoming connection to one of the listening sockets bound to the port
with ``SO_REUSEPORT`` (by a hash of the client's address and port), so each listener process
accepts on a socket of its own and no process wakes for another's connections. The main
process binds every socket: a listener process needs no privilege for port 25, a port of 0
(tests) means the same port for all, and a refused bind happens once, at start, with the
sentence of ``bridge.listening``. A listener process's socket is bound but not listening
until that process starts serving on it, so no connection waits in the queue of a process
still starting; it closes when that process exits, and connections go to the others.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Protocol

__all__ = ["refuse_if_taken", "twin_sockets"]


class Bound(Protocol):
    """A listening socket as asyncio and uvloop servers show it."""

    @property
    def family(self) -> int: ...

    def getsockname(self) -> object: ...


def refuse_if_taken(host: str, port: int) -> None:
    """Raise ``OSError`` (EADDRINUSE) if anything listens on ``host:port``.

    Binding with ``SO_REUSEPORT`` succeeds beside another program's socket that has it too (a
    second bridge of the same user, say), which would silently share the port; a bind
    without it, as every single listener does, is refused there."""
    if port == 0:
        return
    for family, kind, proto, _, address in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.bind(address)


def twin_sockets(listening: Sequence[Bound]) -> list[socket.socket]:
    """A socket bound to each address of ``listening`` (the main process's server), with
    ``SO_REUSEPORT``, not yet listening: for one listener process."""
    twins = []
    try:
        for bound in listening:
            twin = socket.socket(bound.family, socket.SOCK_STREAM)
            twins.append(twin)
            twin.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            twin.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if bound.family == socket.AF_INET6:
                twin.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            twin.bind(bound.getsockname())  # type: ignore[arg-type]
    except BaseException:
        for twin in twins:
            twin.close()
        raise
    return twins
