"""A listener process tells the main process that it committed work, one byte at a time.

The workers (SMS, mail, bulk) run in the main process and sleep until woken or until their
poll interval passes. A listener process shares the main process's store but not its
memory, so each has a UNIX socket to the main process (a ``socketpair`` made before it
starts) and writes ``s``, ``m`` or ``b`` on it after a commit: whatever one turn of its event
loop committed goes as one write, a few bytes at most. The same socket says that the
listener is serving (``+``), that it exited (end of file at the main process), and that the
main process exited (end of file at the listener): it works the same on SQLite and
PostgreSQL, costs one system call per group commit, and needs no polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bridge.components import Wakes

__all__ = ["READY", "WakeSender", "wake_on"]

SMS, MAIL, BULK = b"s", b"m", b"b"
READY = b"+"


class WakeSender:
    """The listener's end: ``wakes`` to hand the SMTP handler, coalesced per loop turn."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._pending = bytearray()
        self.wakes = Wakes(sms=self._later(SMS), mail=self._later(MAIL), bulk=self._later(BULK))

    def _later(self, kind: bytes) -> Callable[[], None]:
        def wake() -> None:
            if kind in self._pending:
                return
            if not self._pending:
                asyncio.get_running_loop().call_soon(self._flush)
            self._pending += kind

        return wake

    def _flush(self) -> None:
        data, self._pending = bytes(self._pending), bytearray()
        if not self._writer.is_closing():
            self._writer.write(data)

    def ready(self) -> None:
        self._writer.write(READY)


async def wake_on(reader: asyncio.StreamReader, wakes: Wakes, ready: Callable[[], None]) -> None:
    """The main process's end: wake the workers for each byte, until the listener's end
    closes (it exited)."""
    calls = {SMS[0]: wakes.sms, MAIL[0]: wakes.mail, BULK[0]: wakes.bulk, READY[0]: ready}
    while data := await reader.read(4096):
        for kind in set(data) & calls.keys():
            calls[kind]()
