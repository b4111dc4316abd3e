"""The main process's side of ``smtp.processes``: start the listener processes, wake the
workers when they commit, start one again when it dies, stop them all at the end.

Each listener process is ``python -m bridge.listeners.process``, a fresh interpreter started
with ``subprocess`` rather than ``multiprocessing``: it is given the settings file's path and
the numbers of the descriptors it inherits (its socket to the main process, its bound SMTP
sockets) on its command line, so nothing is pickled, no state of the main process (threads,
the store's connections, locks) is copied by a fork, and what it runs is exactly what
``smsbridge run`` would build from that file. The main process starts them after its own
listeners are up, without waiting for them: its own start-up time does not grow, and a
connection the kernel gives to a listener process finds it serving (its socket listens only
from then on: ``bridge.listeners.sockets``).

A listener process that exits while the bridge runs is logged and started again after a
pause that doubles with each quick failure (0.5 s up to 30 s; back to 0.5 s once one has
served for 30 s). Each is in a process group of its own, so a Ctrl-C at the terminal reaches
the main process alone, which stops them: SIGTERM, then SIGKILL after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bridge.components import Wakes
from bridge.listeners.sockets import Bound, twin_sockets
from bridge.listeners.wakes import wake_on

__all__ = ["ListenerPool"]

log = logging.getLogger(__name__)
FIRST_PAUSE, LONGEST_PAUSE, STEADY_SECONDS = 0.5, 30.0, 30.0


def _how(code: int | None) -> str:
    if code is None:
        return "before it started"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"with status {code}"


class ListenerPool:
    """``count`` SMTP listener processes beside this one, on the addresses of ``listening``."""

    def __init__(
        self, *, config: Path, count: int, listening: Sequence[Bound], wakes: Wakes
    ) -> None:
        self._config = config
        self._count = count
        self._listening = list(listening)
        self._wakes = wakes
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def start(self) -> None:
        for number in range(1, self._count + 1):
            self._tasks.append(asyncio.create_task(self._keep(number), name=f"smtp-{number}"))

    async def _keep(self, number: int) -> None:
        """Run listener process ``number``, again and again, until the bridge stops."""
        quick = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            code: int | None = None
            try:
                code = await self._run_once(number)
            except OSError as exc:  # no process, no socket: try again as after a crash
                log.error("cannot start SMTP listener process %d: %s", number, exc)
            if self._stopping.is_set():
                return
            quick = 0 if time.monotonic() - began >= STEADY_SECONDS else quick + 1
            pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** max(quick - 1, 0))
            log.log(
                logging.INFO if code == 0 else logging.ERROR,  # 0: stopped by a SIGTERM of its own
                "SMTP listener process %d exited %s; starting it again in %.1f s",
                number,
                _how(code),
                pause,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def _run_once(self, number: int) -> int:
        """Start listener process ``number``; wake the workers for what it commits until it
        exits; its exit status."""
        proc, ours = self._spawn(number)
        self._procs[number] = proc
        try:
            reader, writer = await asyncio.open_unix_connection(sock=ours)

            def ready() -> None:
                log.info("SMTP listener process %d (pid %d) is serving", number, proc.pid)

            try:
                await wake_on(reader, self._wakes, ready)
            finally:
                writer.close()
            return await asyncio.to_thread(proc.wait)
        finally:
            del self._procs[number]

    def _spawn(self, number: int) -> tuple[subprocess.Popen[bytes], socket.socket]:
        sockets = twin_sockets(self._listening)
        ours, theirs = socket.socketpair()
        command = [sys.executable, "-m", "bridge.listeners.process", "--config", str(self._config)]
        command += ["--channel", str(theirs.fileno())]
        for sock in sockets:
            command += ["--socket", str(sock.fileno())]
        try:
            proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                command, pass_fds=[theirs.fileno(), *(s.fileno() for s in sockets)], process_group=0
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            for sock in sockets:
                sock.close()
        log.debug("started SMTP listener process %d (pid %d)", number, proc.pid)
        return proc, ours

    async def stop(self, *, grace_seconds: float) -> None:
        """SIGTERM to each listener process; SIGKILL to any still there after the grace
        period. Returns once every one has exited."""
        self._stopping.set()
        for proc in self._procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        if pending:
            log.warning("%d SMTP listener process(es) did not stop in time: killed", len(pending))
            for proc in self._procs.values():
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            await asyncio.wait(pending)
        self._tasks.clear()
