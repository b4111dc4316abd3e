"""``smsbridge consent``: the consent ledger: list it, export it, import an old provider's
opt-out list, and an admin's opt-in or opt-out on a customer's written request.

An admin override always carries who (``--by``, an address) and why (``--reason``); staff
cannot undo an opt-out by email (the opt-out rule refuses), only the customer (START) or an
admin here. Imports and admin changes cover the whole organisation (every sender).
``import`` records every good row and lists the bad ones on stderr by line, exiting 1 when
there were any, so that a script notices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from bridge.cli.common import EXIT_FAILED, opened_store, read_settings
from bridge.cli.where import UsageError
from bridge.contacts.consent_csv import OptOutRows, read_numbers, write_events
from bridge.contacts.records import ContactFileError
from bridge.errors import InvalidNumber
from bridge.models import ORGANISATION, ConsentEvent
from bridge.parsing.numbers import parse_number
from bridge.settings.root import Settings

__all__ = [
    "cmd_consent_export",
    "cmd_consent_import",
    "cmd_consent_list",
    "cmd_consent_opt_in",
    "cmd_consent_opt_out",
    "format_events",
    "format_summary",
]

EVERYTHING = 10**9


def cmd_consent_list(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    number = _number(args.number, settings) if args.number else None
    now = datetime.now(UTC)

    async def listed() -> tuple[list[ConsentEvent], dict[str, dict[str, int]]]:
        async with opened_store(settings) as store:
            if args.summary:
                start = now - timedelta(days=args.days)
                return [], await store.campaign_opt_ins(start=start, end=now)
            return await store.consent_events(number=number, limit=args.limit), {}

    events, summary = asyncio.run(listed())
    if args.summary:
        print(json.dumps(summary) if args.json else format_summary(summary, days=args.days))
        return 0
    if args.json:
        for event in events:
            print(json.dumps(asdict(event) | {"at": event.at.isoformat()}, ensure_ascii=False))
        return 0
    print(format_events(events, filtered=number is not None))
    return 0


def format_events(events: list[ConsentEvent], *, filtered: bool = False) -> str:
    if not events:
        return "No consent recorded for that number." if filtered else "The ledger is empty."
    lines = [f"{'at (UTC)':<16}  {'number':<16}  {'action':<7}  {'scope':<16}  {'how':<13}  by"]
    for e in events:
        scope = "organisation" if e.scope == ORGANISATION else e.scope
        lines.append(
            f"{e.at.astimezone(UTC):%Y-%m-%d %H:%M}  {e.customer:<16}  {e.action:<7}  {scope:<16}"
            f"  {e.how:<13}  {e.by}"
            + (f": {e.reason}" if e.reason else "")
            + (f" [{e.evidence}]" if e.evidence else "")
        )
    return "\n".join(lines)


def format_summary(summary: dict[str, dict[str, int]], *, days: float) -> str:
    if not summary:
        return f"No opt-ins by campaign in the last {days:g} days."
    lines = [f"Opt-ins by campaign, last {days:g} days:"]
    for campaign, by_how in summary.items():
        hows = ", ".join(f"{count} by {how}" for how, count in by_how.items())
        lines.append(f"  {campaign.upper():<12} {sum(by_how.values()):>6}  ({hows})")
    return "\n".join(lines)


def cmd_consent_export(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)

    async def everything() -> list[ConsentEvent]:
        async with opened_store(settings) as store:
            return await store.consent_events(limit=EVERYTHING)

    data = write_events(asyncio.run(everything()))
    if not args.output:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        Path(args.output).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{args.output}: {exc.strerror or exc}") from None
    return 0


def cmd_consent_import(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    by = _address(args.by)
    path = Path(args.path)
    try:
        read = read_numbers(path.read_bytes(), default_region=settings.smtp.default_region)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    except ContactFileError as exc:
        print(f"smsbridge: {path}: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    events = _imported(read, args, by=by, evidence=path.name, now=datetime.now(UTC))

    async def record() -> int:
        async with opened_store(settings) as store:
            return await store.record_consent(events, suppress=True)

    recorded = asyncio.run(record())
    for problem in read.problems:
        print(f"{path}:{problem.line}: {problem.reason}", file=sys.stderr)
    print(f"Recorded {recorded} {args.action}(s); {len(read.problems)} row(s) skipped.")
    return EXIT_FAILED if read.problems else 0


def _imported(
    read: OptOutRows, args: argparse.Namespace, *, by: str, evidence: str, now: datetime
) -> list[ConsentEvent]:
    return [
        ConsentEvent(
            customer=row.number,
            action=args.action,
            scope=ORGANISATION,
            at=row.at or now,
            how=args.how,
            evidence=f"{evidence} line {row.line}",
            by=by,
            reason=args.reason or "",
        )
        for row in read.rows
    ]


def cmd_consent_opt_in(args: argparse.Namespace) -> int:
    return _override(args, "opt-in")


def cmd_consent_opt_out(args: argparse.Namespace) -> int:
    return _override(args, "opt-out")


def _override(args: argparse.Namespace, action: str) -> int:
    """An admin's change, for the whole organisation, with who and why recorded."""
    settings = read_settings(args.config)
    number = _number(args.number, settings)
    if not args.reason.strip():
        raise UsageError("say why (--reason), e.g. --reason 'written request of 2026-03-01'")
    event = ConsentEvent(
        customer=number,
        action=action,
        scope=ORGANISATION,
        at=datetime.now(UTC),
        how="admin",
        evidence=args.evidence or f"smsbridge consent {action}",
        by=_address(args.by),
        reason=args.reason.strip(),
    )

    async def record() -> int:
        async with opened_store(settings) as store:
            return await store.record_consent([event], suppress=True)

    asyncio.run(record())
    done = "opted in to" if action == "opt-in" else "opted out of"
    print(f"{number} {done} texts from every sender, by {event.by}: {event.reason}.")
    return 0


def _number(given: str, settings: Settings) -> str:
    try:
        return parse_number(given, default_region=settings.smtp.default_region)
    except InvalidNumber as exc:
        raise UsageError(exc.reason) from None


def _address(given: str) -> str:
    try:
        return validate_email(given, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise UsageError(f"--by must be the admin's email address: {exc}") from None
