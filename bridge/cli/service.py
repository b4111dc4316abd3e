"""Commands about the running bridge: ``run``, ``reload``, ``migrate``, ``hash-password``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import signal
import sys
from pathlib import Path

from bridge.app import Bridge, StoreLocked
from bridge.cli.common import EXIT_FAILED, EXIT_START, configure_logging, read_settings
from bridge.cli.where import running_bridge
from bridge.event_loop import run
from bridge.inbound.smtp_users import hash_password
from bridge.settings.load import Purpose, SettingsFile
from bridge.settings.root import Settings
from bridge.store.factory import open_store, store_errors
from bridge.store.migrations import SchemaTooNew, SchemaTooOld

__all__ = ["cmd_hash_password", "cmd_migrate", "cmd_reload", "cmd_run"]

log = logging.getLogger("bridge")


async def _serve(settings: Settings, path: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Bridge(settings, source=path) as bridge:
        _collect_from_now()
        loop.add_signal_handler(signal.SIGHUP, bridge.reload, path)
        if settings.bridge.watch_config:
            bridge.watch(path)
        await stop.wait()
        log.info("stopping: listeners first, then jobs in flight")


def _collect_from_now() -> None:
    """Turn the cyclic collector back on (``bridge.cli.main`` paused it for the start), with
    what the start made (modules, settings, the bridge's parts), which lives as long as the
    process, set aside: otherwise the first collection would walk all of it at once."""
    gc.freeze()
    gc.enable()


def cmd_run(args: argparse.Namespace) -> int:
    settings = read_settings(args.config, Purpose.SERVE)
    several = settings.smtp.processes > 1  # their lines go to one stderr: each names its pid
    configure_logging(settings.bridge.log_level, settings.bridge.log_format, pid=several)
    for ignored in SettingsFile.read(args.config).ignored_variables(os.environ):
        log.warning("%s: %s", ignored.key, ignored.message)
    try:
        run(_serve(settings, args.config.resolve()), choice=settings.bridge.loop)
    except store_errors(StoreLocked, SchemaTooNew, SchemaTooOld) as exc:
        print(f"smsbridge: cannot start: {exc}", file=sys.stderr)
        return EXIT_START
    return 0


def cmd_reload(args: argparse.Namespace) -> int:
    """Signal the running bridge, which reloads the file it was started with (not
    necessarily the one given here); check that file first, so the admin sees the report."""
    settings = read_settings(args.config)
    running = running_bridge(settings.pid_lock_path)
    if running is None:
        print(f"smsbridge: no running bridge holds {settings.pid_lock_path}", file=sys.stderr)
        return EXIT_FAILED
    reloaded = running.config or args.config.resolve()
    read_settings(reloaded)
    try:
        os.kill(running.pid, signal.SIGHUP)
    except OSError as exc:
        print(f"smsbridge: cannot signal pid {running.pid}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    other = (
        ""
        if reloaded == args.config.resolve()
        else f" (the file it was started with, not {args.config})"
    )
    print(
        f"Asked the bridge (pid {running.pid}) to reload {reloaded}{other}; its log will say"
        f' "reloaded {reloaded}", or why it refused and kept its table. The log is the'
        " bridge's standard error (under systemd: journalctl -u smsbridge)."
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the store's schema to this bridge's version (SQLite also does so at start)."""
    settings = read_settings(args.config)

    async def migrate() -> tuple[int, int]:
        store = open_store(settings)
        try:
            return await store.migrate()
        finally:
            await store.close()

    try:
        before, after = asyncio.run(migrate())
    except store_errors(SchemaTooNew) as exc:
        print(f"smsbridge: cannot migrate: {exc}", file=sys.stderr)
        return EXIT_START
    change = "already current" if before == after else f"migrated from version {before}"
    print(f"{settings.store.backend} store at schema version {after} ({change})")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("Password: ")
    if not password:
        print("smsbridge: an empty password is not allowed", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.address}:{hash_password(password)}")
    return 0
