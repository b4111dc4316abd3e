"""The ``smsbridge`` command.

Exit codes: 0 success, 1 the operation failed (a text refused, nothing to show), 2 bad usage
or invalid settings (argparse's own convention), 3 the bridge could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import getpass
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from bridge import __version__
from bridge.app import Bridge, StoreLocked
from bridge.cli.checks import check_config, check_routes
from bridge.cli.common import (
    EXIT_FAILED,
    EXIT_START,
    EXIT_USAGE,
    configure_logging,
    opened_store,
    read_settings,
)
from bridge.cli.routes import format_inbox
from bridge.cli.texts import explain_text, format_outbox, queue_text, receive_simulated
from bridge.errors import InvalidNumber, Refused
from bridge.inbound.smtp_users import hash_password
from bridge.models import InboundRecord
from bridge.routing.explain import explain_inbound, parse_at
from bridge.settings.load import Purpose, SettingsFile
from bridge.settings.root import Settings
from bridge.store.factory import open_store
from bridge.store.postgres import SchemaTooOld
from bridge.store.sqlite import SchemaTooNew

__all__ = ["main"]

DEFAULT_CONFIG = os.environ.get("SMSBRIDGE_CONFIG", "config.toml")


async def _serve(settings: Settings, path: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Bridge(settings) as bridge:
        loop.add_signal_handler(signal.SIGHUP, bridge.reload, path)
        if settings.bridge.watch_config:
            bridge.watch(path)
        await stop.wait()
        logging.getLogger("bridge").info("stopping: listeners first, then jobs in flight")


def cmd_run(args: argparse.Namespace) -> int:
    settings = read_settings(args.config, Purpose.SERVE)
    configure_logging(settings.bridge.log_level)
    for ignored in SettingsFile.read(Path(args.config)).ignored_variables(os.environ):
        logging.getLogger("bridge").warning("%s: %s", ignored.key, ignored.message)
    try:
        asyncio.run(_serve(settings, Path(args.config)))
    except (StoreLocked, SchemaTooNew, SchemaTooOld, OSError, asyncpg.PostgresError) as exc:
        print(f"smsbridge: cannot start: {exc}", file=sys.stderr)
        return EXIT_START
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
    except (SchemaTooNew, OSError, asyncpg.PostgresError) as exc:
        print(f"smsbridge: cannot migrate: {exc}", file=sys.stderr)
        return EXIT_START
    change = "already current" if before == after else f"migrated from version {before}"
    print(f"{settings.store.backend} store at schema version {after} ({change})")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    return check_config(Path(args.file), environ=os.environ, as_json=args.json)


def cmd_send(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        job_id = asyncio.run(
            queue_text(settings, to=args.to, text=args.text, sender=args.sender, notify=args.notify)
        )
    except (InvalidNumber, Refused) as exc:
        print(f"smsbridge: not queued: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Queued as {job_id}; a running bridge sends it within {settings.queue.poll_seconds:g} s."
    )
    return 0


def cmd_simulate_inbound(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        inbound_id = asyncio.run(
            receive_simulated(settings, sender=args.sender, to=args.to, text=args.text)
        )
    except InvalidNumber as exc:
        print(f"smsbridge: not received: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Received as {inbound_id}; a running bridge routes it within"
        f" {settings.inbound.poll_seconds:g} s."
    )
    return 0


def cmd_routes_check(args: argparse.Namespace) -> int:
    return check_routes(Path(args.file), environ=os.environ, as_json=args.json)


def cmd_routes_explain(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        print(explain_inbound(settings, sender=args.sender, to=args.to, text=args.text, at=args.at))
    except (InvalidNumber, ValueError) as exc:
        print(f"smsbridge: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)

    async def recent() -> list[InboundRecord]:
        async with opened_store(settings) as store:
            return await store.recent_inbound(limit=args.limit)

    records = asyncio.run(recent())
    print(format_inbox(records))
    if args.explain:
        for record in records:
            print(f"\n{record.id}:\n{record.explanation or '(not routed yet)'}")
    return 0


def cmd_outbound_explain(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        at = parse_at(args.at, "UTC")
        words, accepted = asyncio.run(
            explain_text(
                settings, author=args.author, to=args.to, text=args.text, sender=args.sender, at=at
            )
        )
    except (InvalidNumber, ValueError) as exc:
        print(f"smsbridge: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(words)
    return 0 if accepted else EXIT_FAILED


def _running_pid(lock: Path) -> int:
    """The pid in the lock file, if the lock is held (a dead bridge's file proves nothing)."""
    with lock.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return int(handle.read().split()[0])
        fcntl.flock(handle, fcntl.LOCK_UN)
    raise ValueError("no bridge holds the lock")


def cmd_reload(args: argparse.Namespace) -> int:
    """Check the file here (so the admin sees the report), then signal the running bridge."""
    settings = read_settings(args.config)
    try:
        pid = _running_pid(settings.pid_lock_path)
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError, IndexError):
        print(f"smsbridge: no running bridge holds {settings.pid_lock_path}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.config} is valid; asked the bridge (pid {pid}) to reload its routing table.")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)

    async def recent() -> str:
        async with opened_store(settings) as store:
            jobs = await store.recent_sms(limit=args.limit)
        return format_outbox(jobs, as_json=args.json)

    print(asyncio.run(recent()))
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.stdin else getpass.getpass("Password: ")
    if not password:
        print("smsbridge: an empty password is not allowed", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.address}:{hash_password(password)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsbridge", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"smsbridge {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--config",
        "-c",
        default=DEFAULT_CONFIG,
        help="settings file (default: $SMSBRIDGE_CONFIG or ./config.toml)",
    )

    run = commands.add_parser("run", parents=[config], help="run the bridge")
    run.set_defaults(func=cmd_run)
    check = commands.add_parser("check-config", help="validate a settings file")
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="one JSON object per fault or warning")
    check.set_defaults(func=cmd_check_config)
    send = commands.add_parser("send", parents=[config], help="queue one text")
    send.add_argument("--to", required=True, help="phone number, e.g. +447700900123")
    send.add_argument(
        "--from", dest="sender", help="sender number or ID (default: senders.default)"
    )
    send.add_argument("--notify", help="email address told if the text fails")
    send.add_argument("text")
    send.set_defaults(func=cmd_send)
    simulate = commands.add_parser(
        "simulate-inbound", parents=[config], help="pretend a customer texted a reply number"
    )
    simulate.add_argument("--from", dest="sender", required=True, help="the customer's number")
    simulate.add_argument("--to", required=True, help="one of the bridge's reply numbers")
    simulate.add_argument("text")
    simulate.set_defaults(func=cmd_simulate_inbound)
    routes = commands.add_parser("routes", help="check the routing table, or explain a decision")
    route_commands = routes.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    table = route_commands.add_parser("check", help="validate the table and warn")
    table.add_argument("file")
    table.add_argument("--json", action="store_true", help="one JSON object per fault or warning")
    table.set_defaults(func=cmd_routes_check)
    why = route_commands.add_parser("explain", parents=[config], help="who would get this text?")
    why.add_argument("--from", dest="sender", required=True, help="the customer's number")
    why.add_argument("--to", required=True, help="the reply number texted")
    why.add_argument("--text", required=True)
    why.add_argument(
        "--at", help='"2026-12-25 22:15" in the reply number\'s time zone (default: now)'
    )
    why.set_defaults(func=cmd_routes_explain)
    outbound = commands.add_parser("outbound", help="what the outbound chain does with a text")
    outbound_commands = outbound.add_subparsers(
        dest="outbound_command", required=True, metavar="ACTION"
    )
    chain = outbound_commands.add_parser(
        "explain", parents=[config], help="would this text be sent? every rule's answer"
    )
    chain.add_argument("--author", default="", help="the author's address, e.g. alice@example.com")
    chain.add_argument("--to", required=True, help="the number to text, e.g. +447700900123")
    chain.add_argument("--text", required=True, help="the text, as the email's body would give it")
    chain.add_argument("--from", dest="sender", help="a sender asked for, as with send --from")
    chain.add_argument(
        "--at", help='"2026-12-25 22:15" (UTC unless an offset is given; default: now)'
    )
    chain.set_defaults(func=cmd_outbound_explain)
    reload = commands.add_parser("reload", parents=[config], help="reload the routing table")
    reload.set_defaults(func=cmd_reload)
    inbox = commands.add_parser("inbox", parents=[config], help="recent inbound texts and routes")
    inbox.add_argument("--limit", type=int, default=20)
    inbox.add_argument("--explain", action="store_true", help="show each routing explanation")
    inbox.set_defaults(func=cmd_inbox)
    outbox = commands.add_parser("outbox", parents=[config], help="show recent texts")
    outbox.add_argument("--limit", type=int, default=20)
    outbox.add_argument("--json", action="store_true", help="one JSON object per line")
    outbox.set_defaults(func=cmd_outbox)
    migrate = commands.add_parser("migrate", parents=[config], help="bring the schema up to date")
    migrate.set_defaults(func=cmd_migrate)
    hashpw = commands.add_parser("hash-password", help="make a line for smtp.auth.users_file")
    hashpw.add_argument("address", help="the login (an email address)")
    hashpw.add_argument("--stdin", action="store_true", help="read the password from stdin")
    hashpw.set_defaults(func=cmd_hash_password)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    result: int = args.func(args)
    return result
