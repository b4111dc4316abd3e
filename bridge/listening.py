"""Why a listener could not listen, in words: the port or address, why, the setting to change.

An admin who starts a second bridge, or one on port 25 without the privilege, should read
"port 2525 is in use: another program, or another bridge, listens there; set smtp.port",
not ``[Errno 98] error while attempting to bind on address``.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["CannotListen", "listening"]


class CannotListen(OSError):
    """A listener could not listen; the message says why and which setting to change."""


@contextmanager
def listening(section: str, host: str, port: int) -> Iterator[None]:
    """Turn an ``OSError`` from binding ``host:port`` into ``CannotListen``."""
    try:
        yield
    except CannotListen:
        raise
    except OSError as exc:
        raise CannotListen(_words(exc, section, host, port)) from None


def _words(exc: OSError, section: str, host: str, port: int) -> str:
    if isinstance(exc, socket.gaierror):
        return f"{host} is not a host name or address this machine knows; set {section}.host"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} is in use: another program, or another bridge, listens there;"
            f" set {section}.port"
        )
    if exc.errno == errno.EACCES:
        return (
            f"port {port} needs a privilege this process lacks (below 1024: root or"
            f" CAP_NET_BIND_SERVICE); set {section}.port, or grant the capability"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; set {section}.host"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}; check {section}.host and .port"
