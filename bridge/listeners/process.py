"""One SMTP listener process: the main process's SMTP edge, and nothing else.

``smtp.processes = N`` runs N-1 of these beside the main process (``bridge.listeners.pool``
starts them as ``python -m bridge.listeners.process``). Each reads the same settings file,
opens the same store (its own connections, and on SQLite its own writer thread: WAL and a
busy timeout make its commits wait for the other processes' rather than fail), builds the
same handler, intake and chain with ``bridge.components``, and serves SMTP on a socket the
main process bound for it. It runs no worker and no HTTP server: after each commit it writes
a byte to the main process (``bridge.listeners.wakes``), whose workers deliver the jobs.
So it never claims a job, and the SQLite store's leases remain the main process's own.

It stops, as the main process does, on SIGTERM or SIGINT (listener first, then the store),
and also when the main process is gone (its socket to the main process reads end of file,
even after a SIGKILL). SIGHUP is ignored: a reload changes the routing table and flows,
which only the main process's inbound worker uses.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from bridge import components
from bridge.clock import system_clock
from bridge.errors import ConfigError
from bridge.event_loop import loop_name, run
from bridge.inbound.smtp import SmtpHandler, start_smtp_server
from bridge.listeners.wakes import WakeSender
from bridge.logs.setup import configure_logging
from bridge.providers.registry import ProviderSet
from bridge.settings.load import Purpose, load_settings
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.store.factory import open_store

__all__ = ["main"]

log = logging.getLogger(__name__)
EXIT_SETTINGS = 2


async def _handler_parts(
    settings: Settings, store: Store, wake: WakeSender
) -> tuple[SmtpHandler, ProviderSet]:
    """The handler, built as the main process builds its own (``bridge.components``)."""
    gate = components.build_gate(settings, store, components.build_limiter(settings, store))
    providers, provider_set = components.build_providers(settings)
    intake = components.email_intake(
        settings,
        store=store,
        gate=gate,
        providers=providers,
        clock=system_clock,
        queued=wake.wakes.sms,
    )
    handler = components.smtp_handler(
        settings,
        store=store,
        gate=gate,
        intake=intake,
        providers=providers,
        clock=system_clock,
        wakes=wake.wakes,
    )
    return handler, provider_set


async def _serve(settings: Settings, channel: socket.socket, sockets: list[socket.socket]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: None)
    reader, writer = await asyncio.open_unix_connection(sock=channel)
    wake = WakeSender(writer)
    store = open_store(settings)
    await store.open()
    servers: list[asyncio.Server] = []
    provider_set: ProviderSet | None = None
    try:
        handler, provider_set = await _handler_parts(settings, store, wake)
        users = components.smtp_users(settings)
        for sock in sockets:
            servers.append(
                await start_smtp_server(
                    settings=settings.smtp, handler=handler, users=users, sock=sock
                )
            )
        wake.ready()
        log.info("SMTP listener process serving, on %s", loop_name())
        gone = asyncio.create_task(reader.read())  # end of file: the main process exited
        ended = asyncio.create_task(stop.wait())
        await asyncio.wait({gone, ended}, return_when=asyncio.FIRST_COMPLETED)
        if gone.done():
            log.warning("the main process is gone; this SMTP listener process stops")
        gone.cancel()
        ended.cancel()
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()
        if provider_set is not None:
            await provider_set.aclose()
        await store.close()
        writer.close()


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bridge.listeners.process")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--channel", type=int, required=True, help="the socket to the main process")
    parser.add_argument("--socket", type=int, action="append", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        settings = load_settings(args.config, Purpose.SERVE)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_SETTINGS
    configure_logging(settings.bridge.log_level, settings.bridge.log_format, pid=True)
    channel = socket.socket(fileno=args.channel)
    sockets = [socket.socket(fileno=fd) for fd in args.socket]
    run(_serve(settings, channel, sockets), choice=settings.bridge.loop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
